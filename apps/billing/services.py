"""Billing use-cases: premium schedules, payments (manual and provider webhooks), refunds on cancellation,
commissions and loyalty points. Money is Decimal in cents, in the policy's currency."""

import hashlib
import hmac
import json
import logging
import time
from datetime import date, timedelta
from decimal import ROUND_DOWN, Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone

from apps.accounts.models import User
from apps.catalog.rating import money
from apps.core.api.exceptions import ApiError, Conflict
from apps.core.events import publish, user_group
from apps.customers.models import Customer
from apps.policies.models import Policy, PolicyStatus

from .ledger import book
from .models import (
    Account,
    Commission,
    CommissionRate,
    Instalment,
    LoyaltyAccount,
    LoyaltyEntry,
    Payment,
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
    """On activation: the instalment schedule and the premium-due booking. Safe to run twice."""
    policy = Policy.objects.select_for_update(of=("self",)).select_related("customer").get(pk=policy_id)
    existing = list(policy.instalments.all())
    if existing or policy.status != PolicyStatus.ACTIVE:
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


@transaction.atomic
def policy_billing_cancel(*, policy_id: int) -> Decimal:
    """On cancellation: release the unearned premium (pro rata), cancel open instalments and charge back the
    commission on what is refunded. Returns the unearned premium. Safe to run twice."""
    policy = Policy.objects.select_for_update(of=("self",)).select_related("customer", "agent").get(pk=policy_id)
    if policy.transactions.filter(type=TransactionType.REFUND, reference=f"cancel:{policy.pk}").exists():
        return Decimal("0.00")
    if not policy.transactions.filter(account=Account.CUSTOMER).exists():
        return Decimal("0.00")  # never billed (cancelled while quoted)
    cancelled_on = (policy.cancelled_at or timezone.now()).date()
    term_days = (policy.end_date - policy.start_date).days + 1
    remaining = max(0, min(term_days, (policy.end_date - cancelled_on).days))
    unearned = money(policy.premium_amount * Decimal(remaining) / Decimal(term_days))
    paid = policy.payments.filter(status=Payment.Status.SUCCEEDED).aggregate(total=Sum("amount"))["total"] or 0
    book(
        type=TransactionType.REFUND,
        currency=policy.currency,
        customer=policy.customer,
        policy=policy,
        entries=[(Account.PREMIUM_INCOME, unearned), (Account.CUSTOMER, -unearned)],
        description=f"Unearned premium on cancellation ({remaining} of {term_days} days)",
        reference=f"cancel:{policy.pk}",
    )
    policy.instalments.filter(status=Instalment.Status.DUE).update(status=Instalment.Status.CANCELLED)
    refundable = min(unearned, Decimal(paid))
    if refundable > 0:
        _commission_chargeback(policy=policy, refundable=refundable)
    return unearned


def on_policy_status_changed(event: dict) -> None:
    """Event subscriber: hand the work to Celery (retried there; inline when eager)."""
    from .tasks import policy_billing_on_status

    data = event["data"]
    transaction.on_commit(lambda: policy_billing_on_status.delay(data["policy_id"], data["to"]), robust=True)


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
) -> Payment:
    """A premium payment received: allocated to the oldest due instalments, booked, commission earned,
    loyalty points for paying on time. Overpaying the policy is refused."""
    policy = (
        Policy.objects.select_for_update(of=("self",)).select_related("customer", "agent", "product").get(pk=policy.pk)
    )
    amount = money(Decimal(amount))
    if amount <= 0:
        raise ValidationError({"amount": ["Must be positive."]})
    if currency and currency != policy.currency:
        raise ValidationError({"currency": [f"This policy is billed in {policy.currency}."]})
    if policy.status not in (PolicyStatus.ACTIVE, PolicyStatus.LAPSED):
        raise Conflict(f"Payments are taken for active or lapsed policies (this one is {policy.status}).")
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
        paid_at=paid_at,
        recorded_by=actor,
    )
    payment.full_clean()
    try:
        with transaction.atomic():
            payment.save()
    except IntegrityError:
        raise Conflict("This provider reference was already recorded.") from None
    on_time = _allocate(policy, payment)
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
    _commission_earn(policy=policy, payment=payment)
    if on_time:
        points = int(amount // settings.LOYALTY_EUROS_PER_POINT)
        if points:
            loyalty_earn(
                customer=policy.customer,
                points=points,
                reason=f"On-time payment {policy.policy_number}",
                reference=f"payment:{payment.pk}",
            )
    if policy.customer.user_id:
        publish(
            "payment.received",
            {"payment_id": payment.pk, "policy_id": policy.pk, "amount": str(amount)},
            audience=[user_group(policy.customer.user_id)],
        )
    return payment


def _allocate(policy: Policy, payment: Payment) -> bool:
    """Mark instalments paid, oldest first, while the payment (plus earlier payments) covers them.
    True when every instalment paid by this payment was paid by its due date."""
    paid_total = policy.payments.filter(status=Payment.Status.SUCCEEDED).aggregate(total=Sum("amount"))["total"]
    covered = Decimal("0")
    on_time = True
    for instalment in policy.instalments.order_by("sequence"):
        covered += instalment.amount
        if instalment.status == Instalment.Status.DUE and covered <= paid_total:
            instalment.status, instalment.paid_at = Instalment.Status.PAID, payment.paid_at
            instalment.save(update_fields=["status", "paid_at", "updated_at"])
            if payment.instalment_id is None:
                Payment.objects.filter(pk=payment.pk).update(instalment=instalment)
                payment.instalment = instalment
            on_time = on_time and payment.paid_at.date() <= instalment.due_date
    return on_time and payment.instalment_id is not None


def commission_rate_for(policy: Policy) -> Decimal | None:
    rates = {r.agent_id: r.rate for r in CommissionRate.objects.filter(product_id=policy.product_id)}
    return rates.get(policy.agent_id, rates.get(None))


def _commission_earn(*, policy: Policy, payment: Payment) -> None:
    rate = commission_rate_for(policy)
    if policy.agent_id is None or rate is None:
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


def _commission_chargeback(*, policy: Policy, refundable: Decimal) -> None:
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
        )
        book(
            type=TransactionType.COMMISSION_CHARGEBACK,
            currency=commission.currency,
            policy=policy,
            agent=commission.agent,
            payment=commission.payment,
            entries=[(Account.AGENT_PAYABLE, back), (Account.COMMISSION_EXPENSE, -back)],
            description="Commission charged back on cancellation refund",
            reference=f"chargeback:{commission.payment_id}",
        )


