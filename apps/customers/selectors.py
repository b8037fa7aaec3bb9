"""Reads of customers and interactions, scoped to what the asking user may see."""

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from apps.accounts.models import User
from apps.accounts.roles import Role
from apps.accounts.selectors import book_agents
from apps.core.search import indexed_word, prefix_tsquery

from .models import Customer, CustomerSearchTerm, Interaction


def customers_visible_to(user: User) -> QuerySet[Customer]:
    """Admins and managers: everyone; agents: their customers and their team's; a customer: themself."""
    qs = Customer.objects.select_related("agent")
    if user.role in (Role.ADMIN, Role.MANAGER):
        return qs
    if user.role == Role.AGENT:
        return qs.filter(agent_id__in=book_agents(user))
    if user.role == Role.CUSTOMER:
        return qs.filter(user=user)
    return qs.none()


def search_terms_visible_to(user: User) -> QuerySet[CustomerSearchTerm] | None:
    """The search terms of exactly the customers `customers_visible_to(user)` lists, scoped by the copies of the
    agent and liveness each term carries; None where that scope is not on them (a customer's own record)."""
    terms = CustomerSearchTerm.objects.filter(live=True)
    if user.role in (Role.ADMIN, Role.MANAGER):
        return terms
    if user.role == Role.AGENT:
        return terms.filter(agent_id__in=book_agents(user))
    return None


def customers_matching(term: str) -> QuerySet | None:
    """The ids of the live customers whose code, names, e-mail or phone match the words of `term` (each as a
    prefix, `prefix_tsquery`), as a subquery for `customer_id__in`: one word from the term index alone, several
    through the GIN index. None when `term` has no word."""
    word = indexed_word(term)
    if word:
        return CustomerSearchTerm.objects.filter(live=True, lexeme__startswith=word).values("customer_id")
    query = prefix_tsquery(term)
    if query is None:
        return None
    return Customer.objects.filter(search_vector=query).values("pk")


def customer_get_for_user(*, user: User, pk) -> Customer:
    return get_object_or_404(customers_visible_to(user), pk=pk)


def customer_of_user(user: User) -> Customer:
    """The signed-in customer's own record (404 when the account has none)."""
    return get_object_or_404(Customer.objects.select_related("agent"), user=user)


def interactions_visible_to(user: User, *, customer: Customer) -> QuerySet[Interaction]:
    """Interaction logs are internal notes: staff who can see the customer see them; customers never do."""
    if user.role == Role.CUSTOMER:
        return Interaction.objects.none()
    return Interaction.objects.filter(customer=customer).select_related("author")


def interaction_get_for_user(*, user: User, customer: Customer, pk) -> Interaction:
    return get_object_or_404(interactions_visible_to(user, customer=customer), pk=pk)
