"""Premium schedules and accruals along the policy lifecycle: the instalment schedule and premium booking on
activation, endorsements, the unearned-premium refund on cancellation and its reversal on reinstatement, and the
sweep that bills what a lost event left unbilled."""

import uuid
from datetime import date
from decimal import ROUND_DOWN, Decimal

from django.db import transaction
from django.db.models import Case, Sum, Value, When
from django.utils import timezone

from apps.catalog.rating import money
from apps.core.bulk import copy_insert
from apps.policies.models import Endorsement, Policy, PolicyOrigin, PolicyStatus, PolicyTransition

from ..ledger import book
from ..models import (
    OPEN_INSTALMENT_STATUSES,
    Account,
    Commission,
    Instalment,
    Payment,
    Transaction,
    TransactionType,
)
from .balances import policy_is_billed
from .commissions import commission_chargeback
from .loyalty import loyalty_award_claim_free_year, loyalty_discounts_restore

INSTALMENTS_PER_YEAR = {"annual": 1, "semiannual": 2, "quarterly": 4, "monthly": 12}


def split_premium(total: Decimal, parts: int) -> list[Decimal]:
    """Equal instalments in cents; the first absorbs the remainder so they add up exactly."""
    base = (total / parts).quantize(Decimal("0.01"), rounding=ROUND_DOWN)
    return [total - base * (parts - 1), *([base] * (parts - 1))]


def _add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for candidate in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, candidate))
        except ValueError:
            continue
    raise ValueError(day)


@transaction.atomic
def policy_billing_start(*, policy_id: int) -> list[Instalment]:
    """On activation: the instalment schedule and the premium-due booking. Safe to run twice.

    An imported policy (our record of a term an insurer wrote and billed, from a renewal sheet) is not billed:
    we bill the next term, which is issued here when its renewal case is renewed."""
    policy = Policy.objects.select_for_update(of=("self",)).select_related("customer").get(pk=policy_id)
    existing = list(policy.instalments.all())
    if existing or policy.status != PolicyStatus.ACTIVE or policy.origin == PolicyOrigin.IMPORTED:
        return existing
    parts = INSTALMENTS_PER_YEAR[policy.payment_frequency]
    step = 12 // parts
    instalments = Instalment.objects.bulk_create(
        [
            Instalment(
                policy=policy,
                sequence=i + 1,
                due_date=_add_months(policy.start_date, i * step),
                amount=amount,
                currency=policy.currency,
            )
            for i, amount in enumerate(split_premium(policy.premium_amount, parts))
        ]
    )
    kind = TransactionType.RENEWAL if policy.renewed_from_id else TransactionType.PREMIUM_DUE
    book(
        type=kind,
        currency=policy.currency,
        customer=policy.customer,
        policy=policy,
        entries=[(Account.CUSTOMER, policy.premium_amount), (Account.PREMIUM_INCOME, -policy.premium_amount)],
        description=f"Premium {policy.policy_number} {policy.start_date}–{policy.end_date}",
        reference=f"policy:{policy.pk}",
    )
    return instalments


@transaction.atomic
def policy_billing_endorse(*, endorsement_id: int) -> Decimal:
    """Bill an endorsement's pro-rated premium difference (an extra instalment, or a credit). Once."""
    endorsement = Endorsement.objects.get(pk=endorsement_id)
    policy = Policy.objects.select_for_update(of=("self",)).select_related("customer").get(pk=endorsement.policy_id)
    reference = f"endorsement:{endorsement.pk}"
    delta = endorsement.premium_delta
    if delta == 0 or not policy_is_billed(policy) or policy.transactions.filter(reference=reference).exists():
        return Decimal("0.00")
    book(
        type=TransactionType.ENDORSEMENT,
        currency=policy.currency,
        customer=policy.customer,
        policy=policy,
        entries=[(Account.CUSTOMER, delta), (Account.PREMIUM_INCOME, -delta)],
        description=f"Endorsement #{endorsement.sequence} ({endorsement.get_kind_display()}) from "
        f"{endorsement.effective_date}",
        reference=reference,
    )
    if delta > 0:
        last = policy.instalments.order_by("-sequence").first()
        Instalment.objects.create(
            policy=policy,
            sequence=(last.sequence if last else 0) + 1,
            due_date=max(endorsement.effective_date, timezone.localdate()),
            amount=delta,
            currency=policy.currency,
        )
    return delta


