"""Batch uploads: tolerant parsing, per-row errors, bulk creation, idempotency, crash-safety, bad files."""

import io
import zipfile
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.accounts.roles import Role
from apps.bench.renewal_rows import xlsx_bytes
from apps.billing.models import Transaction
from apps.customers.models import Customer
from apps.policies.models import Policy
from apps.renewals import ingest, parsing
from apps.renewals.models import CaseEvent, RenewalCase, UploadBatch
from tests.factories.customers import CustomerFactory
from tests.factories.policies import ProductFactory, ProductLineFactory

pytestmark = pytest.mark.django_db
RENEW = (date.today() + timedelta(days=60)).isoformat()


@pytest.fixture(autouse=True)
def products():
    ProductFactory(code="motor", line=ProductLineFactory(code="auto"))
    ProductFactory(code="home", line=ProductLineFactory(code="home"))


def csv_file(text: str, name="renewals.csv", encoding="utf-8") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode(encoding), content_type="text/csv")


def xlsx_file(rows: list[list], name="renewals.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, xlsx_bytes(rows))


def upload(client, file, policy_type="auto", execute=None):
    return client.post("/api/v1/upload/batch", {"file": file, "policy_type": policy_type}, format="multipart")


GOOD_AND_BAD = (
    "Policy No,Customer Name,E-mail,Phone,Expiry Date,Premium\n"
    f"POL-A-0001,Ana Silva,ana@example.org,+351 912 000 001,{RENEW},420.50\n"
    f'POL-A-0002,Rui Costa,,00351912000002,{RENEW},"1.234,56"\n'
    f"bad number!,Eva Lopes,eva@example.org,,{RENEW},100\n"
    f"POL-A-0004,Ivo Reis,not-an-email,,{RENEW},100\n"
    "POL-A-0005,Lia Sousa,,,someday,100\n"
    f"POL-A-0006,Tom Neves,,,{RENEW},-5\n"
    f"POL-A-0001,Ana Silva,ana@example.org,,{RENEW},420.50\n"
)


def test_csv_batch_with_bad_rows(auth_client, django_capture_on_commit_callbacks):
    client, manager = auth_client(Role.MANAGER)

    with django_capture_on_commit_callbacks(execute=True):
        response = upload(client, csv_file(GOOD_AND_BAD))

    assert response.status_code == 201, response.content
    data = response.json()["data"]
    assert (data["file_name"], data["total_records"]) == ("renewals.csv", 7)
    status = client.get(f"/api/v1/upload/batch/{data['batch_id']}/status").json()["data"]
    assert status["status"] == "completed"
    assert (status["processed_records"], status["successful_records"], status["failed_records"]) == (7, 3, 4)
    assert [(e["row"], e["error"]) for e in status["errors"]] == [
        (4, "Invalid policy number format"),
        (5, "'not-an-email' is not an email address"),
        (6, "'someday' is not a date (use YYYY-MM-DD or DD/MM/YYYY)"),
        (7, "The amount must be positive"),
    ]
    assert RenewalCase.objects.count() == 2  # the repeated row is the same case
    rui = Policy.objects.get(policy_number="POL-A-0002")
    assert rui.premium_amount == Decimal("1234.56")
    assert rui.customer.phone == "+351912000002"
    assert Customer.objects.filter(email="ana@example.org").count() == 1

    failed = client.get(f"/api/v1/upload/batch/{data['batch_id']}/failed-rows").content.decode()
    assert failed.splitlines()[0] == "Policy No,Customer Name,E-mail,Phone,Expiry Date,Premium,row,error"
    assert "bad number!" in failed
    assert "Invalid policy number format" in failed


def test_xlsx_batch_matches_existing_customers_and_policies(auth_client, django_capture_on_commit_callbacks):
    client, _ = auth_client(Role.MANAGER)
    known = CustomerFactory(email="known@example.org", customer_code="CUS-7777777")
    rows = [
        ["Policy Number", "Customer Code", "Customer", "Email", "Renewal Date", "Renewal Amount", "Priority"],
        ["POL-X-0001", "CUS-7777777", "Known Person", "", date.today() + timedelta(days=45), 300, "high"],
        ["POL-X-0002", "", "Mail Match", "known@example.org", date.today() + timedelta(days=45), 310.2, ""],
    ]

    with django_capture_on_commit_callbacks(execute=True):
        data = upload(client, xlsx_file(rows)).json()["data"]

    batch = UploadBatch.objects.get(pk=data["batch_id"])
    assert (batch.status, batch.successful_records) == ("completed", 2)
    assert Policy.objects.get(policy_number="POL-X-0001").customer == known
    assert Policy.objects.get(policy_number="POL-X-0002").customer == known
    assert RenewalCase.objects.get(policy__policy_number="POL-X-0001").priority == "high"


def test_same_file_twice_returns_the_first_batch(auth_client, django_capture_on_commit_callbacks):
    client, _ = auth_client(Role.MANAGER)
    with django_capture_on_commit_callbacks(execute=True):
        first = upload(client, csv_file(GOOD_AND_BAD))
        second = upload(client, csv_file(GOOD_AND_BAD, name="copy.csv"))

    assert second.status_code == 200
    assert second.json()["data"]["batch_id"] == first.json()["data"]["batch_id"]
    assert UploadBatch.objects.count() == 1


@pytest.mark.parametrize(
    ("file", "status", "code"),
    [
        (csv_file("Policy No,Customer Name,Premium\nPOL-1,A,1\n"), 400, "invalid_spreadsheet"),
        (csv_file(""), 400, "empty_file"),
        (csv_file("Policy No,Customer Name,Expiry Date,Premium\n"), 400, "empty_file"),
        (SimpleUploadedFile("x.xlsx", b"%PDF-1.4 not a spreadsheet\x00\x01"), 400, "invalid_spreadsheet"),
    ],
)
def test_bad_files_are_refused_and_nothing_stored(auth_client, file, status, code):
    client, _ = auth_client(Role.MANAGER)

    response = upload(client, file)

    assert response.status_code == status, response.content
    assert response.json()["error"]["code"] == code
    assert UploadBatch.objects.count() == 0


def test_missing_column_is_named(auth_client):
    client, _ = auth_client(Role.MANAGER)

    response = upload(client, csv_file("Policy No,Customer Name,Premium\nPOL-1,A,1\n"))

    assert "renewal_date" in response.json()["error"]["message"]


def test_oversized_and_zip_bomb(auth_client, settings):
    client, _ = auth_client(Role.MANAGER)
    settings.RENEWAL_BATCH_MAX_BYTES = 1000
    big = upload(client, csv_file("Policy No,Customer Name,Expiry Date,Premium\n" + "POL-1,A,2030-01-01,1\n" * 200))
    settings.RENEWAL_BATCH_MAX_BYTES = 10 * 1024 * 1024
    settings.DOCUMENT_ZIP_MAX_UNCOMPRESSED = 1_000_000
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"<x>" + b" " * 30_000_000 + b"</x>")
    bomb = upload(client, SimpleUploadedFile("bomb.xlsx", buffer.getvalue()))

    assert big.status_code == 413
    assert bomb.status_code == 400
    assert UploadBatch.objects.count() == 0


