"""Reads of money records, scoped through the policies the user may see."""

from django.db.models import QuerySet

from apps.accounts.models import User
from apps.accounts.roles import Role
from apps.policies.selectors import policies_visible_to

from .models import OPEN_INSTALMENT_STATUSES, Account, Commission, Instalment, Payment, Transaction


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


def customer_transactions_visible_to(user: User) -> QuerySet[Transaction]:
    """The customer-facing history: entries on the customer account of policies the user may see."""
    return Transaction.objects.select_related("policy").filter(
        account=Account.CUSTOMER, policy__in=policies_visible_to(user).values("pk")
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
