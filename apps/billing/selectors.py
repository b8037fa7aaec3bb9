"""Reads of money records, scoped through the policies the user may see."""

from django.db.models import Q, QuerySet

from apps.accounts.models import User
from apps.accounts.roles import Role
from apps.policies.selectors import policies_visible_to

from .models import OPEN_INSTALMENT_STATUSES, Account, Commission, Instalment, Payment, Transaction, TransactionType


def payments_visible_to(user: User) -> QuerySet[Payment]:
    return Payment.objects.select_related("policy", "instalment").filter(
        policy__in=policies_visible_to(user).values("pk")
    )


def instalments_visible_to(user: User) -> QuerySet[Instalment]:
    """Instalments of the policies the user may see (a customer: their own; anything else is a 404)."""
    return Instalment.objects.select_related("policy").filter(policy__in=policies_visible_to(user).values("pk"))


def instalments_open_for(user: User) -> QuerySet[Instalment]:
    """Still to pay (due or overdue), oldest first: the order payments settle them in."""
    return instalments_visible_to(user).filter(status__in=OPEN_INSTALMENT_STATUSES).order_by("due_date", "sequence")


# One line per booking as the customer sees it (seed 002 #8: payments, renewals, refunds and claim payouts):
# its entry on the customer account; a claim payout never touches that account (it does not change what the
# customer owes in premiums), so its line is the money paid out (the cash leg, negative: in their favour).
CUSTOMER_FACING = Q(account=Account.CUSTOMER) | Q(type=TransactionType.CLAIM_PAYOUT, account=Account.CASH)


def customer_transactions_visible_to(user: User) -> QuerySet[Transaction]:
    """The customer-facing history of the policies the user may see (see CUSTOMER_FACING)."""
    return Transaction.objects.select_related("policy").filter(
        CUSTOMER_FACING, policy__in=policies_visible_to(user).values("pk")
    )


def commissions_visible_to(user: User) -> QuerySet[Commission]:
    """Agents: their own statement; managers: their team's; admins: all."""
    qs = Commission.objects.select_related("policy", "agent")
    if user.role == Role.ADMIN:
        return qs
    if user.role == Role.MANAGER:
        return qs.filter(agent__team__manager=user) | qs.filter(agent=user)
    if user.role == Role.AGENT:
        return qs.filter(agent=user)
    return qs.none()