@transaction.atomic
def policy_billing_cancel(*, policy_id: int, transition_id: int) -> Decimal:
    """On cancellation: release the unearned premium (pro rata on the premium billed for the rest of the term),
    cancel open instalments and charge back commission on what is refunded; a policy never billed gets its
    loyalty discounts back instead. Acts only if the policy is still cancelled; once per cancellation."""
    policy = Policy.objects.select_for_update(of=("self",)).select_related("customer", "agent").get(pk=policy_id)
    reference = f"cancel:{transition_id}"
    if policy.status != PolicyStatus.CANCELLED or policy.transactions.filter(reference=reference).exists():
        return Decimal("0.00")
    if not policy_is_billed(policy):
        loyalty_discounts_restore(policy, reference=reference)
        return Decimal("0.00")
    cancelled_on = (policy.cancelled_at or timezone.now()).date()
    term_days = (policy.end_date - policy.start_date).days + 1
    remaining = max(0, min(term_days, (policy.end_date - cancelled_on).days))
    unearned = money(policy.premium_amount * Decimal(remaining) / Decimal(term_days))
    book(
        type=TransactionType.REFUND,
        currency=policy.currency,
        customer=policy.customer,
        policy=policy,
        entries=[(Account.PREMIUM_INCOME, unearned), (Account.CUSTOMER, -unearned)],
        description=f"Unearned premium on cancellation ({remaining} of {term_days} days)",
        reference=reference,
    )
    policy.instalments.filter(status__in=OPEN_INSTALMENT_STATUSES).update(status=Instalment.Status.CANCELLED)
    paid = policy.payments.filter(status=Payment.Status.SUCCEEDED).aggregate(total=Sum("amount"))["total"] or 0
    refundable = min(unearned, Decimal(paid))
    if refundable > 0:
        commission_chargeback(policy=policy, refundable=refundable, step=transition_id)
    return unearned


@transaction.atomic
def policy_billing_reinstate(*, policy_id: int, transition_id: int) -> int:
    """On reinstatement: reverse the cancellation refunds not yet reversed, reopen the instalments and
    restore charged-back commission. Returns the number of bookings reversed."""
    policy = Policy.objects.select_for_update(of=("self",)).select_related("customer").get(pk=policy_id)
    if policy.status != PolicyStatus.ACTIVE:
        return 0
    reversed_count = 0
    refunds = policy.transactions.filter(
        type=TransactionType.REFUND, account=Account.CUSTOMER, reference__startswith="cancel:"
    )
    for refund in refunds:
        reference = f"reinstate:{refund.reference}"
        if policy.transactions.filter(reference=reference).exists():
            continue
        book(
            type=TransactionType.REINSTATEMENT,
            currency=policy.currency,
            customer=policy.customer,
            policy=policy,
            entries=[(Account.CUSTOMER, -refund.amount), (Account.PREMIUM_INCOME, refund.amount)],
            description="Cancellation refund reversed on reinstatement",
            reference=reference,
        )
        reversed_count += 1
    # reopened as they stand today: those whose date has passed are overdue again (the policy is in arrears)
    policy.instalments.filter(status=Instalment.Status.CANCELLED).update(
        status=Case(
            When(due_date__lt=timezone.localdate(), then=Value(Instalment.Status.OVERDUE)),
            default=Value(Instalment.Status.DUE),
        )
    )
    for chargeback in Commission.objects.filter(policy=policy, status=Commission.Status.CHARGED_BACK):
        reference = f"reinstate:{chargeback.reference}"
        if Commission.objects.filter(reference=reference).exists():
            continue
        back = -chargeback.amount
        Commission.objects.create(
            policy=policy,
            agent=chargeback.agent,
            payment=chargeback.payment,
            rate=chargeback.rate,
            amount=back,
            currency=chargeback.currency,
            status=Commission.Status.REINSTATED,
            reference=reference,
        )
        book(
            type=TransactionType.COMMISSION,
            currency=chargeback.currency,
            policy=policy,
            agent=chargeback.agent,
            payment=chargeback.payment,
            entries=[(Account.COMMISSION_EXPENSE, back), (Account.AGENT_PAYABLE, -back)],
            description="Commission restored on reinstatement",
            reference=reference,
        )
    return reversed_count


