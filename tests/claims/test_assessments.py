"""Assessments (seed 001): sections, photo gallery through the document pipeline, estimates with computed
totals and comparison, accepted estimate → total-loss recommendation with its figures; who may do what."""

import io
from decimal import Decimal

import pytest
from PIL import Image

from apps.accounts.roles import Role
from apps.claims.models import Assessment
from tests.conftest import client_for
from tests.factories.accounts import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def assessed(file_claim, insured):
    """(claim, assessor client, assessment id) — the assessor assigned by a manager, value 10,000."""
    _, agent, _ = insured
    manager, assessor = UserFactory(role=Role.MANAGER), UserFactory(role=Role.ASSESSOR)
    claim = file_claim()
    response = client_for(manager).post(
        f"/api/v1/claims/{claim.pk}/assessment",
        {"assessor_id": assessor.pk, "vehicle_value": "10000.00", "inspection_place": "Oficina Central"},
        format="json",
    )
    assert response.status_code == 201, response.content
    return claim, client_for(assessor), response.json()["data"]["id"]


def photo(name="p.jpg", color="red"):
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), color).save(buffer, "JPEG")
    buffer.seek(0)
    buffer.name = name
    return buffer


def test_opening_creates_nine_sections_and_assigns_the_assessor(assessed):
    claim, client, pk = assessed
    data = client.get(f"/api/v1/claims/{claim.pk}/assessment").json()["data"]
    again = client.post(f"/api/v1/claims/{claim.pk}/assessment", {}, format="json")
    claim.refresh_from_db()

    assert [s["area"] for s in data["sections"]] == [
        "exterior_front",
        "exterior_rear",
        "exterior_left",
        "exterior_right",
        "roof",
        "interior",
        "mechanical",
        "electrical",
        "glass",
    ]
    assert (data["status"], data["completion_percentage"], data["vehicle_value"]) == ("scheduled", 0, "10000.00")
    assert claim.assessor_id == data["assessor"]["id"]
    assert again.status_code == 409


def test_sections_drive_completion_and_severity_and_completion_needs_all(assessed):
    _, client, pk = assessed
    updated = client.put(
        f"/api/v1/assessments/{pk}/sections",
        {
            "sections": [
                {"area": "exterior_rear", "findings": "Bumper split, boot lid dented", "severity": 6, "complete": True},
                {"area": "glass", "findings": "Rear screen cracked", "severity": 3, "complete": True},
            ]
        },
        format="json",
    ).json()["data"]
    too_early = client.patch(f"/api/v1/assessments/{pk}", {"status": "completed"}, format="json")
    out_of_range = client.put(
        f"/api/v1/assessments/{pk}/sections", {"sections": [{"area": "roof", "severity": 11}]}, format="json"
    )
    client.put(
        f"/api/v1/assessments/{pk}/sections",
        {
            "sections": [
                {"area": a, "complete": True}
                for a in (
                    "exterior_front",
                    "exterior_left",
                    "exterior_right",
                    "roof",
                    "interior",
                    "mechanical",
                    "electrical",
                )
            ]
        },
        format="json",
    )
    done = client.patch(f"/api/v1/assessments/{pk}", {"status": "completed", "summary": "Repairable"}, format="json")
    locked = client.put(
        f"/api/v1/assessments/{pk}/sections", {"sections": [{"area": "roof", "severity": 2}]}, format="json"
    )

    assert (updated["status"], updated["completion_percentage"], updated["overall_severity"]) == ("in_progress", 22, 6)
    assert too_early.status_code == 400
    assert "Sections not complete" in str(too_early.json()["error"]["details"])
    assert out_of_range.status_code == 400
    assert done.status_code == 200
    assert (done.json()["data"]["status"], done.json()["data"]["completion_percentage"]) == ("completed", 100)
    assert locked.status_code == 409


