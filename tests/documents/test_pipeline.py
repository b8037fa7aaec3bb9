"""The background pipeline (run eagerly here): OCR with real tesseract, EXIF stripping, thumbnails,
PDF text, extracted facts, quarantine, validation rules, GDPR export of files."""

import io
import json
import os
import shutil
import zipfile
from datetime import date, timedelta

import pytest
from django.core.files.base import ContentFile
from PIL import Image

from apps.accounts.roles import Role
from apps.customers.services import customer_export
from apps.documents.extraction import extract_facts
from apps.documents.inspection import EICAR
from apps.documents.models import Document
from apps.documents.services import document_process
from tests.documents.conftest import PDF_WITH_TEXT, text_image, upload
from tests.factories.customers import CustomerFactory

pytestmark = pytest.mark.django_db

# Skipped where tesseract is not installed, except when REQUIRE_SERVICES=1 (CI installs it): then it fails.
needs_tesseract = pytest.mark.skipif(
    shutil.which("tesseract") is None and os.environ.get("REQUIRE_SERVICES") != "1",
    reason="tesseract-ocr is not installed (apt-get install tesseract-ocr; CI installs it)",
)


def upload_and_process(client, customer, name, data, django_capture_on_commit_callbacks, **fields):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/api/v1/customers/{customer.pk}/documents", {"file": upload(name, data), **fields}, format="multipart"
        )
    assert response.status_code == 201, response.content
    return Document.objects.get(pk=response.json()["data"]["id"])


@needs_tesseract
def test_ocr_reads_back_text_drawn_by_the_test(auth_client, django_capture_on_commit_callbacks):
    client, agent = auth_client(Role.AGENT)
    customer = CustomerFactory(agent=agent, last_name="Marques")
    image = text_image(["DRIVING LICENCE", "MARQUES JOANA", "VALID UNTIL 2031-05-17", "REG AA-12-BC"])

    document = upload_and_process(
        client, customer, "licence.png", image, django_capture_on_commit_callbacks, doc_type="driving_licence"
    )

    assert document.scan_status == "clean"
    assert "MARQUES" in document.ocr_text.upper()
    facts = document.processed_data["facts"]
    assert "2031-05-17" in facts["dates"]
    assert "AA-12-BC" in facts["vehicle_registrations"]
    validated = client.post("/api/v1/documents/validate", {"document_id": document.pk}, format="json").json()["data"]
    assert validated["validation_status"] == "valid", validated["validation_errors"]


@needs_tesseract
def test_expired_identity_document_is_invalid_with_reason(auth_client, django_capture_on_commit_callbacks):
    client, agent = auth_client(Role.AGENT)
    customer = CustomerFactory(agent=agent, last_name="Pinto")
    image = text_image(["PASSPORT", "PINTO RUI", "EXPIRY 2019-01-31"])
    document = upload_and_process(
        client, customer, "passport.png", image, django_capture_on_commit_callbacks, doc_type="passport"
    )

    data = client.post("/api/v1/documents/validate", {"document_id": document.pk}, format="json").json()["data"]

    assert data["validation_status"] == "invalid"
    assert data["validation_errors"] == ["The document expired on 2019-01-31."]


def test_images_lose_exif_and_gps_and_get_a_thumbnail(auth_client, django_capture_on_commit_callbacks):
    client, agent = auth_client(Role.AGENT)
    customer = CustomerFactory(agent=agent)
    original = text_image(["Damage photo"], fmt="JPEG", exif_gps=True)
    assert Image.open(io.BytesIO(original)).getexif().get(0x010F) == "SpyCam Inc"

    document = upload_and_process(
        client, customer, "car.jpg", original, django_capture_on_commit_callbacks, doc_type="photo"
    )

    with document.file.open("rb") as handle:
        cleaned = Image.open(io.BytesIO(handle.read()))
    assert dict(cleaned.getexif()) == {}
    assert document.thumbnail
    with document.thumbnail.open("rb") as handle:
        assert max(Image.open(io.BytesIO(handle.read())).size) <= 320
    thumb = client.get(f"/api/v1/documents/{document.pk}/download", {"variant": "thumbnail"})
    assert thumb.status_code == 200
    assert thumb["Content-Type"] == "image/jpeg"


