"""Fraud scoring: each indicator on a constructed claim, the anomaly model (trained, versioned, its version on
the score), the review queue at the threshold, and the reviewer's decision kept with the score."""

import random
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command

from apps.accounts.roles import Role
from apps.claims import fraud, services
from apps.claims.models import Claim, FraudModel
from apps.documents.models import Document
from tests.conftest import client_for
from tests.factories.accounts import UserFactory
from tests.factories.customers import CustomerFactory

pytestmark = pytest.mark.django_db


def codes(claim):
    return {i["code"]: i for i in fraud.claim_fraud_score(claim=claim).indicators}


def test_a_plain_claim_scores_nothing(file_claim):
    assessment = fraud.claim_fraud_score(claim=file_claim(days_ago=3))
    # the policy started 100 days ago; 1,200 of a 50,000 limit; reported the same week; first claim
    assert (assessment.score, assessment.indicators, assessment.model_version) == (0, [], None)


def test_soon_after_inception_and_before_inception(file_claim, insured):
    _, _, policy = insured
    soon = file_claim(days_ago=95)  # 5 days after the start
    assert codes(soon)["soon_after_inception"]["points"] == 20
    Claim.objects.filter(pk=soon.pk).update(incident_date=policy.start_date - timedelta(days=2))
    found = codes(soon)
    assert found["incident_before_inception"]["points"] == 30
    assert "soon_after_inception" not in found


def test_late_reporting(file_claim, settings):
    settings.CLAIM_LATE_REPORTING_DAYS = 30
    claim = file_claim(days_ago=40)
    assert "Reported 40 days after" in codes(claim)["late_reporting"]["explanation"]


def test_amount_close_to_the_limit(file_claim):
    claim = file_claim(amount="46000")  # 92 % of 50,000
    assert codes(claim)["close_to_limit"]["points"] == 15


def test_frequency_of_claims(file_claim):
    file_claim(claim_type="flood", days_ago=20)
    file_claim(claim_type="storm", days_ago=10)
    third = file_claim(claim_type="fire", days_ago=5)
    assert "2 other claims" in codes(third)["frequency"]["explanation"]


def test_the_same_file_on_another_claim(file_claim, insured):
    first, second = file_claim(claim_type="flood"), file_claim(claim_type="fire")
    for claim in (first, second):
        document = Document(
            customer=claim.customer,
            entity_type="claim",
            entity_id=claim.pk,
            original_name="a.jpg",
            mime_type="image/jpeg",
            extension=".jpg",
            size=3,
            sha256="a" * 64,
            scan_status="clean",
        )
        document.file.save("a.jpg", ContentFile(b"abc"), save=False)
        document.save()
    found = codes(second)
    assert found["shared_documents"]["points"] == 25
    assert first.claim_number in found["shared_documents"]["explanation"]


def test_contact_details_and_bank_account_shared_with_other_customers(file_claim, insured, settings):
    user, agent, policy = insured
    policy.customer.phone = "+351912345678"
    policy.customer.save()
    CustomerFactory(phone="+351912345678")
    claim = file_claim()
    assert codes(claim)["shared_contact"]["points"] == 10

    settings.CLAIM_PAYMENT_AUTHORITY = {"agent": 100000, "manager": 100000}
    manager = UserFactory(role=Role.MANAGER)
    services.claim_transition(claim=claim, actor=agent, to="triage")
    services.claim_transition(claim=claim, actor=manager, to="approved", settlement_amount=Decimal("1000"))
    iban = "PT50 0002 0123 1234 5678 9015 4"
    services.claim_payment_request(claim=claim, actor=agent, amount=Decimal("100"), payee_name="X", bank_account=iban)
    assert "shared_bank_account" not in codes(claim)  # only this customer so far

    other_claim = Claim.objects.create(
        claim_number="CLM-OTHER",
        policy=policy,
        customer=CustomerFactory(),
        claim_type="fire",
        coverage_code="b",
        coverage_limit=1000,
        claimed_amount=10,
        currency="EUR",
        description="x",
        incident_date=date.today(),
        incident_place="x",
        reported_date=date.today(),
        status="approved",
        reserve_amount=500,
        settlement_amount=500,
    )
    services.claim_payment_request(
        claim=other_claim, actor=agent, amount=Decimal("50"), payee_name="Y", bank_account=iban.replace(" ", "").lower()
    )
    assert codes(claim)["shared_bank_account"]["points"] == 25


