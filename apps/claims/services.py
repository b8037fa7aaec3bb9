"""Claim use-cases: filing (FNOL), the workflow state machine, assignment, reserve, payments with four-eyes
approval (booked in the billing ledger in the same transaction), and the communications log.

Every transition locks the claim row, checks the actor's role, and is recorded in the append-only timeline;
an illegal one is a 409 that lists the allowed moves.
"""

import logging
from datetime import date, time
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone

from apps.accounts.models import User
from apps.accounts.roles import Role
from apps.billing.services import claim_payout_book
from apps.catalog.models import Coverage, Peril
from apps.core.crypto import blind_index
from apps.core.events import DASHBOARD_GROUP, publish, role_group, user_group
from apps.core.exceptions import Conflict
from apps.core.sequences import sequence_next_values
from apps.core.workflow import Guard, Transition, Workflow, role_required
from apps.policies.models import Policy, PolicyStatus, Vehicle

from .models import (
    CLAIM_NUMBER_SEQUENCE,
    OPEN_CLAIM_STATUSES,
    Claim,
    ClaimChannel,
    ClaimCommunication,
    ClaimEvent,
    ClaimPayment,
    ClaimPriority,
    ClaimStatus,
    ReserveChange,
)

logger = logging.getLogger("insureops.claims")
S = ClaimStatus
A, M, AG, AS, C = Role.ADMIN, Role.MANAGER, Role.AGENT, Role.ASSESSOR, Role.CUSTOMER
BANK_ACCOUNT_PURPOSE = "claims.bank_account"


def _no_payment_waiting(user, claim: Claim) -> bool:
    return not claim.payments.filter(status=ClaimPayment.Status.PENDING_APPROVAL).exists()


def _settlement_paid(user, claim: Claim) -> bool:
    return claim.settlement_amount is not None and claim.paid_amount >= claim.settlement_amount


def _own_claim_if_customer(user, claim: Claim) -> bool:
    return user is None or user.role != Role.CUSTOMER or claim.customer.user_id == user.pk


def _move(
    target: str,
    sources: set[str],
    roles: set[str],
    *,
    reason: bool = False,
    guards: tuple[Guard, ...] | list[Guard] = (),
) -> Transition:
    """A claim move is named by the status it reaches."""
    prompt = f"Give the reason the claim is {target}." if reason else ""
    return Transition(target, sources=sources, target=target, roles=roles, reason_required=prompt, guards=guards)


# The claim workflow: each status it can reach, from where, and by whom (customers only withdraw their own claim,
# before approval).
CLAIM_WORKFLOW = Workflow(
    "claim",
    [
        _move(S.TRIAGE, {S.SUBMITTED, S.REOPENED}, {A, M, AG}),
        _move(S.ASSESSMENT, {S.TRIAGE}, {A, M, AG, AS}),
        _move(S.APPROVED, {S.TRIAGE, S.ASSESSMENT}, {A, M}),
        _move(S.REJECTED, {S.SUBMITTED, S.TRIAGE, S.ASSESSMENT}, {A, M}, reason=True),
        _move(
            S.WITHDRAWN,
            {S.SUBMITTED, S.TRIAGE, S.ASSESSMENT},
            {A, M, AG, C},
            guards=[Guard(_own_claim_if_customer, "Only the customer who owns the claim can withdraw it.")],
        ),
        _move(S.SETTLEMENT, {S.APPROVED}, {A, M, AG}),
        _move(
            S.PAID,
            {S.SETTLEMENT},
            {A, M, AG},
            guards=[
                Guard(_no_payment_waiting, "A payment is still waiting for approval.", conflict=True),
                Guard(
                    _settlement_paid,
                    lambda claim: (
                        f"Paid {claim.paid_amount} of the {claim.settlement_amount} {claim.currency} settlement so far."
                    ),
                    conflict=True,
                ),
            ],
        ),
        _move(S.CLOSED, {S.PAID, S.REJECTED, S.WITHDRAWN}, {A, M, AG}),
        _move(S.REOPENED, {S.REJECTED, S.CLOSED}, {A, M}, reason=True),
    ],
    conflict_message=lambda claim, to: f"A {claim.get_status_display().lower()} claim cannot move to '{to}'.",
    denied_message=lambda move: f"Your role cannot move a claim to '{move.target}'.",
)
# Who may take the claim actions that are not moves: the API's permission classes and these services read the
# same sets. (Customers file on their own policies only.)
ACTION_ROLES: dict[str, frozenset[str]] = {
    "file": frozenset({A, M, AG, C}),
    "assign": frozenset({A, M, AG}),
    "reserve": frozenset({A, M, AG}),
    "pay": frozenset({A, M, AG}),
    "decide_payment": frozenset({A, M}),
    "fraud_score": frozenset({A, M, AG}),
    "fraud_decide": frozenset({A, M}),
}
RELEASES_RESERVE = {S.REJECTED, S.WITHDRAWN, S.CLOSED}