def test_unknown_policy_type_and_wrong_role(auth_client):
    manager, _ = auth_client(Role.MANAGER)
    agent, _ = auth_client(Role.AGENT)

    assert upload(manager, csv_file(GOOD_AND_BAD), policy_type="boats").status_code == 400
    assert upload(agent, csv_file(GOOD_AND_BAD)).status_code == 403


@pytest.mark.parametrize("encoding", ["utf-16", "cp1252", "utf-8-sig"])
def test_csv_encodings(auth_client, encoding, django_capture_on_commit_callbacks):
    client, _ = auth_client(Role.MANAGER)
    text = f"Policy Number;Customer Name;Renewal Date;Premium\nPOL-E-0001;José Gonçalves;{RENEW};99,90\n"

    with django_capture_on_commit_callbacks(execute=True):
        data = upload(client, csv_file(text, encoding=encoding)).json()["data"]

    assert UploadBatch.objects.get(pk=data["batch_id"]).successful_records == 1
    assert Customer.objects.get(customer_code__startswith="CUS-", last_name="Gonçalves").first_name == "José"


def test_crash_mid_batch_then_retry_creates_no_duplicates(auth_client, monkeypatch, django_capture_on_commit_callbacks):
    client, _ = auth_client(Role.MANAGER)
    lines = ["Policy No,Customer Name,Email,Expiry Date,Premium"]
    lines += [f"POL-C-{i:04d},Person {i},p{i}@example.org,{RENEW},100" for i in range(25)]
    monkeypatch.setattr(ingest, "CHUNK", 10)
    real_ingest, calls = ingest._ingest, []

    def crashing(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("worker killed")
        return real_ingest(*args, **kwargs)

    monkeypatch.setattr(ingest, "_ingest", crashing)
    with django_capture_on_commit_callbacks(execute=False):
        batch_id = upload(client, csv_file("\n".join(lines) + "\n")).json()["data"]["batch_id"]
    with pytest.raises(RuntimeError):
        ingest.batch_process(batch_id=batch_id)
    monkeypatch.setattr(ingest, "_ingest", real_ingest)

    batch = ingest.batch_process(batch_id=batch_id)

    assert (batch.status, batch.processed_records, batch.successful_records, batch.failed_records) == (
        "completed",
        25,
        25,
        0,
    )
    assert RenewalCase.objects.count() == 25
    assert Policy.objects.count() == 25
    assert Customer.objects.filter(email__startswith="p").count() == 25


def test_batches_list_and_status_filters(auth_client, django_capture_on_commit_callbacks):
    client, _ = auth_client(Role.ADMIN)
    with django_capture_on_commit_callbacks(execute=True):
        upload(client, csv_file(GOOD_AND_BAD))

    listed = client.get("/api/v1/upload/batches", {"status": "completed"}).json()["data"]
    none = client.get("/api/v1/upload/batches", {"status": "failed"}).json()["data"]

    assert listed["pagination"]["total_records"] == 1
    assert none["batches"] == []


def test_rows_for_policies_no_longer_active_fail_and_emails_match_case_insensitively(
    auth_client, django_capture_on_commit_callbacks
):
    client, _ = auth_client(Role.MANAGER)
    known = CustomerFactory(email="Mixed.Case@Example.org")
    lines = [
        "Policy No,Customer Name,Email,Expiry Date,Premium",
        f"POL-D-0001,Mixed Case,mixed.case@example.org,{RENEW},100",
        f"POL-D-0002,Gone Person,,{RENEW},100",
    ]
    with django_capture_on_commit_callbacks(execute=True):
        upload(client, csv_file("\n".join(lines[:2]) + "\n"))
    Policy.objects.filter(policy_number="POL-D-0001").update(status="cancelled")

    with django_capture_on_commit_callbacks(execute=True):
        data = upload(client, csv_file("\n".join(lines) + "\n", name="second.csv")).json()["data"]

    status = client.get(f"/api/v1/upload/batch/{data['batch_id']}/status").json()["data"]
    assert (status["successful_records"], status["failed_records"]) == (1, 1), status["errors"]
    assert [(e["row"], e["error"]) for e in status["errors"]] == [(2, "Policy POL-D-0001 is cancelled")]
    assert Policy.objects.get(policy_number="POL-D-0001").customer == known
    assert RenewalCase.objects.count() == 2


@pytest.mark.parametrize(
    ("values", "error"),
    [
        ({"renewal_amount": "NaN"}, "'NaN' is not an amount"),
        ({"renewal_amount": "Infinity"}, "'Infinity' is not an amount"),
        ({"renewal_amount": "99999999999"}, "The amount is too large"),
        ({"customer_name": "x" * 201}, "The customer name is too long"),
        ({"email": "a" * 250 + "@example.org"}, "The email address is too long"),
    ],
)
def test_clean_row_rejects_values_the_database_cannot_hold(values, error):
    from apps.renewals.parsing import clean_row

    row = {"policy_number": "POL-E-0001", "customer_name": "Ana Silva", "renewal_date": RENEW, "renewal_amount": "10"}
    with pytest.raises(ValueError, match=error):
        clean_row(2, row | values, default_type="auto", known_types={"auto"})


def test_clean_row_reads_spreadsheet_numbers_as_text_and_serial_dates():
    from apps.renewals.parsing import clean_row

    row = clean_row(
        2,
        {"policy_number": 12345678.0, "customer_name": "Ana Silva", "renewal_date": 46000.0, "renewal_amount": 10.5},
        default_type="auto",
        known_types={"auto"},
    )

    assert row.policy_number == "12345678"
    assert row.renewal_date == date(1899, 12, 30) + timedelta(days=46000)


def test_import_renewals_command_processes_in_process_and_reports(make_user, tmp_path):
    from django.core.management import CommandError, call_command

    manager = make_user(Role.MANAGER)
    path = tmp_path / "renewals.csv"
    path.write_text(GOOD_AND_BAD)
    out = io.StringIO()

    call_command("import_renewals", str(path), "--as", manager.email, "--no-progress", stdout=out)
    call_command("import_renewals", str(path), "--as", manager.email, "--no-progress", stdout=out)

    batch = UploadBatch.objects.get()
    assert (batch.status, batch.uploaded_by, batch.successful_records, batch.failed_records) == (
        "completed",
        manager,
        3,
        4,
    )
    assert f"Batch {batch.pk} completed: 3 succeeded, 4 failed." in out.getvalue()
    assert f"Already imported as batch {batch.pk}" in out.getvalue()
    assert RenewalCase.objects.count() == 2
    with pytest.raises(CommandError, match="not an active admin or manager"):
        call_command("import_renewals", str(path), "--as", make_user(Role.AGENT).email)
    with pytest.raises(CommandError, match="Unknown policy type"):
        call_command("import_renewals", str(path), "--as", manager.email, "--policy-type", "yacht")
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(CommandError, match="empty"):
        call_command("import_renewals", str(tmp_path / "empty.csv"), "--as", manager.email)


def test_batch_admin_upload_progress_errors_and_failed_rows(make_user, django_capture_on_commit_callbacks):
    from django.test import Client

    manager, agent = make_user(Role.MANAGER), make_user(Role.AGENT)
    browser = Client()
    browser.force_login(manager)

    form = browser.get("/admin/renewals/uploadbatch/add/")
    with django_capture_on_commit_callbacks(execute=True):
        added = browser.post(
            "/admin/renewals/uploadbatch/add/", {"file": csv_file(GOOD_AND_BAD), "policy_type": "auto"}
        )
    refused = browser.post("/admin/renewals/uploadbatch/add/", {"file": csv_file(""), "policy_type": "auto"})
    no_column = browser.post(
        "/admin/renewals/uploadbatch/add/", {"file": csv_file("Name,Email\nAna,a@example.org\n"), "policy_type": "auto"}
    )
    batch = UploadBatch.objects.get()
    listing = browser.get("/admin/renewals/uploadbatch/")
    page = browser.get(f"/admin/renewals/uploadbatch/{batch.pk}/change/")
    failed = browser.get(f"/admin/renewals/uploadbatch/{batch.pk}/failed-rows/")
    browser.force_login(agent)
    agent_listing = browser.get("/admin/renewals/uploadbatch/")
    agent_failed = browser.get(f"/admin/renewals/uploadbatch/{batch.pk}/failed-rows/")

    assert form.status_code == 200
    assert added.status_code == 302, added.content.decode()[:2000]
    assert added["Location"] == "/admin/renewals/uploadbatch/"
    assert (batch.status, batch.uploaded_by, batch.successful_records, batch.failed_records) == (
        "completed",
        manager,
        3,
        4,
    )
    assert refused.status_code == 200
    assert "file is empty" in refused.content.decode()
    assert no_column.status_code == 200
    assert "missing" in no_column.content.decode().lower()
    assert UploadBatch.objects.count() == 1
    assert "renewals.csv" in listing.content.decode()
    assert "Invalid policy number format" in page.content.decode()
    assert "failed-rows" in page.content.decode()
    assert failed.status_code == 200
    assert "bad number!" in failed.content.decode()
    assert agent_listing.status_code == 403
    assert agent_failed.status_code == 403


def test_admin_processes_a_failed_batch_again_and_follows_progress_live(
    make_user, monkeypatch, django_capture_on_commit_callbacks
):
    from django.test import Client

    manager = make_user(Role.MANAGER)
    lines = ["Policy No,Customer Name,Expiry Date,Premium"] + [f"POL-R-{i:04d},P {i},{RENEW},100" for i in range(5)]
    monkeypatch.setattr(ingest, "_ingest", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("worker killed")))
    batch, _ = ingest.batch_create(
        file=csv_file("\n".join(lines) + "\n"), policy_type="auto", actor=manager, enqueue=False
    )
    with pytest.raises(RuntimeError):
        ingest.batch_process(batch_id=batch.pk)
    monkeypatch.undo()
    browser = Client()
    browser.force_login(manager)

    listing = browser.get("/admin/renewals/uploadbatch/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        retried = browser.post(
            "/admin/renewals/uploadbatch/", {"action": "retry_batches", "_selected_action": [batch.pk]}, follow=True
        )
    again = browser.post(
        "/admin/renewals/uploadbatch/", {"action": "retry_batches", "_selected_action": [batch.pk]}, follow=True
    )

    assert f'data-batch-progress="{batch.pk}"' in listing
    assert "js/admin_batch_progress.js" in listing
    assert "1 batch(es) queued again." in retried.content.decode()
    batch.refresh_from_db()
    assert (batch.status, batch.successful_records, RenewalCase.objects.count()) == ("completed", 5, 5)
    assert "Only failed batches are processed again" in again.content.decode()