def test_estimates_totals_comparison_and_total_loss(assessed, settings):
    settings.CLAIM_TOTAL_LOSS_SHARE = 0.70
    claim, client, pk = assessed
    repairer = client.post(
        f"/api/v1/assessments/{pk}/estimates",
        {
            "source": "repairer",
            "repairer_name": "Oficina Central",
            "labour_rate": "45.00",
            "tax_rate": "0.23",
            "lines": [
                {"kind": "part", "description": "Rear bumper", "quantity": "1", "unit_price": "420.00"},
                {"kind": "part", "description": "Tail light", "quantity": "2", "unit_price": "89.90"},
                {"kind": "labour", "description": "Fit and align", "hours": "6.5"},
                {"kind": "paint", "description": "Bumper and boot lid", "unit_price": "380.00"},
                {"kind": "sundry", "description": "Clips and sealant", "unit_price": "35.00"},
            ],
        },
        format="json",
    )
    internal = client.post(
        f"/api/v1/assessments/{pk}/estimates",
        {"source": "internal", "lines": [{"kind": "part", "description": "Rear end", "unit_price": "7000.00"}]},
        format="json",
    )
    bad = client.post(
        f"/api/v1/assessments/{pk}/estimates",
        {"source": "repairer", "lines": [{"kind": "labour", "description": "x", "hours": "1"}]},
        format="json",
    )
    listed = client.get(f"/api/v1/assessments/{pk}/estimates").json()["data"]

    r = repairer.json()["data"]
    # parts 420 + 179.80; labour 6.5 × 45 = 292.50; paint 380; sundries 35 → 1307.30; tax 23 % = 300.68
    assert (r["parts_total"], r["labour_total"], r["paint_total"], r["sundries_total"]) == (
        "599.80",
        "292.50",
        "380.00",
        "35.00",
    )
    assert (r["subtotal"], r["tax"], r["total"]) == ("1307.30", "300.68", "1607.98")
    assert bad.status_code == 400  # no repairer name, no labour rate
    assert [e["total"] for e in listed["comparison"]["estimates"]] == ["1607.98", "8610.00"]
    assert listed["comparison"]["estimates"][1]["above_lowest"] == "7002.02"

    repair = client.post(f"/api/v1/assessments/{pk}/estimates/{r['id']}/accept").json()["data"]
    assert repair["total_loss_recommendation"] is False
    total = client.post(f"/api/v1/assessments/{pk}/estimates/{internal.json()['data']['id']}/accept").json()["data"]
    assert total["total_loss_recommendation"] is True
    assert total["total_loss_basis"] == {
        "repair_total": "8610.00",
        "vehicle_value": "10000.00",
        "threshold_share": "0.7",
        "threshold_amount": "7000.00",
        "repair_to_value": "0.8610",
        "estimate_id": internal.json()["data"]["id"],
    }
    claim.refresh_from_db()
    assert claim.estimated_cost == Decimal("8610.00")
    assert Assessment.objects.get(pk=pk).estimates.filter(accepted=True).count() == 1


