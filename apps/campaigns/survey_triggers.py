"""Lifecycle surveys: which event sends which survey, to whom, about what.

- a claim closed (`claim:status_changed` to closed) → the survey published for `claim_closed` (a CSAT);
- a renewal completed (`case:updated` with status renewed) → `renewal_completed` (an NPS);
- a ticket resolved (`ticket:updated`, change status, to resolved) → `ticket_resolved` (a CSAT) — the service
  desk's "satisfaction survey hook" (support.Ticket.satisfaction_rating says the surveys app sends it).

Subscribers (wired by apps.core from `SUBSCRIPTIONS`) queue one task per event; the task invites the object's
customer once per object (`key` = trigger and record number), so a redelivered event or a ticket resolved twice
sends one survey. The survey is about the person who served the customer: the claim's handler, the case's
agent, the ticket's assignee (else the customer's own agent); the product line is the policy's.
"""

from django.db import transaction

from apps.claims.models import Claim
from apps.renewals.models import RenewalCase
from apps.support.models import Ticket

from .models import SurveyInvitation, SurveyTrigger
from .services.surveys import survey_invite_for_trigger

T = SurveyTrigger


def invite_for(trigger: str, object_id: int) -> SurveyInvitation | None:
    if trigger == T.CLAIM_CLOSED:
        claim = Claim.objects.select_related("customer__agent", "handler", "policy").filter(pk=object_id).first()
        if claim is None:
            return None
        customer, agent = claim.customer, claim.handler
        source, line = f"claim_closed:{claim.claim_number}", claim.policy.policy_type
    elif trigger == T.RENEWAL_COMPLETED:
        case = RenewalCase.objects.select_related("policy__customer__agent", "assigned_to").filter(pk=object_id).first()
        if case is None:
            return None
        customer, agent = case.policy.customer, case.assigned_to
        source, line = f"renewal_completed:{case.case_number}", case.policy.policy_type
    elif trigger == T.TICKET_RESOLVED:
        ticket = (
            Ticket.objects.select_related("customer__agent", "assignee", "policy", "claim__policy")
            .filter(pk=object_id)
            .first()
        )
        if ticket is None:
            return None
        customer, agent = ticket.customer, ticket.assignee
        policy = ticket.policy or (ticket.claim.policy if ticket.claim is not None else None)
        source, line = f"ticket_resolved:{ticket.ticket_number}", policy.policy_type if policy else ""
    else:
        raise ValueError(f"Unknown survey trigger {trigger!r}")
    with transaction.atomic():
        return survey_invite_for_trigger(
            trigger=trigger, customer=customer, source=source, agent=agent or customer.agent, product_line=line
        )


def _queue(trigger: str, object_id: int) -> None:
    from .survey_tasks import survey_invite_for_event

    survey_invite_for_event.delay(trigger, object_id)


def on_claim_status_changed(event: dict) -> None:
    if event["data"]["to"] == "closed":
        _queue(T.CLAIM_CLOSED, event["data"]["claim_id"])


def on_case_updated(event: dict) -> None:
    if event["data"]["status"] == "renewed":
        _queue(T.RENEWAL_COMPLETED, event["data"]["case_id"])


def on_ticket_updated(event: dict) -> None:
    data = event["data"]
    if data["status"] == "resolved" and data["change"] in ("status", "updated"):
        _queue(T.TICKET_RESOLVED, data["ticket_id"])


SUBSCRIPTIONS = {
    "claim:status_changed": on_claim_status_changed,
    "case:updated": on_case_updated,
    "ticket:updated": on_ticket_updated,
}