# --- filing ---------------------------------------------------------------------------------------------


def _in_force_on(policy: Policy, day: date) -> bool:
    if policy.status == PolicyStatus.QUOTED or not (policy.start_date <= day <= policy.end_date):
        return False
    return not (policy.cancelled_at and policy.cancelled_at.date() <= day)


def _cover_for(policy: Policy, claim_type: str) -> Coverage:
    selected = [c["code"] for c in policy.coverage_selections]
    covers = list(Coverage.objects.filter(product_id=policy.product_id, code__in=selected))
    for cover in covers:
        if claim_type in (cover.perils or []):
            return cover
    names = ", ".join(sorted(c.name for c in covers)) or "none"
    raise ValidationError(
        {
            "claim_type": [
                f"Policy {policy.policy_number} does not cover {Peril(claim_type).label.lower()} (its covers: {names})."
            ]
        }
    )


def _vehicle_for(policy: Policy, vehicle: Vehicle | None, day: date) -> Vehicle | None:
    vehicles = [v for v in policy.vehicles.all() if v.added_on <= day and (v.removed_on is None or v.removed_on > day)]
    if vehicle is not None:
        if vehicle.pk not in {v.pk for v in vehicles}:
            raise ValidationError({"vehicle_id": ["That vehicle was not insured by this policy on the incident date."]})
        return vehicle
    return vehicles[0] if len(vehicles) == 1 else None


def claim_numbers_reserve(count: int = 1) -> list[str]:
    year = timezone.localdate().year
    return [f"CLM-{year}-{n:06d}" for n in sequence_next_values(CLAIM_NUMBER_SEQUENCE, count)]


@transaction.atomic
def claim_file(
    *,
    actor: User,
    policy: Policy,
    claim_type: str,
    claimed_amount: Decimal,
    description: str,
    incident_date: date,
    incident_place: str,
    incident_time: time | None = None,
    vehicle: Vehicle | None = None,
    channel: str = ClaimChannel.API,
) -> tuple[Claim, bool]:
    """First notice of loss. Returns (claim, created): a notice for the same policy, incident date and type while
    such a claim is open is linked to it (timeline entry) instead of opening a second claim."""
    today = timezone.localdate()
    role_required(actor, ACTION_ROLES["file"], "Your role cannot file claims.")
    if actor.role == Role.CUSTOMER and policy.customer.user_id != actor.pk:
        raise PermissionDenied("You can only claim on your own policies.")
    if incident_date > today:
        raise ValidationError({"incident_date": ["The incident date is in the future."]})
    if incident_date < policy.start_date:
        raise ValidationError(
            {"incident_date": [f"The incident happened before the policy started ({policy.start_date:%Y-%m-%d})."]}
        )
    if not _in_force_on(policy, incident_date):
        raise ValidationError(
            {"incident_date": [f"Policy {policy.policy_number} was not in force on {incident_date:%Y-%m-%d}."]}
        )
    cover = _cover_for(policy, claim_type)
    vehicle = _vehicle_for(policy, vehicle, incident_date)
    if not description.strip():
        raise ValidationError({"description": ["Say what happened."]})
    # One filing per policy at a time, so two simultaneous notices of the same loss cannot both open a claim.
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [7401, policy.pk])
    existing = (
        Claim.objects.filter(
            policy=policy, incident_date=incident_date, claim_type=claim_type, status__in=OPEN_CLAIM_STATUSES
        )
        .order_by("created_at")
        .first()
    )
    if existing is not None:
        _event(
            existing,
            "Duplicate notice linked",
            actor=actor,
            note=f"A further notice of this loss was received ({channel}): {description.strip()[:1000]}",
            internal=True,
        )
        return existing, False
    handler = policy.agent if policy.agent is not None and policy.agent.role in (Role.AGENT, Role.MANAGER) else None
    if (
        handler is None
        and policy.customer.agent is not None
        and policy.customer.agent.role in (Role.AGENT, Role.MANAGER)
    ):
        handler = policy.customer.agent
    claim = Claim.objects.create(
        claim_number=claim_numbers_reserve()[0],
        policy=policy,
        customer=policy.customer,
        vehicle=vehicle,
        claim_type=claim_type,
        coverage_code=cover.code,
        coverage_limit=cover.limit,
        deductible=cover.deductible,
        claimed_amount=claimed_amount,
        currency=policy.currency,
        description=description.strip(),
        incident_date=incident_date,
        incident_time=incident_time,
        incident_place=incident_place.strip(),
        reported_date=today,
        handler=handler,
        channel=channel,
        filed_by=actor,
    )
    _event(claim, "Claim filed", actor=actor, to_status=S.SUBMITTED, note=f"Filed via {claim.get_channel_display()}")
    _publish_status(claim, None)
    _rescore_later(claim)
    return claim, True