def test_pdf_embedded_text_and_facts(auth_client, django_capture_on_commit_callbacks):
    client, agent = auth_client(Role.AGENT)
    customer = CustomerFactory(agent=agent)

    document = upload_and_process(
        client, customer, "invoice.pdf", PDF_WITH_TEXT, django_capture_on_commit_callbacks, doc_type="invoice"
    )

    assert "POL-2026-000123" in document.ocr_text
    facts = document.processed_data["facts"]
    assert facts["policy_numbers"] == ["POL-2026-000123"]
    assert {"amount": "1234.56", "currency": "EUR"} in facts["amounts"]
    validated = client.post("/api/v1/documents/validate", {"document_id": document.pk}, format="json").json()
    assert validated["data"]["validation_status"] == "valid"


def test_extraction_rules():
    facts = extract_facts(
        "Claim CLM-2026-004512 on 03/11/2026 for €2.450,00 and USD 99.95. Vehicle 12-AB-34, call +351 912 345 678 "
        "or mail Claims@Broker.PT. Bad date 31/02/2026."
    )
    assert facts["claim_numbers"] == ["CLM-2026-004512"]
    assert facts["dates"] == ["2026-11-03"]
    assert {"amount": "2450.00", "currency": "EUR"} in facts["amounts"]
    assert {"amount": "99.95", "currency": "USD"} in facts["amounts"]
    assert facts["vehicle_registrations"] == ["12-AB-34"]
    assert facts["phones"] == ["+351912345678"]
    assert facts["emails"] == ["claims@broker.pt"]


def test_file_found_infected_later_is_quarantined_and_never_downloadable(auth_client):
    client, agent = auth_client(Role.AGENT)
    customer = CustomerFactory(agent=agent)
    document = Document(
        customer=customer,
        entity_id=customer.pk,
        original_name="x.txt",
        mime_type="text/plain",
        extension=".txt",
        size=len(EICAR),
        sha256="e" * 64,
        uploaded_by=agent,
    )
    document.file.save("x", ContentFile(b"notes\n" + EICAR), save=False)
    document.save()

    processed = document_process(document_id=document.pk)

    assert processed.scan_status == "infected"
    assert processed.file.name.startswith("quarantine/")
    response = client.get(f"/api/v1/documents/{document.pk}/download")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "quarantined"
    listed = client.get(f"/api/v1/customers/{customer.pk}/documents").json()["data"]["documents"]
    assert listed[0]["download_url"] is None


def test_process_endpoint_reruns_the_pipeline(auth_client, django_capture_on_commit_callbacks):
    client, agent = auth_client(Role.AGENT)
    customer = CustomerFactory(agent=agent)
    document = upload_and_process(client, customer, "a.pdf", PDF_WITH_TEXT, django_capture_on_commit_callbacks)
    Document.objects.filter(pk=document.pk).update(processed_data={}, processed_at=None)

    response = client.post("/api/v1/documents/process", {"document_id": document.pk}, format="json")

    assert response.status_code == 202
    assert response.json()["data"]["processed_data"]["facts"]["policy_numbers"] == ["POL-2026-000123"]


def test_proof_of_address_must_be_recent_and_name_the_customer():
    from apps.documents.validation import document_rule_failures

    customer = CustomerFactory(last_name="Gomes")
    document = Document(
        customer=customer,
        doc_type="proof_of_address",
        scan_status="clean",
        processed_at=date.today(),
        ocr_text="Electricity bill for Ana Gomes",
        processed_data={"facts": {"dates": [(date.today() - timedelta(days=200)).isoformat()]}},
    )

    assert document_rule_failures(document) == ["No date within the last 3 months found."]


def test_gdpr_export_contains_the_customers_files(auth_client, make_user, django_capture_on_commit_callbacks):
    client, agent = auth_client(Role.AGENT)
    customer = CustomerFactory(agent=agent)
    upload_and_process(client, customer, "invoice.pdf", PDF_WITH_TEXT, django_capture_on_commit_callbacks)

    archive = zipfile.ZipFile(io.BytesIO(customer_export(customer=customer, actor=make_user(Role.ADMIN))))

    data = json.loads(archive.read("data.json"))
    assert len(data["documents"]) == 1
    assert archive.read(data["documents"][0]["file"]) == PDF_WITH_TEXT
