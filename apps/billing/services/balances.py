"""The customer's account on a policy: what they owe, what has been credited, and which instalments that
covers (oldest first). Shared by payments, loyalty discounts, schedules and hosted checkout."""

from decimal import Decimal

from django.db.models import Sum
from django.utils import timezone

from apps.policies.models import Policy

from ..models import OPEN_INSTALMENT_STATUSES, Account, Instalment, Payment, TransactionType


def customer_policy_balance(policy: Policy) -> Decimal:
    """What the customer still owes on a policy (positive) or is owed (negative)."""
    total = policy.transactions.filter(account=Account.CUSTOMER).aggregate(total=Sum("amount"))["total"]
    return total or Decimal("0.00")


def policy_is_billed(policy: Policy) -> bool:
    return policy.transactions.filter(type__in=[TransactionType.PREMIUM_DUE, TransactionType.RENEWAL]).exists()


def customer_credits(policy: Policy) -> Decimal:
    """Everything that paid down the premium: payments, discounts and mid-term reductions."""
    total = policy.transactions.filter(
        account=Account.CUSTOMER,
        amount__lt=0,
        type__in=[TransactionType.PREMIUM_PAID, TransactionType.LOYALTY_DISCOUNT, TransactionType.ENDORSEMENT],
    ).aggregate(total=Sum("amount"))["total"]
    return -(total or Decimal("0"))


def instalments_allocate(policy: Policy, payment: Payment | None) -> bool:
    """Mark instalments paid, oldest first (due date, then sequence: an endorsement's extra instalment due today
    comes before next month's), while everything credited (payments, discounts, reductions) covers them; a
    partial payment leaves its instalment open. True when every instalment this payment completed was completed
    by its due date."""
    credited = customer_credits(policy)
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