def _rescore_later(claim: Claim) -> None:
    from .tasks import score_fraud

    transaction.on_commit(lambda: score_fraud.delay(claim.pk), robust=True)


# --- workflow -------------------------------------------------------------------------------------------


def _locked(claim: Claim) -> Claim:
    return Claim.objects.select_for_update(of=("self",)).select_related("customer", "policy").get(pk=claim.pk)


def _event(claim: Claim, action: str, *, actor=None, from_status="", to_status="", note="", internal=False) -> None:
    ClaimEvent.objects.create(
        claim=claim,
        action=action,
        actor=actor,
        from_status=from_status,
        to_status=to_status,
        note=note[:4000],
        internal=internal,
    )


def _publish_status(claim: Claim, from_status: str | None) -> None:
    # Not to the customer: the notification of the move is their one message (apps.notifications.subscribers).
    audience = [role_group(Role.MANAGER), DASHBOARD_GROUP]
    for user_id in (claim.handler_id, claim.assessor_id):
        if user_id:
            audience.append(user_group(user_id))
    publish(
        "claim:status_changed",
        {
            "claim_id": claim.pk,
            "claim_number": claim.claim_number,
            "from": from_status,
            "to": claim.status,
            "priority": claim.priority,
        },
        audience=audience,
    )


def _set_reserve(claim: Claim, amount: Decimal, *, actor, reason: str) -> None:
    if amount == claim.reserve_amount:
        return
    ReserveChange.objects.create(
        claim=claim, previous_amount=claim.reserve_amount, new_amount=amount, reason=reason, actor=actor
    )
    _event(
        claim,
        "Reserve changed",
        actor=actor,
        note=f"{claim.reserve_amount} → {amount} {claim.currency}: {reason}",
        internal=True,
    )
    claim.reserve_amount = amount


