"""The claims app's part of a customer's GDPR export and erasure (hooks `gdpr.export`, `gdpr.erase`).

Kept on erasure (claims history: liability, reserving, fraud prevention, accounting): numbers, types, dates,
statuses and amounts. Scrubbed: every free text that may name or locate the person (description, incident place,
timeline notes, communications, payment notes, the customer's own payee name and account digits, assessment
summaries and inspection places, fraud decision notes)."""

from django.db.models import Prefetch

from apps.core.erasure import ERASED, history_of, scrub, scrub_history, scrub_text
from apps.customers.models import Customer

from .models import (
    Assessment,
    AssessmentPhoto,
    Claim,
    ClaimCommunication,
    ClaimEvent,
    ClaimPayment,
    CommunicationChannel,
    Direction,
    FraudAssessment,
    PayeeType,
    Stakeholder,
)

CLAIM_FIELDS = (
    "claim_number",
    "claim_type",
    "coverage_code",
    "claimed_amount",
    "deductible",
    "currency",
    "description",
    "incident_date",
    "incident_time",
    "incident_place",
    "reported_date",
    "status",
    "settlement_amount",
    "settlement_date",
    "paid_amount",
    "channel",
    "created_at",
)
STAFF_CLAIM_FIELDS = ("reserve_amount", "estimated_cost", "fraud_score", "fraud_review", "priority")


def _fields(obj, names) -> dict:
    return {name: getattr(obj, name) for name in names}


def _communications(claim: Claim, *, for_customer: bool) -> list[dict]:
    rows = claim.communications.all()
    if for_customer:  # internal notes and staff-to-staff messages are not the customer's
        rows = [
            c
            for c in rows
            if c.direction != Direction.INTERNAL
            and c.channel != CommunicationChannel.NOTE
            and c.stakeholder != Stakeholder.INTERNAL
        ]
    fields = ("occurred_at", "stakeholder", "channel", "direction", "subject", "body", "contact_name")
    return [_fields(c, fields) for c in rows]


def _payments(claim: Claim, *, for_customer: bool) -> list[dict]:
    fields = ("amount", "currency", "payee_type", "payee_name", "bank_account_last4", "status", "paid_at")
    if not for_customer:
        fields = (*fields, "note", "decision_note", "decided_at")
    return [_fields(p, fields) for p in claim.payments.all()]


def _assessment(claim: Claim, *, for_customer: bool) -> dict | None:
    assessment = getattr(claim, "assessment", None)
    if assessment is None:
        return None
    accepted = next((e for e in assessment.estimates.all() if e.accepted), None)
    data = {
        **_fields(assessment, ("status", "scheduled_for", "inspection_place", "completed_at")),
        "accepted_estimate_total": accepted.total if accepted else None,
    }
    if not for_customer:
        data |= _fields(assessment, ("summary", "vehicle_value", "overall_severity", "total_loss_recommendation"))
        data["sections"] = [_fields(s, ("area", "findings", "severity")) for s in assessment.sections.all()]
        data["estimates"] = [
            _fields(e, ("source", "repairer_name", "reference", "subtotal", "tax", "total", "accepted"))
            for e in assessment.estimates.all()
        ]
    return data


def export_customer_data(customer: Customer, archive, *, for_customer: bool) -> dict:
    """Every claim of the person with its timeline (public part for the customer), communications, payments and
    the vehicle assessment; staff exports add reserves, fraud scores and internal entries."""
    timeline = ClaimEvent.objects.order_by("occurred_at", "id")
    if for_customer:
        timeline = timeline.filter(internal=False)
    claims = (
        Claim.objects.filter(customer=customer)
        .select_related("policy", "vehicle", "assessment")
        .prefetch_related(
            Prefetch("timeline_events", queryset=timeline),
            Prefetch("communications", queryset=ClaimCommunication.objects.order_by("occurred_at", "id")),
            Prefetch("payments", queryset=ClaimPayment.objects.order_by("created_at", "id")),
            "assessment__sections",
            "assessment__estimates",
            "fraud_assessments",
        )
        .order_by("created_at", "id")
    )
    exported = []
    for claim in claims:
        row = {
            **_fields(claim, CLAIM_FIELDS),
            "policy_number": claim.policy.policy_number,
            "vehicle_registration": claim.vehicle.registration if claim.vehicle else None,
            "timeline": [
                _fields(e, ("occurred_at", "action", "from_status", "to_status", "note"))
                for e in claim.timeline_events.all()
            ],
            "communications": _communications(claim, for_customer=for_customer),
            "payments": _payments(claim, for_customer=for_customer),
            "assessment": _assessment(claim, for_customer=for_customer),
        }
        if not for_customer:
            row |= _fields(claim, STAFF_CLAIM_FIELDS)
            row["fraud_assessments"] = [
                _fields(f, ("computed_at", "score", "indicators", "decision", "decision_note"))
                for f in claim.fraud_assessments.all()
            ]
        exported.append(row)
    return {"claims": exported}


def erase_customer_data(customer: Customer) -> None:
    """Scrub the free texts and the customer's own bank details; keep the claims' numbers, dates and money."""
    claims = Claim.objects.filter(customer=customer)
    claim_ids = claims.values("pk")
    scrub_text(claims, "description", "incident_place")
    scrub_text(history_of(Claim, claim_ids), "description", "incident_place")
    scrub_text(ClaimEvent.objects.filter(claim__in=claim_ids), "note")
    scrub_text(ClaimCommunication.objects.filter(claim__in=claim_ids), "subject", "body", "contact_name")
    payments = ClaimPayment.objects.filter(claim__in=claim_ids)
    own = payments.filter(payee_type=PayeeType.CUSTOMER)
    scrub(own, payee_name=ERASED, bank_account_last4="")
    scrub_text(payments, "note", "decision_note")
    scrub_history(ClaimPayment, own.values("pk"), payee_name=ERASED, bank_account_last4="")
    scrub_text(history_of(ClaimPayment, payments.values("pk")), "note", "decision_note")
    assessments = Assessment.objects.filter(claim__in=claim_ids)
    scrub_text(assessments, "summary", "inspection_place")
    scrub_text(history_of(Assessment, assessments.values("pk")), "summary", "inspection_place")
    fraud = FraudAssessment.objects.filter(claim__in=claim_ids)
    scrub_text(fraud, "decision_note")
    scrub_text(history_of(FraudAssessment, fraud.values("pk")), "decision_note")
    photos = AssessmentPhoto.objects.filter(assessment__in=assessments.values("pk"))
    scrub_text(photos, "caption")
    scrub_text(history_of(AssessmentPhoto, photos.values("pk")), "caption")