def test_an_uploaded_motor_case_is_renewed_at_the_case_amount_and_billed_at_it(
    auth_client, django_capture_on_commit_callbacks
):
    client, manager = auth_client(Role.MANAGER)
    sheet = f"Policy No,Customer Name,Expiry Date,Renewal Amount\nPOL-M-0001,Ana Silva,{RENEW},612.40\n"
    with django_capture_on_commit_callbacks(execute=True):
        upload(client, csv_file(sheet), policy_type="auto")
    case = RenewalCase.objects.get(policy__policy_number="POL-M-0001")
    assert (case.renewal_amount, case.policy.vehicles.count()) == (Decimal("612.40"), 0)

    corrected = client.put(f"/api/v1/cases/{case.pk}", {"renewal_amount": "598.00"}, format="json")
    with django_capture_on_commit_callbacks(execute=True):
        renewed = client.put(f"/api/v1/cases/{case.pk}", {"status": "renewed"}, format="json")

    assert corrected.status_code == 200, corrected.content
    assert renewed.status_code == 200, renewed.content
    data = renewed.json()["data"]
    new_term = Policy.objects.get(pk=data["renewed_policy"])
    assert (new_term.status, new_term.premium_amount, new_term.policy_type) == ("active", Decimal("598.00"), "auto")
    assert data["renewal_amount"] == "598.00"
    booked = Transaction.objects.filter(policy=new_term, type="renewal", account="customer").get()
    assert booked.amount == Decimal("598.00")
    changes = CaseEvent.objects.filter(case=case, action="Renewal amount changed")
    assert [(e.details, e.actor) for e in changes] == [("612.40 → 598.00 EUR", manager)]
    assert Policy.objects.get(pk=case.policy_id).status == "renewed"