@transaction.atomic
def claim_transition(
    *,
    claim: Claim,
    actor: User,
    to: str,
    note: str = "",
    settlement_amount: Decimal | None = None,
) -> Claim:
    """Move the claim to `to` under its row lock, as CLAIM_WORKFLOW allows (409 listing the possible moves, 403 for
    the role or someone else's claim, 400 for a missing reason); approving fixes the settlement and the reserve,
    closing moves release what is left of it."""
    claim = _locked(claim)
    from_status = claim.status
    CLAIM_WORKFLOW.check(actor, claim, to, reason=note)
    if to == S.APPROVED:
        if settlement_amount is None or settlement_amount <= 0:
            raise ValidationError({"settlement_amount": ["Approving a claim needs the agreed settlement amount."]})
        if settlement_amount > claim.coverage_limit:
            raise ValidationError(
                {"settlement_amount": [f"More than the cover's limit ({claim.coverage_limit} {claim.currency})."]}
            )
        claim.settlement_amount = settlement_amount
        # The reserve becomes what is left to pay of the agreed settlement (raised or released).
        _set_reserve(
            claim,
            max(settlement_amount - claim.paid_amount, Decimal("0")),
            actor=actor,
            reason="Set to the approved settlement",
        )
    if to == S.PAID:  # its guards checked that the settlement is paid in full
        claim.settlement_date = timezone.localdate()
    if to in RELEASES_RESERVE and claim.reserve_amount:
        _set_reserve(claim, Decimal("0"), actor=actor, reason=f"Released: claim {to}")
    if to == S.CLOSED:
        claim.closed_at = timezone.now()
    if to == S.REOPENED:
        claim.closed_at = None
    claim.status = to
    claim.save()
    _event(
        claim, f"Status: {claim.get_status_display()}", actor=actor, from_status=from_status, to_status=to, note=note
    )
    _publish_status(claim, from_status)
    return claim


@transaction.atomic
def claim_update(*, claim: Claim, actor: User, **changes) -> Claim:
    """Staff edits of the working fields; the money columns and the status move only through their services."""
    allowed = {"priority", "estimated_cost", "description", "incident_place", "incident_time"}
    refused = set(changes) - allowed
    if refused:
        raise ValidationError({name: ["Not editable here."] for name in sorted(refused)})
    claim = _locked(claim)
    if claim.status not in OPEN_CLAIM_STATUSES:
        raise Conflict(f"The claim is {claim.status}; reopen it first.")
    changed = []
    for name, value in changes.items():
        if getattr(claim, name) != value:
            changed.append(name)
            setattr(claim, name, value)
    if changed:
        claim.save()
        _event(claim, "Updated", actor=actor, note=", ".join(changed), internal=True)
    return claim


@transaction.atomic
def claim_assign(*, claim: Claim, actor: User, handler: User | None = None, assessor: User | None = None) -> Claim:
    """Put a handler and/or an assessor on the claim (agents take it for themselves; managers assign anyone)."""
    role_required(actor, ACTION_ROLES["assign"], "Your role cannot assign claims.")
    if handler is None and assessor is None:
        raise ValidationError({"handler": ["Name a handler or an assessor."]})
    if handler is not None and (not handler.is_active or handler.role not in (Role.AGENT, Role.MANAGER)):
        raise ValidationError({"handler": ["Must be an active agent or manager."]})
    if assessor is not None and (not assessor.is_active or assessor.role != Role.ASSESSOR):
        raise ValidationError({"assessor": ["Must be an active assessor."]})
    claim = _locked(claim)
    if actor.role == Role.AGENT and (assessor is not None or (handler is not None and handler.pk != actor.pk)):
        raise PermissionDenied("Agents can only take a claim for themselves; managers assign others.")
    if claim.status not in OPEN_CLAIM_STATUSES:
        raise Conflict(f"The claim is {claim.status}.")
    notes = []
    if handler is not None:
        claim.handler = handler
        notes.append(f"Handler: {handler.get_full_name()}")
    if assessor is not None:
        claim.assessor = assessor
        notes.append(f"Assessor: {assessor.get_full_name()}")
    claim.save()
    _event(claim, "Assigned", actor=actor, note="; ".join(notes), internal=True)
    audience = [user_group(u.pk) for u in (handler, assessor) if u is not None]
    publish(
        "claim:assigned",
        {
            "claim_id": claim.pk,
            "claim_number": claim.claim_number,
            "handler_id": handler.pk if handler else None,
            "assessor_id": assessor.pk if assessor else None,
        },
        audience=audience,
    )
    return claim


