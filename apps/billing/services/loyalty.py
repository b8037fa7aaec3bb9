"""Loyalty points: earned in lots that expire, redeemed as a premium discount booked in the ledger, returned when
a discounted policy is cancelled before billing, awarded for a claim-free year (claims answers the hook)."""

from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from apps.accounts.models import User
from apps.catalog.rating import money
from apps.core.exceptions import Conflict
from apps.customers.models import Customer
from apps.policies.models import Policy, PolicyStatus

from ..hooks import policy_had_claims
from ..ledger import book
from ..models import Account, LoyaltyAccount, LoyaltyEntry, TransactionType
from .balances import customer_policy_balance, instalments_allocate, policy_is_billed


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
        if policy_is_billed(policy)
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
    if policy_is_billed(policy):
        instalments_allocate(policy, None)
    return entry


def loyalty_discounts_restore(policy: Policy, *, reference: str) -> None:
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