def test_review_queue_threshold_and_decision(file_claim, insured, settings):
    settings.CLAIM_FRAUD_REVIEW_THRESHOLD = 30
    claim = file_claim(days_ago=95, amount="46000")  # soon after inception (20) + close to the limit (15)
    Claim.objects.filter(pk=claim.pk).update(reported_date=claim.incident_date + timedelta(days=1))
    assessment = fraud.claim_fraud_score(claim=claim)
    manager = UserFactory(role=Role.MANAGER)
    client = client_for(manager)

    queue = client.get("/api/v1/fraud/queue").json()["data"]
    agent_decides = client_for(insured[1]).post(
        f"/api/v1/claims/{claim.pk}/fraud/decision", {"decision": "cleared", "note": "x"}, format="json"
    )
    no_note = client.post(f"/api/v1/claims/{claim.pk}/fraud/decision", {"decision": "cleared"}, format="json")
    decided = client.post(
        f"/api/v1/claims/{claim.pk}/fraud/decision",
        {"decision": "cleared", "note": "Policy bought the week the customer moved in; invoices checked"},
        format="json",
    )
    rescored = fraud.claim_fraud_score(claim=claim)
    shown = client.get(f"/api/v1/claims/{claim.pk}/fraud").json()["data"]

    assert assessment.score == 35, [(i["code"], i["points"]) for i in assessment.indicators]
    assert [c["id"] for c in queue["claims"]] == [claim.pk]
    assert agent_decides.status_code == 403
    assert no_note.status_code == 400
    assert decided.status_code == 200
    assert decided.json()["data"]["decision"] == "cleared"
    assert rescored.score == 35
    assert shown["fraud_review"] == "cleared"  # a new score does not re-queue a cleared claim
    assert [a["decision"] for a in shown["assessments"]] == ["", "cleared"]
    assert client.get("/api/v1/fraud/queue").json()["data"]["claims"] == []
    claim.refresh_from_db()
    assert claim.timeline_events.filter(action="Fraud review", internal=True).exists()


def test_filing_schedules_a_score(insured, django_capture_on_commit_callbacks):
    user, _, policy = insured
    with django_capture_on_commit_callbacks(execute=True):
        claim, _ = services.claim_file(
            actor=user,
            policy=policy,
            claim_type="fire",
            claimed_amount=Decimal("46000"),
            description="x",
            incident_date=date.today() - timedelta(days=1),
            incident_place="x",
        )
    claim.refresh_from_db()
    assert claim.fraud_score == 15
    assert claim.fraud_assessments.count() == 1