@transaction.atomic
def claim_escalate(*, claim: Claim, actor: User, escalated_to: User, reason: str) -> Claim:
    """Hand an open claim up to a manager: they become its handler, its priority becomes urgent, and the reason is
    kept on the internal timeline. Agents escalate the claims they handle; managers and admins any they see."""
    role_required(actor, ACTION_ROLES["assign"], "Your role cannot escalate claims.")
    if escalated_to.role != Role.MANAGER or not escalated_to.is_active:
        raise ValidationError({"escalated_to": ["Escalate to an active manager."]})
    if not reason.strip():
        raise ValidationError({"reason": ["Say why the claim is escalated."]})
    claim = _locked(claim)
    if actor.role == Role.AGENT and claim.handler_id != actor.pk:
        raise PermissionDenied("Only the claim's handler or a manager escalates it.")
    if claim.status not in OPEN_CLAIM_STATUSES:
        raise Conflict(f"The claim is {claim.status}.")
    claim.handler, claim.priority = escalated_to, ClaimPriority.URGENT
    claim.save()
    _event(claim, "Escalated", actor=actor, note=f"To {escalated_to.get_full_name()}: {reason.strip()}", internal=True)
    publish(
        "claim:assigned",
        {"claim_id": claim.pk, "claim_number": claim.claim_number, "handler_id": escalated_to.pk, "assessor_id": None},
        audience=[user_group(escalated_to.pk)],
    )
    return claim


# --- money ----------------------------------------------------------------------------------------------


@transaction.atomic
def claim_reserve_set(*, claim: Claim, actor: User, amount: Decimal, reason: str) -> Claim:
    """Set the outstanding reserve, with a reason, within the cover's limit and above what payments hold."""
    role_required(actor, ACTION_ROLES["reserve"], "Your role cannot change a claim's reserve.")
    claim = _locked(claim)
    if not reason.strip():
        raise ValidationError({"reason": ["Say why the reserve changes."]})
    if amount < 0:
        raise ValidationError({"amount": ["A reserve cannot be negative."]})
    if claim.status not in OPEN_CLAIM_STATUSES:
        raise Conflict(f"The claim is {claim.status}; its reserve is closed.")
    held = _held(claim)
    if amount < held:
        raise ValidationError({"amount": [f"Payments waiting for approval hold {held} {claim.currency} of it."]})
    if amount + claim.paid_amount > claim.coverage_limit:
        raise ValidationError(
            {"amount": [f"Reserve plus payments would exceed the cover's limit ({claim.coverage_limit})."]}
        )
    _set_reserve(claim, amount, actor=actor, reason=reason.strip())
    claim.save()
    return claim


@transaction.atomic
def claim_work(
    *,
    claim: Claim,
    actor: User,
    changes: dict | None = None,
    handler: User | None = None,
    assessor: User | None = None,
    reserve: Decimal | None = None,
    reserve_reason: str = "",
    move_to: str = "",
    note: str = "",
    settlement_amount: Decimal | None = None,
) -> Claim:
    """One save of the claims workbench: working fields, people, reserve and a move, all or nothing (a move that
    is refused leaves the new assessor and reserve unsaved too). A note without a move is kept on the timeline as
    an internal note; with a move it is the move's note."""
    if changes:
        claim = claim_update(claim=claim, actor=actor, **changes)
    if handler is not None or assessor is not None:
        claim = claim_assign(claim=claim, actor=actor, handler=handler, assessor=assessor)
    if reserve is not None:
        claim = claim_reserve_set(claim=claim, actor=actor, amount=reserve, reason=reserve_reason)
    if move_to:
        claim = claim_transition(claim=claim, actor=actor, to=move_to, note=note, settlement_amount=settlement_amount)
    elif note.strip():
        claim = _locked(claim)
        _event(claim, "Note", actor=actor, note=note.strip(), internal=True)
    return claim


def _held(claim: Claim) -> Decimal:
    """Money reserved for payments waiting for approval."""
    return sum((p.amount for p in claim.payments.filter(status=ClaimPayment.Status.PENDING_APPROVAL)), Decimal("0"))


def payment_authority(user: User) -> Decimal:
    return Decimal(str(settings.CLAIM_PAYMENT_AUTHORITY.get(user.role, 0)))


def _normalise_iban(value: str) -> str:
    return "".join(value.split()).upper()


