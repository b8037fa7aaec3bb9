"""Uploads: everything refused is refused with a clear error and nothing stored."""

import pytest

from apps.accounts.roles import Role
from apps.audit.models import SecurityEvent
from apps.documents.inspection import EICAR
from apps.documents.models import Document
from tests.documents.conftest import PDF_WITH_TEXT, docx_bytes, text_image, upload
from tests.factories.customers import CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent_and_customer(auth_client):
    client, agent = auth_client(Role.AGENT)
    return client, CustomerFactory(agent=agent)


def post(client, customer, file, **fields):
    return client.post(f"/api/v1/customers/{customer.pk}/documents", {"file": file, **fields}, format="multipart")


def stored_files() -> list[str]:
    storage = Document._meta.get_field("file").storage
    found, stack = [], [""]
    while stack:
        folder = stack.pop()
        if not storage.exists(folder or "."):
            continue
        dirs, files = storage.listdir(folder or ".")
        found += [f"{folder}/{f}" for f in files]
        stack += [f"{folder}/{d}".lstrip("/") for d in dirs]
    return found


def test_pdf_upload_is_sniffed_and_stored_privately(agent_and_customer):
    client, customer = agent_and_customer

    response = post(client, customer, upload("Apólice ../../etc/passwd\x07.exe", PDF_WITH_TEXT), doc_type="invoice")

    assert response.status_code == 201, response.content
    data = response.json()["data"]
    assert data["mime_type"] == "application/pdf"
    assert data["original_name"].endswith(".pdf")
    assert "/" not in data["original_name"]
    assert "\x07" not in data["original_name"]
    assert ".." not in data["original_name"]
    assert data["scan_status"] == "pending"
    document = Document.objects.get(pk=data["id"])
    assert document.file.name.startswith("documents/")
    assert "passwd" not in document.file.name
    assert document.size == len(PDF_WITH_TEXT)


@pytest.mark.parametrize(
    ("name", "data", "status", "code"),
    [
        ("empty.pdf", b"", 400, "empty_file"),
        (
            "invoice.pdf",
            b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200,
            415,
            "unsupported_file_type",
        ),
        ("photo.jpg", b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 200, 415, "unsupported_file_type"),
        ("archive.docx", b"PK\x03\x04" + b"\x00" * 100, 415, "unsupported_file_type"),
        ("eicar.txt", EICAR, 422, "malware_detected"),
        ("eicar.pdf", b"%PDF-1.4\n" + EICAR + b"\n%%EOF", 422, "malware_detected"),
    ],
)
def test_refused_uploads_store_nothing(agent_and_customer, name, data, status, code):
    client, customer = agent_and_customer

    response = post(client, customer, upload(name, data))

    assert response.status_code == status, response.content
    assert response.json()["error"]["code"] == code
    assert Document.all_objects.count() == 0
    assert stored_files() == []


def test_zip_bomb_office_file_is_refused(agent_and_customer, settings):
    client, customer = agent_and_customer
    settings.DOCUMENT_ZIP_MAX_UNCOMPRESSED = 5_000_000
    bomb = docx_bytes(entries={"word/media/bomb.bin": b"\0" * 20_000_000})

    response = post(client, customer, upload("contract.docx", bomb))

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "unsafe_archive"
    assert Document.all_objects.count() == 0


def test_too_many_entries_is_refused(agent_and_customer, settings):
    client, customer = agent_and_customer
    settings.DOCUMENT_ZIP_MAX_ENTRIES = 10
    response = post(client, customer, upload("x.docx", docx_bytes(entries={f"f{i}.xml": b"x" for i in range(20)})))

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "unsafe_archive"


def test_oversized_upload_is_413_and_nothing_stored(agent_and_customer, settings):
    client, customer = agent_and_customer
    settings.DOCUMENT_MAX_BYTES = 1024

    response = post(client, customer, upload("big.pdf", b"%PDF-1.4\n" + b"x" * 5000))

    assert response.status_code == 413
    assert response.json()["error"]["code"] == "file_too_large"
    assert Document.all_objects.count() == 0