def test_anomaly_model_trains_versions_and_scores(file_claim, insured, settings):
    settings.CLAIM_FRAUD_MIN_TRAINING_CLAIMS = 40
    user, _, policy = insured
    rng = random.Random(3)
    normal = [
        Claim(
            claim_number=f"CLM-T-{i}",
            policy=policy,
            customer=policy.customer,
            claim_type="fire",
            coverage_code="buildings",
            coverage_limit=Decimal("50000"),
            claimed_amount=Decimal(rng.randrange(800, 2500)),
            currency="EUR",
            description="x",
            incident_date=date.today() - timedelta(days=rng.randrange(2, 90)),
            incident_place="x",
            reported_date=date.today(),
            status="closed",
        )
        for i in range(60)
    ]
    Claim.objects.bulk_create(normal)
    with pytest.raises(ValueError, match="at least 100"):
        settings.CLAIM_FRAUD_MIN_TRAINING_CLAIMS = 100
        fraud.fraud_model_train()
    settings.CLAIM_FRAUD_MIN_TRAINING_CLAIMS = 40

    call_command("train_fraud_model")
    call_command("train_fraud_model")
    odd = file_claim(amount="49000", days_ago=1)
    Claim.objects.filter(pk=odd.pk).update(reported_date=date.today() + timedelta(days=0))
    assessment = fraud.claim_fraud_score(claim=odd)
    typical = fraud.claim_fraud_score(claim=Claim.objects.get(claim_number="CLM-T-5"))

    assert list(FraudModel.objects.values_list("version", flat=True)) == [2, 1]
    assert assessment.model_version == 2
    assert assessment.anomaly > typical.anomaly
    anomaly = [i for i in assessment.indicators if i["code"] == "anomaly"]
    assert anomaly
    assert anomaly[0]["points"] > 0
    assert "v2" in anomaly[0]["explanation"]


def test_the_same_photo_in_another_claims_assessment(file_claim, insured):
    from apps.claims.models import Assessment

    first, second = file_claim(claim_type="flood"), file_claim(claim_type="fire")
    assessment = Assessment.objects.create(claim=first)
    for kind, pk, claim in (("assessment", assessment.pk, first), ("claim", second.pk, second)):
        document = Document(
            customer=claim.customer,
            entity_type=kind,
            entity_id=pk,
            original_name="p.jpg",
            mime_type="image/jpeg",
            extension=".jpg",
            size=3,
            sha256="b" * 64,
            scan_status="clean",
        )
        document.file.save("p.jpg", ContentFile(b"abc"), save=False)
        document.save()
    assert first.claim_number in codes(second)["shared_documents"]["explanation"]
    assert second.claim_number in codes(first)["shared_documents"]["explanation"]


def test_training_reads_a_bounded_sample_with_the_features_scoring_uses(insured):
    """The set-based training query gives each claim exactly the features the one-claim scoring path computes
    (prior claims within 365 days, same-day claims excluded), and reads no more than the sample."""
    _, _, policy = insured
    other = CustomerFactory()
    days = [1, 2, 2, 40, 366, 367, 500, 731]  # same-day pair, the 365-day edge on both sides
    claims = [
        Claim(
            claim_number=f"CLM-W-{i}",
            policy=policy,
            customer=policy.customer if i % 3 else other,
            claim_type="fire",
            coverage_code="buildings",
            coverage_limit=Decimal("50000"),
            claimed_amount=Decimal(900 + 100 * i),
            currency="EUR",
            description="x",
            incident_date=date.today() - timedelta(days=d),
            incident_place="x",
            reported_date=date.today() - timedelta(days=max(0, d - 5)),
            status="closed",
        )
        for i, d in enumerate(days)
    ]
    Claim.objects.bulk_create(claims)
    newest = Claim.objects.order_by("-created_at", "-id")

    trained = fraud.training_features(sample_limit=100)
    scored = fraud.claim_features(fraud._with_prior_claims(newest))
    assert sorted(trained) == sorted(scored)
    assert sorted(row[4] for row in trained) != [0.0] * len(days)  # some claims do have priors
    assert len(fraud.training_features(sample_limit=3)) == 3
    assert sorted(fraud.training_features(sample_limit=3)) == sorted(
        fraud.claim_features(fraud._with_prior_claims(newest[:3]))
    )


def test_training_uses_the_sample_setting(file_claim, insured, settings):
    settings.CLAIM_FRAUD_MIN_TRAINING_CLAIMS = 3
    settings.CLAIM_FRAUD_TRAINING_SAMPLE = 4
    for n in range(6):
        file_claim(days_ago=n + 2)

    model = fraud.fraud_model_train()

    assert model.sample_count == 4