def test_photo_gallery(assessed, django_capture_on_commit_callbacks):
    _, client, pk = assessed
    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(
            f"/api/v1/assessments/{pk}/photos",
            {"file": photo("rear.jpg"), "area": "exterior_rear", "caption": "Rear bumper"},
            format="multipart",
        )
        second = client.post(
            f"/api/v1/assessments/{pk}/photos",
            {"file": photo("glass.jpg", "blue"), "area": "glass"},
            format="multipart",
        )
    not_a_photo = client.post(
        f"/api/v1/assessments/{pk}/photos",
        {"file": io.BytesIO(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF")},
        format="multipart",
    )
    ids = [first.json()["data"]["id"], second.json()["data"]["id"]]
    reordered = client.put(f"/api/v1/assessments/{pk}/photos", {"order": ids[::-1]}, format="json")
    incomplete = client.put(f"/api/v1/assessments/{pk}/photos", {"order": ids[:1]}, format="json")
    gallery = client.get(f"/api/v1/assessments/{pk}/photos").json()["data"]["photos"]
    download = client.get(gallery[0]["url"])

    assert first.status_code == 201, first.content
    assert not_a_photo.status_code == 400
    assert reordered.status_code == 200
    assert incomplete.status_code == 400
    assert [(p["original_name"], p["area"], p["position"]) for p in gallery] == [
        ("glass.jpg", "glass", 0),
        ("rear.jpg", "exterior_rear", 1),
    ]
    assert gallery[0]["thumbnail_url"]  # the pipeline made one
    assert download.status_code == 200


def test_only_the_assigned_assessor_or_a_manager_works_it(assessed, insured):
    claim, _, pk = assessed
    _, agent, _ = insured
    other_assessor = UserFactory(role=Role.ASSESSOR)

    agent_reads = client_for(agent).get(f"/api/v1/assessments/{pk}")
    agent_writes = client_for(agent).put(
        f"/api/v1/assessments/{pk}/sections", {"sections": [{"area": "roof", "severity": 1}]}, format="json"
    )
    stranger = client_for(other_assessor).get(f"/api/v1/assessments/{pk}")
    customer = client_for(insured[0]).get(f"/api/v1/claims/{claim.pk}/assessment")

    assert agent_reads.status_code == 200
    assert agent_writes.status_code == 403
    assert stranger.status_code == 404
    assert customer.status_code == 403


def test_claim_report_pdf_has_the_claim_assessment_photos_estimates_and_timeline(
    assessed, insured, django_capture_on_commit_callbacks
):
    import pypdf

    claim, client, pk = assessed
    _, agent, _ = insured
    client.put(
        f"/api/v1/assessments/{pk}/sections",
        {"sections": [{"area": "exterior_rear", "findings": "Bumper split in two", "severity": 7, "complete": True}]},
        format="json",
    )
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            f"/api/v1/assessments/{pk}/photos",
            {"file": photo("rear.jpg"), "area": "exterior_rear", "caption": "Rear bumper"},
            format="multipart",
        )
    estimate = client.post(
        f"/api/v1/assessments/{pk}/estimates",
        {
            "source": "repairer",
            "repairer_name": "Oficina Central",
            "lines": [{"kind": "part", "description": "Bumper", "unit_price": "500.00"}],
        },
        format="json",
    ).json()["data"]
    client.post(f"/api/v1/assessments/{pk}/estimates/{estimate['id']}/accept")

    response = client_for(agent).get(f"/api/v1/claims/{claim.pk}/report.pdf")
    customer = client_for(insured[0]).get(f"/api/v1/claims/{claim.pk}/report.pdf")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    reader = pypdf.PdfReader(io.BytesIO(response.content))
    text = " ".join(page.extract_text() for page in reader.pages)
    for expected in (
        claim.claim_number,
        "Kitchen fire",
        "Bumper split in two",
        "Oficina Central",
        "615.00",
        "Claim filed",
        "Estimate accepted",
        "Rear bumper",
    ):
        assert expected in text, expected
    assert any(page.images for page in reader.pages)  # the photo is in it
    assert customer.status_code == 403


def test_admin_assessment_page_shows_sections_gallery_and_estimates(assessed, django_capture_on_commit_callbacks):
    from django.test import Client

    claim, client, pk = assessed
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            f"/api/v1/assessments/{pk}/photos",
            {"file": photo("rear.jpg"), "caption": "Rear bumper"},
            format="multipart",
        )
    client.post(
        f"/api/v1/assessments/{pk}/estimates",
        {
            "source": "repairer",
            "repairer_name": "Oficina Central",
            "lines": [{"kind": "part", "description": "Bumper", "unit_price": "500.00"}],
        },
        format="json",
    )
    browser = Client()
    browser.force_login(UserFactory(role=Role.MANAGER))

    page = browser.get(f"/admin/claims/assessment/{pk}/change/").content.decode()
    claim_page = browser.get(f"/admin/claims/claim/{claim.pk}/change/").content.decode()

    assert "Rear bumper" in page
    assert "variant=thumbnail" in page
    assert "Oficina Central" in page
    assert "Exterior — rear" in page
    assert f"/admin/claims/assessment/{pk}/" in claim_page