# --- provider webhooks ----------------------------------------------------------------------------------------


def webhook_signature(*, secret: str, timestamp: int, body: bytes) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def payment_webhook_receive(*, provider: str, body: bytes, signature_header: str) -> tuple[str, Payment | None]:
    """Verify `t=<unix>,v1=<hex>` over "<t>.<body>" with the provider's secret (5-minute tolerance), then
    process the event once. Returns ("processed" | "duplicate" | "ignored", payment)."""
    secret = settings.PAYMENT_WEBHOOK_SECRETS.get(provider)
    if not secret:
        raise ApiError("Unknown payment provider.", code="unknown_provider", status_code=404)
    parts = dict(part.split("=", 1) for part in (signature_header or "").split(",") if "=" in part)
    try:
        timestamp = int(parts.get("t", ""))
    except ValueError:
        raise ApiError("Missing or malformed signature.", code="bad_signature", status_code=400) from None
    expected = webhook_signature(secret=secret, timestamp=timestamp, body=body)
    if not hmac.compare_digest(expected, parts.get("v1", "")):
        raise ApiError("The signature does not match.", code="bad_signature", status_code=400)
    if abs(time.time() - timestamp) > settings.PAYMENT_WEBHOOK_TOLERANCE:
        raise ApiError("The signature has expired.", code="stale_signature", status_code=400)
    try:
        event = json.loads(body)
        event_id, event_type, data = str(event["id"]), event["type"], event.get("data") or {}
    except (ValueError, KeyError, TypeError):
        raise ApiError("The event is not valid JSON with id and type.", code="malformed_event") from None
    with transaction.atomic():
        try:
            with transaction.atomic():
                WebhookEvent.objects.create(provider=provider, event_id=event_id, payload=event)
        except IntegrityError:
            return "duplicate", Payment.objects.filter(
                provider=provider, provider_reference=data.get("reference", "")
            ).first()
        if event_type != "payment.succeeded":
            return "ignored", None
        policy = Policy.objects.filter(policy_number=data.get("policy_number", "")).first()
        if policy is None:
            raise ApiError("Unknown policy number.", code="unknown_policy", status_code=422)
        try:
            payment = payment_record(
                policy=policy,
                amount=Decimal(str(data["amount"])),
                currency=data.get("currency"),
                method=data.get("method", Payment.Method.CARD),
                provider=provider,
                provider_reference=str(data.get("reference") or event_id),
            )
        except (KeyError, ArithmeticError):
            raise ApiError("The event has no valid amount.", code="malformed_event") from None
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
    if policy.customer_id != customer.pk:
        raise ValidationError({"policy_id": ["The policy belongs to another customer."]})
    if policy.status not in (PolicyStatus.QUOTED, PolicyStatus.ACTIVE):
        raise Conflict("Points apply to a new or renewal policy that is quoted or active.")
    account = _loyalty_account(customer)
    if points > account.balance:
        raise Conflict(f"Only {account.balance} points are available.", details={"balance": account.balance})
    value = money(Decimal(points) * settings.LOYALTY_POINT_VALUE)
    outstanding = customer_policy_balance(policy) if policy.status == PolicyStatus.ACTIVE else policy.premium_amount
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
    return entry


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


# Claim-free years: the claims app registers a checker (policy -> bool) when it arrives.
_claims_checkers: list = []


def register_claims_checker(checker) -> None:
    _claims_checkers.append(checker)


def loyalty_award_claim_free_year(*, policy: Policy) -> LoyaltyEntry | None:
    if any(checker(policy) for checker in _claims_checkers):
        return None
    return loyalty_earn(
        customer=policy.customer,
        points=settings.LOYALTY_CLAIM_FREE_YEAR_POINTS,
        reason=f"Claim-free year on {policy.policy_number}",
        reference=f"claimfree:{policy.pk}",
    )