def test_a_closed_case_keeps_its_renewal_amount(auth_client, django_capture_on_commit_callbacks):
    client, _ = auth_client(Role.MANAGER)
    with django_capture_on_commit_callbacks(execute=True):
        upload(client, csv_file(f"Policy No,Customer Name,Expiry Date,Premium\nPOL-M-0002,Rui Costa,{RENEW},300\n"))
    case = RenewalCase.objects.get(policy__policy_number="POL-M-0002")
    client.put(f"/api/v1/cases/{case.pk}", {"status": "not_taken"}, format="json")

    response = client.put(f"/api/v1/cases/{case.pk}", {"renewal_amount": "250.00"}, format="json")

    assert response.status_code == 409
    case.refresh_from_db()
    assert case.renewal_amount == Decimal("300.00")


def test_exact_headers_beat_synonyms_and_columns_not_read_are_reported(
    auth_client, make_user, django_capture_on_commit_callbacks
):
    from django.test import Client

    client, manager = auth_client(Role.MANAGER)
    sheet = (
        "Premium,Policy No,Customer Name,Expiry Date,Renewal Amount,Broker Notes,\n"
        f"not money,POL-H-0001,Ana Silva,{RENEW},520.00,call after 6,\n"
    )
    with django_capture_on_commit_callbacks(execute=True):
        batch_id = upload(client, csv_file(sheet)).json()["data"]["batch_id"]

    status = client.get(f"/api/v1/upload/batch/{batch_id}/status").json()["data"]
    assert (status["status"], status["successful_records"], status["failed_records"]) == ("completed", 1, 0)
    assert RenewalCase.objects.get(policy__policy_number="POL-H-0001").renewal_amount == Decimal("520.00")
    ignored = [
        {
            "column": 1,
            "header": "Premium",
            "reason": "'Renewal Amount' is read as renewal_amount instead (a closer match)",
        },
        {"column": 6, "header": "Broker Notes", "reason": "Not a column we read"},
        {"column": 7, "header": "", "reason": "The column has no name"},
    ]
    assert status["ignored_columns"] == ignored
    listed = client.get("/api/v1/upload/batches").json()["data"]
    assert [b["ignored_columns"] for b in listed["batches"]] == [ignored]
    browser = Client()
    browser.force_login(manager)
    page = browser.get(f"/admin/renewals/uploadbatch/{batch_id}/change/").content.decode()
    assert "Columns not read" in page
    assert "&#x27;Renewal Amount&#x27; is read as renewal_amount instead (a closer match)" in page
    assert "Broker Notes" in page


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        (
            ["Policy", "Policy Number", "Name", "Renewal Date", "Amount", "Renewal Premium"],
            {1: "policy_number", 2: "customer_name", 3: "renewal_date", 5: "renewal_amount"},
        ),
        (
            ["Policy Number", "Customer", "Customer Name", "Expiry", "Renewal Date", "Premium", "Amount"],
            {0: "policy_number", 2: "customer_name", 4: "renewal_date", 6: "renewal_amount"},
        ),
    ],
)
def test_the_closest_header_wins_wherever_it_stands(headers, expected):
    header_map = parsing.map_headers(headers)

    assert header_map.fields == expected
    assert [c["column"] - 1 for c in header_map.ignored] == sorted(set(range(len(headers))) - set(expected))
