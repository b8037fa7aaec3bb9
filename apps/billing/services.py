"""Billing use-cases: premium schedules, payments (manual and provider webhooks), refunds on cancellation,
commissions and loyalty points. Money is Decimal in cents, in the policy's currency."""

import hashlib
import hmac
import json
import logging
import time
import uuid
from datetime import date, timedelta
from decimal import ROUND_DOWN, Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Case, Exists, OuterRef, Sum, Value, When
from django.template.loader import render_to_string
from django.utils import timezone

from apps.accounts.models import User
from apps.catalog.rating import money
from apps.core.bulk import copy_insert
from apps.core.events import publish, user_group
from apps.core.exceptions import Conflict, Invalid, NotFound
from apps.customers.contact import Message, customer_contact_channel, customer_in_quiet_hours, customer_message_send
from apps.customers.models import Customer
from apps.policies.models import Endorsement, Policy, PolicyOrigin, PolicyStatus, PolicyTransition

from .arrears import policy_reinstate_if_arrears_paid
from .hooks import policy_had_claims
from .ledger import book
from .models import (
    OPEN_INSTALMENT_STATUSES,
    Account,
    CheckoutSession,
    Commission,
    CommissionRate,
    Instalment,
    InstalmentReminder,
    LoyaltyAccount,
    LoyaltyEntry,
    Payment,
    Transaction,
    TransactionType,
    WebhookEvent,
)

logger = logging.getLogger("insureops.billing")
INSTALMENTS_PER_YEAR = {"annual": 1, "semiannual": 2, "quarterly": 4, "monthly": 12}


# --- schedules and accruals ---------------------------------------------------------------------------


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


def customer_policy_balance(policy: Policy) -> Decimal:
    """What the customer still owes on a policy (positive) or is owed (negative)."""
    total = policy.transactions.filter(account=Account.CUSTOMER).aggregate(total=Sum("amount"))["total"]
    return total or Decimal("0.00")


def _is_billed(policy: Policy) -> bool:
    return policy.transactions.filter(type__in=[TransactionType.PREMIUM_DUE, TransactionType.RENEWAL]).exists()


def _customer_credits(policy: Policy) -> Decimal:
    """Everything that paid down the premium: payments, discounts and mid-term reductions."""
    total = policy.transactions.filter(
        account=Account.CUSTOMER,
        amount__lt=0,
        type__in=[TransactionType.PREMIUM_PAID, TransactionType.LOYALTY_DISCOUNT, TransactionType.ENDORSEMENT],
    ).aggregate(total=Sum("amount"))["total"]
    return -(total or Decimal("0"))


@transaction.atomic
def policy_billing_endorse(*, endorsement_id: int) -> Decimal:
    """Bill an endorsement's pro-rated premium difference (an extra instalment, or a credit). Once."""
    endorsement = Endorsement.objects.get(pk=endorsement_id)
    policy = Policy.objects.select_for_update(of=("self",)).select_related("customer").get(pk=endorsement.policy_id)
    reference = f"endorsement:{endorsement.pk}"
    delta = endorsement.premium_delta
    if delta == 0 or not _is_billed(policy) or policy.transactions.filter(reference=reference).exists():
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
    if not _is_billed(policy):
        _loyalty_discounts_restore(policy, reference=reference)
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
        _commission_chargeback(policy=policy, refundable=refundable, step=transition_id)
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


# --- payments ------------------------------------------------------------------------------------------------