def policy_billing_on_transition(*, transition_id: int) -> str:
    """Route a lifecycle step to its billing consequence (called by the Celery task)."""
    step = PolicyTransition.objects.select_related("policy").get(pk=transition_id)
    if step.to_status == PolicyStatus.ACTIVE and step.from_status == PolicyStatus.QUOTED:
        policy_billing_start(policy_id=step.policy_id)
    elif step.to_status == PolicyStatus.ACTIVE and step.from_status in (PolicyStatus.CANCELLED, PolicyStatus.LAPSED):
        policy_billing_reinstate(policy_id=step.policy_id, transition_id=step.pk)
    elif step.to_status == PolicyStatus.CANCELLED:
        policy_billing_cancel(policy_id=step.policy_id, transition_id=step.pk)
    elif step.to_status == PolicyStatus.RENEWED:
        loyalty_award_claim_free_year(policy=step.policy)
    return step.to_status


SWEEP_LIMIT = 5000  # policies per run (every 15 minutes)
SWEEP_CHUNK = 1000  # policies per transaction


def billing_sweep() -> int:
    """Safety net: active policies we issued that were never billed (a lost event) get their schedule now.

    Set-based: each chunk of policies is locked, re-checked and billed with the same instalments and bookings as
    `policy_billing_start` writes one by one, inserted by COPY (a run of 5,000 policies was a minute and more)."""
    missing = list(
        Policy.objects.filter(status=PolicyStatus.ACTIVE, origin=PolicyOrigin.ISSUED, instalments__isnull=True)
        .order_by()
        .values_list("pk", flat=True)[:SWEEP_LIMIT]
    )
    return sum(_billing_start_chunk(missing[i : i + SWEEP_CHUNK]) for i in range(0, len(missing), SWEEP_CHUNK))


@transaction.atomic
def _billing_start_chunk(policy_ids: list[int]) -> int:
    """`policy_billing_start` for many policies at once (the same rows); returns how many were billed."""
    policies = list(
        Policy.objects.select_for_update(of=("self",))
        .filter(pk__in=policy_ids, status=PolicyStatus.ACTIVE)
        .exclude(origin=PolicyOrigin.IMPORTED)
        .order_by("pk")
        .only(
            "pk",
            "policy_number",
            "customer_id",
            "payment_frequency",
            "start_date",
            "end_date",
            "premium_amount",
            "currency",
            "renewed_from_id",
        )
    )
    billed = set(Instalment.objects.filter(policy_id__in=[p.pk for p in policies]).values_list("policy_id", flat=True))
    policies = [p for p in policies if p.pk not in billed]  # billed meanwhile (the event came after all)
    instalments, entries = [], []
    now = timezone.now()
    for policy in policies:
        parts = INSTALMENTS_PER_YEAR[policy.payment_frequency]
        step = 12 // parts
        for i, amount in enumerate(split_premium(policy.premium_amount, parts)):
            instalments.append((policy.pk, i + 1, _add_months(policy.start_date, i * step), amount, policy.currency))
        kind = TransactionType.RENEWAL if policy.renewed_from_id else TransactionType.PREMIUM_DUE
        booking = uuid.uuid4()
        description = f"Premium {policy.policy_number} {policy.start_date}–{policy.end_date}"[:255]
        for account, amount in (
            (Account.CUSTOMER, policy.premium_amount),
            (Account.PREMIUM_INCOME, -policy.premium_amount),
        ):
            if amount != 0:
                entries.append(
                    (
                        booking,
                        kind,
                        account,
                        amount,
                        policy.currency,
                        policy.customer_id,
                        policy.pk,
                        description,
                        f"policy:{policy.pk}",
                        now,
                    )
                )
    copy_insert(Instalment, ["policy", "sequence", "due_date", "amount", "currency"], instalments)
    copy_insert(
        Transaction,
        [
            "booking",
            "type",
            "account",
            "amount",
            "currency",
            "customer",
            "policy",
            "description",
            "reference",
            "occurred_at",
        ],
        entries,
    )
    return len(policies)