def test_office_csv_and_text_types_are_recognised(agent_and_customer):
    client, customer = agent_and_customer
    cases = [
        ("contract.docx", docx_bytes(), "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        ("data.txt", b"policy;amount\nPOL-1;100\nPOL-2;200\n", "text/csv"),
        ("notes.csv", "Olá, notas do cliente.\nSem colunas.".encode(), "text/plain"),
    ]
    for name, data, mime in cases:
        response = post(client, customer, upload(name, data))
        assert response.status_code == 201, (name, response.content)
        assert response.json()["data"]["mime_type"] == mime


def test_json_body_instead_of_multipart_is_415(agent_and_customer):
    client, customer = agent_and_customer

    response = client.post(f"/api/v1/customers/{customer.pk}/documents", {"doc_type": "other"}, format="json")

    assert response.status_code == 415


def test_missing_file_field_is_400(agent_and_customer):
    client, customer = agent_and_customer

    response = client.post(f"/api/v1/customers/{customer.pk}/documents", {"doc_type": "other"}, format="multipart")

    assert response.status_code == 400
    assert "file" in response.json()["error"]["details"]


def test_duplicate_upload_is_reported_not_stored(agent_and_customer):
    client, customer = agent_and_customer
    first = post(client, customer, upload("a.pdf", PDF_WITH_TEXT))

    second = post(client, customer, upload("copy.pdf", PDF_WITH_TEXT))

    assert second.status_code == 409
    assert second.json()["error"]["details"]["document_id"] == first.json()["data"]["id"]
    assert Document.objects.count() == 1
    assert len(stored_files()) == 1


def test_another_agents_customer_is_404_and_nothing_stored(auth_client):
    client, _ = auth_client(Role.AGENT)
    stranger = CustomerFactory()

    response = post(client, stranger, upload("a.pdf", PDF_WITH_TEXT))

    assert response.status_code == 404
    assert Document.all_objects.count() == 0


def test_download_streams_with_safe_headers_and_is_logged(agent_and_customer):
    client, customer = agent_and_customer
    document_id = post(client, customer, upload("a.pdf", PDF_WITH_TEXT)).json()["data"]["id"]

    response = client.get(f"/api/v1/customers/{customer.pk}/documents/{document_id}/download")

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF_WITH_TEXT
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Type"] == "application/pdf"
    assert SecurityEvent.objects.filter(kind="download", details__document_id=document_id).exists()


def test_customer_sees_shared_and_own_documents_only(auth_client, make_user):
    staff_client, agent = auth_client(Role.AGENT)
    client, user = auth_client(Role.CUSTOMER)
    customer = CustomerFactory(user=user, agent=agent)
    internal = post(staff_client, customer, upload("internal.pdf", PDF_WITH_TEXT)).json()["data"]["id"]
    shared = post(staff_client, customer, upload("shared.png", text_image(["Shared"])), visibility="customer")
    mine = post(client, customer, upload("mine.png", text_image(["Mine"])))

    listed = {d["id"] for d in client.get(f"/api/v1/customers/{customer.pk}/documents").json()["data"]["documents"]}

    assert mine.status_code == 201
    assert listed == {shared.json()["data"]["id"], mine.json()["data"]["id"]}
    assert client.get(f"/api/v1/customers/{customer.pk}/documents/{internal}/download").status_code == 404
    assert client.delete(f"/api/v1/customers/{customer.pk}/documents/{shared.json()['data']['id']}").status_code == 403


def test_files_upload_with_entity_type_and_delete(auth_client):
    client, agent = auth_client(Role.AGENT)
    customer = CustomerFactory(agent=agent)

    created = client.post(
        "/api/v1/files/upload",
        {
            "file": upload("a.pdf", PDF_WITH_TEXT),
            "entity_type": "customer",
            "entity_id": customer.pk,
            "is_public": "true",
        },
        format="multipart",
    )
    unknown = client.post(
        "/api/v1/files/upload",
        {"file": upload("b.pdf", PDF_WITH_TEXT), "entity_type": "spaceship", "entity_id": 1},
        format="multipart",
    )
    file_id = created.json()["data"]["id"]
    deleted = client.delete(f"/api/v1/files/{file_id}")
    again = client.delete(f"/api/v1/files/{file_id}")

    assert created.status_code == 201
    assert created.json()["data"]["visibility"] == "customer"
    assert unknown.status_code == 400
    assert deleted.status_code == 204
    assert again.status_code == 404
    assert client.get(f"/api/v1/files/{file_id}/download").status_code == 404