@transaction.atomic
def claim_payment_request(
    *,
    claim: Claim,
    actor: User,
    amount: Decimal,
    payee_name: str,
    payee_type: str = "customer",
    bank_account: str = "",
    note: str = "",
) -> ClaimPayment:
    """Pay against the reserve. Within the requester's authority it is paid (and booked) now; above it, it waits
    for an approver. The reserve is held for it either way."""
    role_required(actor, ACTION_ROLES["pay"], "Your role cannot pay claims.")
    claim = _locked(claim)
    if claim.status not in (S.APPROVED, S.SETTLEMENT):
        raise Conflict(f"Payments are made on approved claims in settlement; this one is {claim.status}.")
    if amount <= 0:
        raise ValidationError({"amount": ["Must be positive."]})
    amount = Decimal(amount).quantize(Decimal("0.01"))
    held = _held(claim)
    if amount > claim.reserve_amount - held:
        raise ValidationError(
            {"amount": [f"More than the outstanding reserve ({claim.reserve_amount - held} {claim.currency})."]}
        )
    left = (claim.settlement_amount or Decimal("0")) - claim.paid_amount - held
    if amount > left:
        raise ValidationError(
            {"amount": [f"More than what is left of the agreed settlement ({left} {claim.currency})."]}
        )
    iban = _normalise_iban(bank_account)
    account_hash = blind_index(iban, purpose=BANK_ACCOUNT_PURPOSE) if iban else ""
    shared_account = bool(account_hash) and (
        ClaimPayment.objects.filter(bank_account_hash=account_hash)
        .exclude(claim__customer_id=claim.customer_id)
        .exists()
    )
    payment = ClaimPayment.objects.create(
        claim=claim,
        amount=amount,
        currency=claim.currency,
        payee_type=payee_type,
        payee_name=payee_name.strip(),
        bank_account_hash=account_hash,
        bank_account_last4=iban[-4:] if iban else "",
        note=note.strip(),
        status=ClaimPayment.Status.PENDING_APPROVAL,
        requested_by=actor,
    )
    if iban:
        _rescore_later(claim)  # the bank account may be shared with other customers
    # Authority covers what the claim pays in all (paid + waiting + this one), not each payment on its own, so a
    # large settlement cannot be paid out in instalments below the limit.
    within = claim.paid_amount + held + amount <= payment_authority(actor)
    if within and not shared_account:
        _pay(claim, payment, approver=None)
    else:
        why = (
            "the bank account also received payments for other customers"
            if shared_account
            else f"above {actor.get_role_display()} authority for this claim"
        )
        _event(
            claim,
            "Payment awaiting approval",
            actor=actor,
            note=f"{amount} {claim.currency} to {payment.payee_name} ({why})",
            internal=True,
        )
        publish(
            "claim:payment_pending",
            {"claim_id": claim.pk, "payment_id": payment.pk, "amount": str(amount)},
            audience=[role_group(Role.MANAGER)],
        )
    return payment


@transaction.atomic
def claim_payment_decide(*, payment: ClaimPayment, actor: User, approve: bool, note: str = "") -> ClaimPayment:
    """Four eyes: the approver is not the requester and has the authority for the amount."""
    claim = _locked(payment.claim)
    payment = ClaimPayment.objects.select_for_update().get(pk=payment.pk)
    if payment.status != ClaimPayment.Status.PENDING_APPROVAL:
        raise Conflict(f"This payment is already {payment.get_status_display().lower()}.")
    if actor.pk == payment.requested_by_id:
        raise PermissionDenied("The person who requested a payment cannot approve it.")
    role_required(actor, ACTION_ROLES["decide_payment"], "Payments are approved by managers.")
    if approve and payment.amount > payment_authority(actor):
        raise PermissionDenied(f"{payment.amount} {payment.currency} is above your approval authority.")
    if approve and payment.amount > claim.reserve_amount:
        raise Conflict(f"The outstanding reserve ({claim.reserve_amount} {claim.currency}) no longer covers it.")
    payment.decided_by, payment.decided_at, payment.decision_note = actor, timezone.now(), note.strip()[:300]
    if approve:
        _pay(claim, payment, approver=actor)
    else:
        if not note.strip():
            raise ValidationError({"note": ["Say why the payment is rejected."]})
        payment.status = ClaimPayment.Status.REJECTED
        payment.save()
        _event(
            claim, "Payment rejected", actor=actor, note=f"{payment.amount} {payment.currency}: {note}", internal=True
        )
    return payment


