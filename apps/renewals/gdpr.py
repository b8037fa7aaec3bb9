"""The renewals app's part of a customer's GDPR export and erasure (hooks `gdpr.export`, `gdpr.erase`).

Kept on erasure: the cases' numbers, periods, statuses, amounts and payment facts (they back the renewed
contracts). Scrubbed: the agents' notes, escalation reasons and timeline details, which may name the person."""

from django.db.models import Prefetch

from apps.core.erasure import history_of, scrub_text
from apps.customers.models import Customer

from .models import CaseEvent, RenewalCase

CASE_FIELDS = (
    "case_number",
    "renewal_period",
    "status",
    "renewal_amount",
    "payment_status",
    "payment_method",
    "payment_date",
    "communication_attempts",
    "last_contact_date",
    "created_at",
)
STAFF_CASE_FIELDS = ("priority", "notes", "escalation_reason", "escalated_at")


def export_customer_data(customer: Customer, archive, *, for_customer: bool) -> dict:
    """The renewal cases of the person's policies with their timelines; the agents' notes, escalations and
    timeline details only in a staff export."""
    cases = (
        RenewalCase.objects.filter(policy__customer=customer)
        .select_related("policy")
        .prefetch_related(Prefetch("timeline_events", queryset=CaseEvent.objects.order_by("occurred_at", "id")))
        .order_by("renewal_period", "id")
    )
    exported = []
    for case in cases:
        row = {name: getattr(case, name) for name in CASE_FIELDS}
        row["policy_number"] = case.policy.policy_number
        row["timeline"] = [
            {"occurred_at": e.occurred_at, "action": e.action, **({} if for_customer else {"details": e.details})}
            for e in case.timeline_events.all()
        ]
        if not for_customer:
            row |= {name: getattr(case, name) for name in STAFF_CASE_FIELDS}
        exported.append(row)
    return {"renewal_cases": exported}


def erase_customer_data(customer: Customer) -> None:
    cases = RenewalCase.objects.filter(policy__customer=customer)
    scrub_text(cases, "notes", "escalation_reason")
    scrub_text(history_of(RenewalCase, cases.values("pk")), "notes", "escalation_reason")
    scrub_text(CaseEvent.objects.filter(case__in=cases.values("pk")), "details")