@transaction.atomic
def payment_record(
    *,
    policy: Policy,
    amount: Decimal,
    method: str,
    actor: User | None = None,
    paid_at=None,
    provider: str = "manual",
    provider_reference: str = "",
    currency: str | None = None,
    idempotency_key: str = "",
) -> Payment:
    """A premium payment received: allocated to the oldest due instalments, booked, commission earned,
    loyalty points for paying on time. Overpaying the policy is refused. A repeated `idempotency_key`
    returns the payment already recorded."""
    if idempotency_key:
        existing = Payment.objects.filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            if existing.policy_id != policy.pk or existing.amount != money(Decimal(amount)):
                raise Conflict("This idempotency key was used for a different payment.")
            return existing
    policy = (
        Policy.objects.select_for_update(of=("self",)).select_related("customer", "agent", "product").get(pk=policy.pk)
    )
    amount = money(Decimal(amount))
    if amount <= 0:
        raise ValidationError({"amount": ["Must be positive."]})
    if currency and currency != policy.currency:
        raise ValidationError({"currency": [f"This policy is billed in {policy.currency}."]})
    if policy.status not in (PolicyStatus.ACTIVE, PolicyStatus.LAPSED, PolicyStatus.EXPIRED):
        raise Conflict(f"Payments are taken for active, lapsed or expired policies (this one is {policy.status}).")
    outstanding = customer_policy_balance(policy)
    if amount > outstanding:
        raise ValidationError({"amount": [f"Only {outstanding} {policy.currency} is outstanding on this policy."]})
    paid_at = paid_at or timezone.now()
    payment = Payment(
        policy=policy,
        amount=amount,
        currency=policy.currency,
        method=method,
        status=Payment.Status.SUCCEEDED,
        provider=provider,
        provider_reference=provider_reference,
        idempotency_key=idempotency_key,
        paid_at=paid_at,
        recorded_by=actor,
    )
    payment.full_clean()
    try:
        with transaction.atomic():
            payment.save()
    except IntegrityError:
        raise Conflict("This payment was already recorded (provider reference or idempotency key).") from None
    book(
        type=TransactionType.PREMIUM_PAID,
        currency=policy.currency,
        customer=policy.customer,
        policy=policy,
        payment=payment,
        entries=[(Account.CASH, amount), (Account.CUSTOMER, -amount)],
        description=f"Payment {method} {provider_reference}".strip(),
        reference=f"payment:{payment.pk}",
        occurred_at=paid_at,
    )
    on_time = _allocate(policy, payment)
    _commission_earn(policy=policy, payment=payment)
    policy_reinstate_if_arrears_paid(policy=policy)
    if on_time:
        points = int(amount // settings.LOYALTY_EUROS_PER_POINT)
        if points:
            loyalty_earn(
                customer=policy.customer,
                points=points,
                reason=f"On-time payment {policy.policy_number}",
                reference=f"payment:{payment.pk}",
            )
    # Always published: renewals follows it for the case's payment status whether or not the customer has a login.
    publish(
        "payment:received",
        {"payment_id": payment.pk, "policy_id": policy.pk, "amount": str(amount)},
        audience=[user_group(policy.customer.user_id)] if policy.customer.user_id else [],
    )
    return payment


def _allocate(policy: Policy, payment: Payment | None) -> bool:
    """Mark instalments paid, oldest first (due date, then sequence: an endorsement's extra instalment due today
    comes before next month's), while everything credited (payments, discounts, reductions) covers them; a
    partial payment leaves its instalment open. True when every instalment this payment completed was completed
    by its due date."""
    credited = _customer_credits(policy)
    covered = Decimal("0")
    on_time, completed = True, False
    for instalment in policy.instalments.exclude(status=Instalment.Status.CANCELLED).order_by("due_date", "sequence"):
        covered += instalment.amount
        if instalment.status in OPEN_INSTALMENT_STATUSES and covered <= credited:
            paid_at = (payment.paid_at if payment else None) or timezone.now()  # payment_record always sets it
            instalment.status, instalment.paid_at = Instalment.Status.PAID, paid_at
            instalment.save(update_fields=["status", "paid_at", "updated_at"])
            if payment is not None:
                completed = True
                if payment.instalment_id is None:
                    Payment.objects.filter(pk=payment.pk).update(instalment=instalment)
                    payment.instalment = instalment
                on_time = on_time and paid_at.date() <= instalment.due_date
    return on_time and completed


def commission_rate_for(policy: Policy) -> Decimal | None:
    rates = {r.agent_id: r.rate for r in CommissionRate.objects.filter(product_id=policy.product_id)}
    return rates.get(policy.agent_id, rates.get(None))


def _commission_earn(*, policy: Policy, payment: Payment) -> None:
    rate = commission_rate_for(policy)
    if rate is None or policy.agent is None:
        return
    amount = money(payment.amount * rate)
    Commission.objects.create(
        policy=policy,
        agent=policy.agent,
        payment=payment,
        rate=rate,
        amount=amount,
        currency=policy.currency,
        status=Commission.Status.EARNED,
        reference=f"earn:{payment.pk}",
    )
    book(
        type=TransactionType.COMMISSION,
        currency=policy.currency,
        policy=policy,
        agent=policy.agent,
        payment=payment,
        entries=[(Account.COMMISSION_EXPENSE, amount), (Account.AGENT_PAYABLE, -amount)],
        description=f"Commission {rate:.2%} on {payment.amount}",
        reference=f"commission:{payment.pk}",
    )


def _commission_chargeback(*, policy: Policy, refundable: Decimal, step: int) -> None:
    """Take back the commission earned on the refunded part of the premium (newest payments first)."""
    left = refundable
    for commission in (
        Commission.objects.filter(policy=policy, status=Commission.Status.EARNED)
        .select_related("payment")
        .order_by("-created_at", "-id")
    ):
        if left <= 0:
            break
        base = min(left, commission.payment.amount)
        back = money(base * commission.rate)
        left -= base
        if back == 0:
            continue
        Commission.objects.create(
            policy=policy,
            agent=commission.agent,
            payment=commission.payment,
            rate=commission.rate,
            amount=-back,
            currency=commission.currency,
            status=Commission.Status.CHARGED_BACK,
            reference=f"chargeback:{commission.payment_id}:{step}",
        )
        book(
            type=TransactionType.COMMISSION_CHARGEBACK,
            currency=commission.currency,
            policy=policy,
            agent=commission.agent,
            payment=commission.payment,
            entries=[(Account.AGENT_PAYABLE, back), (Account.COMMISSION_EXPENSE, -back)],
            description="Commission charged back on cancellation refund",
            reference=f"chargeback:{commission.payment_id}:{step}",
        )


# --- claim payouts ----------------------------------------------------------------------------------------------


def claim_payout_book(
    *,
    customer: Customer,
    policy: Policy,
    amount: Decimal,
    currency: str,
    payee_name: str,
    claim_number: str,
    reference: str,
    occurred_at,
) -> uuid.UUID:
    """Book a claim payment made on a customer's claim: claims expense against cash, linked to the customer and
    policy so it is in their transaction history. It never touches the customer account: a payout does not
    change what they owe in premiums. Runs in the caller's transaction (claims pays and books atomically)."""
    amount = money(Decimal(amount))
    if amount <= 0:
        raise ValidationError({"amount": ["Must be positive."]})
    return book(
        type=TransactionType.CLAIM_PAYOUT,
        entries=[(Account.CLAIMS_EXPENSE, amount), (Account.CASH, -amount)],
        currency=currency,
        description=f"Claim {claim_number} payment to {payee_name}",
        reference=reference,
        occurred_at=occurred_at,
        customer=customer,
        policy=policy,
    )


# --- provider webhooks ----------------------------------------------------------------------------------------


def webhook_signature(*, secret: str, timestamp: int, body: bytes) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def payment_webhook_receive(*, provider: str, body: bytes, signature_header: str) -> tuple[str, Payment | None]:
    """Verify `t=<unix>,v1=<hex>` over "<t>.<body>" with the provider's secret (5-minute tolerance), then
    process the event once. Returns ("processed" | "duplicate" | "ignored", payment)."""
    secret = settings.PAYMENT_WEBHOOK_SECRETS.get(provider)
    if not secret:
        raise NotFound("Unknown payment provider.", code="unknown_provider")
    parts = dict(part.split("=", 1) for part in (signature_header or "").split(",") if "=" in part)
    try:
        timestamp = int(parts.get("t", ""))
    except ValueError:
        raise Invalid("Missing or malformed signature.", code="bad_signature") from None
    expected = webhook_signature(secret=secret, timestamp=timestamp, body=body)
    given = parts.get("v1", "")
    if not given.isascii() or not hmac.compare_digest(expected, given):
        raise Invalid("The signature does not match.", code="bad_signature")
    if abs(time.time() - timestamp) > settings.PAYMENT_WEBHOOK_TOLERANCE:
        raise Invalid("The signature has expired.", code="stale_signature")
    try:
        event = json.loads(body)
        event_id, event_type, data = str(event["id"]), str(event["type"]), event.get("data") or {}
        if not isinstance(data, dict):
            raise TypeError("data")
    except (ValueError, KeyError, TypeError):
        raise Invalid("The event is not a JSON object with id, type and data.", code="malformed_event") from None
    reference = str(data.get("reference") or event_id)[:100]
    with transaction.atomic():
        try:
            with transaction.atomic():
                record = WebhookEvent.objects.create(provider=provider, event_id=event_id, payload=event)
        except IntegrityError:
            return "duplicate", Payment.objects.filter(provider=provider, provider_reference=reference).first()
        if event_type != "payment.succeeded":
            WebhookEvent.objects.filter(pk=record.pk).update(status=WebhookEvent.Status.IGNORED)
            return "ignored", None
        # A hosted checkout's payment names its session: locked first, so two deliveries of one charge serialise.
        checkout = (
            CheckoutSession.objects.select_for_update()
            .select_related("policy")
            .filter(provider=provider, reference=str(data["checkout"]))
            .first()
            if data.get("checkout")
            else None
        )
        existing = Payment.objects.filter(provider=provider, provider_reference=reference).first()
        if existing is not None:  # the provider retried the same charge under a new event id
            return "duplicate", existing
        policy = (
            checkout.policy
            if checkout is not None
            else Policy.objects.filter(policy_number=str(data.get("policy_number", ""))).first()
        )
        try:
            if data.get("checkout") and checkout is None:
                raise ValidationError("Unknown checkout session.")
            if policy is None:
                raise ValidationError("Unknown policy number.")
            amount = Decimal(str(data["amount"]))
            with transaction.atomic():
                payment = payment_record(
                    policy=policy,
                    amount=amount,
                    currency=data.get("currency"),
                    method=str(data.get("method") or Payment.Method.CARD),
                    provider=provider,
                    provider_reference=reference,
                )
                if checkout is not None:
                    CheckoutSession.objects.filter(pk=checkout.pk).update(
                        status=CheckoutSession.Status.COMPLETED, payment=payment, completed_at=timezone.now()
                    )
        except (ValidationError, Conflict, KeyError, ArithmeticError) as exc:
            # Money arrived that we cannot apply: keep it for someone to resolve; the provider must not retry.
            note = "; ".join(getattr(exc, "messages", [])) or str(getattr(exc, "detail", exc))
            WebhookEvent.objects.filter(pk=record.pk).update(status=WebhookEvent.Status.UNAPPLIED, note=note[:300])
            logger.warning("Unapplied %s payment %s: %s", provider, reference, note)
            return "unapplied", None
        return "processed", payment


# --- loyalty ---------------------------------------------------------------------------------------------------


def _loyalty_account(customer: Customer) -> LoyaltyAccount:
    LoyaltyAccount.objects.get_or_create(customer=customer)
    return LoyaltyAccount.objects.select_for_update().get(customer=customer)


@transaction.atomic
def loyalty_earn(
    *, customer: Customer, points: int, reason: str, reference: str = "", today: date | None = None
) -> LoyaltyEntry | None:
    """Credit points that expire after LOYALTY_POINTS_VALID_DAYS; once per reference."""
    if points <= 0:
        raise ValidationError({"points": ["Must be positive."]})
    account = _loyalty_account(customer)
    if reference and account.entries.filter(reference=reference).exists():
        return None
    today = today or timezone.localdate()
    entry = LoyaltyEntry.objects.create(
        account=account,
        kind=LoyaltyEntry.Kind.EARNED,
        points=points,
        remaining=points,
        reason=reason[:200],
        reference=reference,
        expires_on=today + timedelta(days=settings.LOYALTY_POINTS_VALID_DAYS),
    )
    account.balance += points
    account.save(update_fields=["balance"])
    return entry


def _consume(account: LoyaltyAccount, points: int) -> None:
    left = points
    for lot in account.entries.filter(kind=LoyaltyEntry.Kind.EARNED, remaining__gt=0).order_by("expires_on", "id"):
        used = min(left, lot.remaining)
        lot.remaining -= used
        lot.save(update_fields=["remaining"])
        left -= used
        if left == 0:
            return
    raise ValidationError({"points": ["Not enough points."]})  # unreachable while the balance is consistent


@transaction.atomic
def loyalty_redeem(*, customer: Customer, policy: Policy, points: int, actor: User | None = None) -> LoyaltyEntry:
    """Turn points into a discount on a policy's premium (new or renewal term), booked in the ledger. The
    account row is locked, so two concurrent redemptions cannot spend the same points."""
    if points <= 0 or points % settings.LOYALTY_REDEMPTION_STEP:
        raise ValidationError({"points": [f"Redeem a positive multiple of {settings.LOYALTY_REDEMPTION_STEP}."]})
    # Lock order: policy, then points account (as payment_record), so a payment and a redemption serialise.
    policy = Policy.objects.select_for_update(of=("self",)).get(pk=policy.pk)
    if policy.currency != settings.LOYALTY_CURRENCY:
        raise ValidationError(
            {
                "policy_id": [
                    f"Points are worth {settings.LOYALTY_CURRENCY}; this policy is billed in {policy.currency}."
                ]
            }
        )
    if policy.customer_id != customer.pk:
        raise ValidationError({"policy_id": ["The policy belongs to another customer."]})
    if policy.status not in (PolicyStatus.QUOTED, PolicyStatus.ACTIVE):
        raise Conflict("Points apply to a new or renewal policy that is quoted or active.")
    account = _loyalty_account(customer)
    if points > account.balance:
        raise Conflict(f"Only {account.balance} points are available.", details={"balance": account.balance})
    value = money(Decimal(points) * settings.LOYALTY_POINT_VALUE)
    # Still to pay: the ledger balance once billed; before that, the premium less discounts already given.
    outstanding = (
        customer_policy_balance(policy)
        if _is_billed(policy)
        else (policy.premium_amount + customer_policy_balance(policy))
    )
    if value > outstanding:
        raise ValidationError({"points": [f"The discount ({value}) exceeds what is due ({outstanding})."]})
    _consume(account, points)
    account.balance -= points
    account.save(update_fields=["balance"])
    entry = LoyaltyEntry.objects.create(
        account=account,
        kind=LoyaltyEntry.Kind.REDEEMED,
        points=-points,
        reason=f"Discount on {policy.policy_number}",
        reference="",
    )
    book(
        type=TransactionType.LOYALTY_DISCOUNT,
        currency=policy.currency,
        customer=customer,
        policy=policy,
        entries=[(Account.DISCOUNTS, value), (Account.CUSTOMER, -value)],
        description=f"{points} loyalty points",
        reference=f"loyalty:{entry.pk}",
    )
    if _is_billed(policy):
        _allocate(policy, None)
    return entry


def _loyalty_discounts_restore(policy: Policy, *, reference: str) -> None:
    """A policy cancelled before it was ever billed: discounts taken on it go back as points."""
    for discount in policy.transactions.filter(
        type=TransactionType.LOYALTY_DISCOUNT, account=Account.CUSTOMER, amount__lt=0
    ):
        points = int((-discount.amount / settings.LOYALTY_POINT_VALUE).to_integral_value())
        book(
            type=TransactionType.LOYALTY_DISCOUNT,
            currency=policy.currency,
            customer=policy.customer,
            policy=policy,
            entries=[(Account.CUSTOMER, -discount.amount), (Account.DISCOUNTS, discount.amount)],
            description="Discount returned: policy cancelled before billing",
            reference=f"{reference}:{discount.pk}",
        )
        loyalty_earn(
            customer=policy.customer,
            points=points,
            reason=f"Returned from {policy.policy_number}",
            reference=f"restore:{discount.pk}",
        )


@transaction.atomic
def loyalty_expire(*, today: date | None = None) -> int:
    """Expire what is left of lots past their date (nightly). Returns the points expired."""
    today = today or timezone.localdate()
    expired_total = 0
    lots = LoyaltyEntry.objects.filter(kind=LoyaltyEntry.Kind.EARNED, remaining__gt=0, expires_on__lt=today)
    for account_id in lots.values_list("account_id", flat=True).distinct():
        account = LoyaltyAccount.objects.select_for_update().get(pk=account_id)
        for lot in account.entries.filter(kind=LoyaltyEntry.Kind.EARNED, remaining__gt=0, expires_on__lt=today):
            LoyaltyEntry.objects.create(
                account=account,
                kind=LoyaltyEntry.Kind.EXPIRED,
                points=-lot.remaining,
                reason=f"Expired (earned {lot.created_at:%Y-%m-%d})",
            )
            account.balance -= lot.remaining
            expired_total += lot.remaining
            lot.remaining = 0
            lot.save(update_fields=["remaining"])
        account.save(update_fields=["balance"])
    return expired_total


def loyalty_award_claim_free_year(*, policy: Policy, today: date | None = None) -> LoyaltyEntry | None:
    """Points for a policy year without claims — only for a year actually (nearly) served."""
    today = today or timezone.localdate()
    if today < policy.end_date - timedelta(days=60):
        return None
    if any(had_claims(policy) for had_claims in policy_had_claims.providers()):  # claims provides it (checked)
        return None
    return loyalty_earn(
        customer=policy.customer,
        points=settings.LOYALTY_CLAIM_FREE_YEAR_POINTS,
        reason=f"Claim-free year on {policy.policy_number}",
        reference=f"claimfree:{policy.pk}",
    )


# --- payment reminders (celery beat; idempotent) -----------------------------------------------------------


def instalment_reminders_send(*, today: date | None = None) -> int:
    """Remind customers of instalments falling due in PAYMENT_REMINDER_DAYS days, once per instalment and offset,
    on their consented channel outside quiet hours (skipped ones are tried on the next run). Returns how many."""
    today = today or timezone.localdate()
    sent = 0
    for days in settings.PAYMENT_REMINDER_DAYS:
        due = (
            Instalment.objects.filter(
                status=Instalment.Status.DUE,
                due_date=today + timedelta(days=days),
                policy__status=PolicyStatus.ACTIVE,
            )
            .exclude(
                Exists(
                    InstalmentReminder.objects.filter(
                        instalment=OuterRef("pk"), kind=InstalmentReminder.Kind.DUE, days_before=days
                    )
                )
            )
            .select_related("policy", "policy__customer", "policy__product")
        )
        for instalment in due.iterator(chunk_size=500):
            customer = instalment.policy.customer
            channel = customer_contact_channel(customer)
            if channel is None or customer_in_quiet_hours(customer):
                continue
            try:
                with transaction.atomic():
                    InstalmentReminder.objects.create(instalment=instalment, days_before=days, channel=channel)
                    context = {
                        "customer": customer,
                        "instalment": instalment,
                        "policy": instalment.policy,
                        "days": days,
                    }
                    customer_message_send(
                        customer=customer,
                        message=Message(
                            subject=f"Payment of {instalment.amount} {instalment.currency} due on "
                            f"{instalment.due_date:%d %b %Y}",
                            body=render_to_string("emails/payment_reminder.txt", context),
                        ),
                    )
                    if customer.user_id:
                        publish(
                            "instalment:due",
                            {
                                "instalment_id": instalment.pk,
                                "policy_number": instalment.policy.policy_number,
                                "amount": str(instalment.amount),
                                "currency": instalment.currency,
                                "due_date": instalment.due_date.isoformat(),
                                "days": days,
                            },
                            audience=[],  # the customer hears of it once, as the notification
                        )
            except IntegrityError:  # another run got there first
                continue
            sent += 1
    return sent