def _pay(claim: Claim, payment: ClaimPayment, *, approver: User | None) -> None:
    """Mark paid, take it off the reserve, and book the payout (claims expense against cash) atomically."""
    now = timezone.now()
    payment.ledger_booking = claim_payout_book(
        customer=claim.customer,
        policy=claim.policy,
        amount=payment.amount,
        currency=payment.currency,
        payee_name=payment.payee_name,
        claim_number=claim.claim_number,
        reference=f"claim-payment:{payment.pk}",
        occurred_at=now,
    )
    payment.status = ClaimPayment.Status.PAID
    payment.paid_at = now
    payment.save()
    claim.reserve_amount -= payment.amount
    claim.paid_amount += payment.amount
    if claim.status == S.APPROVED:
        from_status, claim.status = claim.status, S.SETTLEMENT
        _event(
            claim,
            "Status: In settlement",
            actor=approver or payment.requested_by,
            from_status=from_status,
            to_status=S.SETTLEMENT,
            note="First payment made",
        )
        _publish_status(claim, from_status)
    claim.save()
    who = f", approved by {approver.get_full_name()}" if approver else ""
    actor = approver or payment.requested_by
    _event(claim, "Payment made", actor=actor, note=f"{payment.amount} {payment.currency} paid")  # public
    _event(
        claim,
        "Payment details",
        actor=actor,
        note=f"{payment.amount} {payment.currency} to {payment.payee_name}{who}",
        internal=True,
    )


# --- communications -----------------------------------------------------------------------------------------


@transaction.atomic
def claim_communication_add(
    *,
    claim: Claim,
    actor: User,
    stakeholder: str,
    channel: str,
    direction: str,
    body: str,
    subject: str = "",
    contact_name: str = "",
    occurred_at=None,
    attachments=(),
) -> ClaimCommunication:
    if not body.strip():
        raise ValidationError({"body": ["Empty message."]})
    foreign = [d.pk for d in attachments if d.entity_type != "claim" or d.entity_id != claim.pk]
    if foreign:
        raise ValidationError({"attachment_ids": [f"Not documents of this claim: {foreign}."]})
    communication = ClaimCommunication.objects.create(
        claim=claim,
        stakeholder=stakeholder,
        channel=channel,
        direction=direction,
        subject=subject.strip(),
        body=body.strip(),
        contact_name=contact_name.strip(),
        author=actor,
        occurred_at=occurred_at or timezone.now(),
    )
    if attachments:
        communication.attachments.set(attachments)
    return communication


# --- fraud review -------------------------------------------------------------------------------------------


@transaction.atomic
def claim_fraud_decide(*, claim: Claim, actor: User, decision: str, note: str) -> Claim:
    """A person's decision on the latest fraud score, kept with that score (the score itself is advisory)."""
    from .models import FraudAssessment, FraudReview

    role_required(actor, ACTION_ROLES["fraud_decide"], "Fraud decisions are recorded by managers.")
    if decision not in (FraudReview.CLEARED, FraudReview.INVESTIGATING, FraudReview.CONFIRMED):
        raise ValidationError({"decision": ["One of: cleared, investigating, confirmed."]})
    if not note.strip():
        raise ValidationError({"note": ["Record what the decision rests on."]})
    claim = _locked(claim)
    assessment = FraudAssessment.objects.select_for_update().filter(claim=claim).first()
    if assessment is None:
        raise Conflict("The claim has not been scored yet.")
    assessment.decision, assessment.decision_note = decision, note.strip()
    assessment.decided_by, assessment.decided_at = actor, timezone.now()
    assessment.save()
    claim.fraud_review = decision
    claim.save()
    _event(
        claim,
        "Fraud review",
        actor=actor,
        note=f"{FraudReview(decision).label} at score {assessment.score}: {note.strip()}",
        internal=True,
    )
    return claim
