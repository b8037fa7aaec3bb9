"""POST /leads/bulk-import: mapped headers, scored and assigned leads, duplicates skipped and reported, bad rows
listed, the same file twice adds nothing, an unrecognisable file writes nothing."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from apps.accounts.roles import Role
from apps.crm.models import Lead
from tests.conftest import client_for
from tests.factories.accounts import TeamFactory, UserFactory
from tests.factories.crm import ClientLeadFactory
from tests.factories.customers import CustomerFactory
from tests.factories.policies import ProductLineFactory
from tests.renewals.test_batches import xlsx_file

pytestmark = pytest.mark.django_db

CSV = (
    "Full Name,Email Address,Phone Number,Source,Product,Budget,Favourite colour\n"
    "Carla Mendes,carla@example.com,+351910000001,Referral,home,1200,blue\n"
    "Bruno Dias,bruno@example.com,+351910000002,website,,,red\n"
    "Bruno Again,BRUNO@example.com,,,,,\n"
    "Dora Cruz,known@example.com,,,,,\n"
    "Eva Lima,not-an-email,,,,,\n"
    "Filipe Sá,customer@example.net,,,,,\n"
    ",,,,,,\n"
)


def _upload(client, content: str, name: str = "leads.csv", **extra):
    file = SimpleUploadedFile(name, content.encode(), content_type="text/csv")
    return client.post(reverse("v1:leads-bulk-import"), {"file": file, **extra}, format="multipart")


def test_an_agent_imports_leads_for_themself_with_a_full_report():
    agent = UserFactory(role=Role.AGENT, team=TeamFactory())
    ProductLineFactory(code="home")
    existing = ClientLeadFactory(email="known@example.com")
    contact = CustomerFactory(email="customer@example.net")

    response = _upload(client_for(agent), CSV)

    assert response.status_code == 200, response.content
    report = response.json()["data"]
    assert (report["total_rows"], report["created"], report["skipped_duplicates"], report["failed"]) == (6, 3, 2, 1)
    assert report["errors"] == [{"row": 6, "error": "'not-an-email' is not an email address"}]
    assert report["duplicates"] == [
        {"row": 4, "reason": "same email", "skipped": True, "same_as_row": 3, "score": 45, "reasons": ["same email"]},
        {
            "row": 5,
            "reason": "same email",
            "skipped": True,
            "lead_id": existing.pk,
            "score": 45,
            "reasons": ["same email"],
        },
        {
            "row": 7,
            "reason": "same email as a contact",
            "skipped": False,
            "contact_id": contact.pk,
            "score": 45,
            "reasons": ["same email"],
        },
    ]
    assert report["mapping"]["unmapped"] == ["Favourite colour"]
    carla = Lead.objects.get(email="carla@example.com")
    assert (carla.first_name, carla.last_name, carla.source, carla.assigned_agent) == (
        "Carla",
        "Mendes",
        "Referral",
        agent,
    )
    assert carla.product_interest.code == "home"
    assert carla.score == sum(f["points"] for f in carla.score_breakdown) > 0


def test_the_same_file_twice_adds_nothing():
    agent = UserFactory(role=Role.AGENT)
    client = client_for(agent)
    content = "Name,Email\nAna Reis,ana.reis@example.com\nRui Paz,rui.paz@example.com\n"

    _upload(client, content)
    again = _upload(client, content).json()["data"]

    assert (again["created"], again["already_imported"]) == (0, 2)
    assert Lead.objects.count() == 2


def test_a_team_import_shares_the_rows_among_its_agents():
    manager = UserFactory(role=Role.MANAGER)
    team = TeamFactory(manager=manager)
    first, second = UserFactory(role=Role.AGENT, team=team), UserFactory(role=Role.AGENT, team=team)

    _upload(client_for(manager), "Name\nA One\nB Two\nC Three\nD Four\n", team_id=team.pk)

    owners = list(Lead.objects.order_by("import_key").values_list("assigned_agent", flat=True))
    assert sorted(owners) == sorted([first.pk, second.pk, first.pk, second.pk])


def test_a_file_without_a_name_column_is_refused_and_writes_nothing():
    response = _upload(client_for(UserFactory(role=Role.AGENT)), "Colour,Size\nred,L\n")

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "unrecognised_headers"
    assert error["details"]["mapping"]["unmapped"] == ["Colour", "Size"]
    assert not Lead.objects.exists()


def test_a_spreadsheet_over_the_limit_is_refused(settings):
    settings.CRM_IMPORT_MAX_BYTES = 100

    response = _upload(client_for(UserFactory(role=Role.AGENT)), "Name\n" + "Someone Long\n" * 20)

    assert response.status_code == 413
    assert not Lead.objects.exists()


def test_an_xlsx_is_read_like_a_csv():
    file = xlsx_file([["First Name", "Surname", "Mobile"], ["Gil", "Moura", "+351910000009"]], name="leads.xlsx")

    response = client_for(UserFactory(role=Role.AGENT)).post(
        reverse("v1:leads-bulk-import"), {"file": file}, format="multipart"
    )

    assert response.json()["data"]["created"] == 1
    assert Lead.objects.get().phone == "+351910000009"


def test_the_failed_rows_file_lists_every_turned_away_row_with_its_reason_as_csv_and_xlsx():
    import csv
    import io

    from python_calamine import CalamineWorkbook

    agent = UserFactory(role=Role.AGENT, team=TeamFactory())
    ProductLineFactory(code="home")
    existing = ClientLeadFactory(email="known@example.com")
    client = client_for(agent)
    content = CSV + '"=HYPERLINK(""http://x"")",bad@,,,,,\n'

    report = _upload(client, content).json()["data"]
    url = report["failed_rows_url"]

    assert url.endswith(reverse("v1:leads-import-failed-rows", kwargs={"pk": report["import_id"]}))
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    header = ["Full Name", "Email Address", "Phone Number", "Source", "Product", "Budget", "Favourite colour"]
    assert rows[0] == [*header, "row", "reason"]
    assert [(r[0], r[7], r[8]) for r in rows[1:]] == [
        ("Bruno Again", "4", "Duplicate: same email as row 3 of this file"),
        ("Dora Cruz", "5", f"Duplicate: same email as lead {existing.pk}"),
        ("Eva Lima", "6", "'not-an-email' is not an email address"),
        ('\'=HYPERLINK("http://x")', "9", "'bad@' is not an email address"),  # never a live formula
    ]
    xlsx = client.get(url, {"file_format": "xlsx"})
    assert xlsx.status_code == 200
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(xlsx.content)).get_sheet_by_index(0).to_python()
    assert [str(c) for c in sheet[0]] == rows[0]
    assert [str(r[0]) for r in sheet[1:]] == ["Bruno Again", "Dora Cruz", "Eva Lima", '=HYPERLINK("http://x")']
    assert [str(r[8]) for r in sheet[1:]] == [r[8] for r in rows[1:]]
    assert client.get(url, {"file_format": "pdf"}).status_code == 400


def test_a_clean_import_has_no_failed_rows_file_and_another_agents_is_a_404():
    agent = UserFactory(role=Role.AGENT, team=TeamFactory())
    report = _upload(client_for(agent), "Name,Email\nAna Reis,ana.reis@example.com\n").json()["data"]
    assert report["failed_rows_url"] is None

    url = reverse("v1:leads-import-failed-rows", kwargs={"pk": report["import_id"]})
    assert client_for(UserFactory(role=Role.AGENT, team=agent.team)).get(url).status_code == 404
    assert client_for(agent).get(url).status_code == 200


def test_a_contact_is_found_by_a_differently_written_phone_or_email_and_the_row_is_imported_and_flagged():
    agent = UserFactory(role=Role.AGENT, team=TeamFactory())
    by_phone = CustomerFactory(first_name="Joana", last_name="Lopes", email="", phone="+351912345678")
    by_email = CustomerFactory(first_name="Rita", last_name="Moura", email="Rita.Moura@Example.com")
    CustomerFactory(email="", phone="+351900000000")  # another number: no match
    content = (
        "Name,Email,Phone\n"
        "Lopes Joana,,00351 912 345 678\n"
        "Rita Mourra,RITA.MOURA@example.com,\n"
        "Tiago Paz,tiago.paz@example.com,+351 911 111 111\n"
    )

    report = _upload(client_for(agent), content).json()["data"]

    assert (report["created"], report["skipped_duplicates"], report["flagged_duplicates"]) == (3, 0, 2)
    assert report["duplicates"] == [
        {
            "row": 2,
            "reason": "same phone as a contact",
            "skipped": False,
            "contact_id": by_phone.pk,
            "score": 55,
            "reasons": ["same phone", "same name"],
        },
        {
            "row": 3,
            "reason": "same email as a contact",
            "skipped": False,
            "contact_id": by_email.pk,
            "score": 64,
            "reasons": ["same email", "similar name (95%)"],
        },
    ]
    joana = Lead.objects.get(last_name="Joana")
    assert (joana.phone, joana.phone_key, joana.created_by, joana.import_key[-2:]) == (
        "+351912345678",
        "912345678",
        agent,
        ":2",
    )
    assert joana.search_vector is not None  # the generated column is filled on COPY too


def test_the_import_is_set_based_whatever_the_number_of_rows(django_assert_max_num_queries):
    agent = UserFactory(role=Role.AGENT, team=TeamFactory())
    ClientLeadFactory(email="known@example.com", phone="+351999999991")
    CustomerFactory(email="contact@example.com", phone="+351999999992")
    lines = [f"Person {i},person{i}@example.com,+35191{i:07d}" for i in range(300)]
    content = "Name,Email,Phone\n" + "\n".join([*lines, "Known One,known@example.com,", "C One,contact@example.com,"])

    with django_assert_max_num_queries(40):
        report = _upload(client_for(agent), content + "\n").json()["data"]

    assert (report["created"], report["skipped_duplicates"], report["flagged_duplicates"]) == (301, 1, 1)
    assert Lead.objects.filter(import_key__startswith=report["file_sha256"][:32]).count() == 301


def test_the_benchmark_imports_known_people_respelled_and_rolls_everything_back():
    from apps.bench import lead_import

    UserFactory(role=Role.MANAGER, email="manager@example.com")
    ClientLeadFactory.create_batch(6)
    CustomerFactory.create_batch(6)
    before = Lead.objects.count()

    [result] = lead_import.run([300], seed=5)

    assert Lead.objects.count() == before
    planted = result["planted"]
    assert planted["existing"] == 12  # every known person in the sample, as a row
    assert result["created"] + result["duplicates_skipped"] + result["failed"] == 300
    # every known lead or contact and every repeat is found (respelled names, the phone in another format)
    assert result["duplicates_found"] == planted["existing"] + planted["in_file"]
    assert result["failed"] == planted["bad"]
    assert result["seconds"] > 0
    assert result["rows_per_s"] > 0
