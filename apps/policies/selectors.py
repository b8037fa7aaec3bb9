"""Reads of policies scoped to the asking user."""

from collections.abc import Iterable
from typing import NamedTuple

from django.db.models import Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404

from apps.accounts.models import User
from apps.accounts.roles import Role
from apps.accounts.selectors import book_agents

from .hooks import policy_arrears
from .models import Endorsement, Policy, PolicyTransition, Vehicle


def policies_annotate_arrears(qs: QuerySet[Policy]) -> QuerySet[Policy]:
    """Each policy with `amount_overdue` (billing answers through the `policies.arrears` hook): in arrears when
    it is above zero. A subquery per row, unselected when the queryset is only used for its ids."""
    for annotate in policy_arrears.providers():
        qs = annotate(qs)
    return qs


def policies_visible_to(user: User) -> QuerySet[Policy]:
    """Admins/managers: all; agents: theirs and their (team's) customers'; customers: their own. Each policy
    carries `amount_overdue` (see policies_annotate_arrears)."""
    qs = policies_annotate_arrears(
        Policy.objects.select_related("customer", "product", "product__line", "agent", "branch")
    )
    if user.role in (Role.ADMIN, Role.MANAGER):
        return qs
    if user.role == Role.AGENT:
        # Same rule as customers_visible_to (own + team's customers): the customer's agent tested against the small
        # set of book agents (no join to the users table), plus the policies the agent services themself.
        condition = Q(agent=user) | Q(customer__agent_id__in=book_agents(user))
        return qs.filter(condition, customer__deleted_at__isnull=True)
    if user.role == Role.CUSTOMER:
        return qs.filter(customer__user=user, customer__deleted_at__isnull=True).exclude(status="quoted")
    return qs.none()


def policy_get_for_user(*, user: User, pk, customer_id=None) -> Policy:
    qs = policies_visible_to(user).prefetch_related(
        Prefetch("vehicles", queryset=Vehicle.objects.order_by("-added_on")),
        Prefetch("endorsements", queryset=Endorsement.objects.order_by("sequence")),
    )
    if customer_id is not None:
        qs = qs.filter(customer_id=customer_id)
    return get_object_or_404(qs, pk=pk)


def policy_timeline(policy: Policy) -> QuerySet[PolicyTransition]:
    return policy.transitions.select_related("actor").order_by("occurred_at", "id")


def policy_document_owner(user: User, pk):
    """documents.owners resolver for entity_type "policy": (customer, policy id)."""
    policy = policy_get_for_user(user=user, pk=pk)
    return policy.customer, policy.pk


class PolicyRef(NamedTuple):
    """What a bulk path needs of a policy without loading it: its id, status, agent and product line."""

    id: int
    status: str
    agent_id: int | None
    policy_type: str


_REF_COLUMNS = ("policy_number", "pk", "status", "agent_id", "policy_type")


def policy_refs_by_number(numbers: Iterable[str]) -> dict[str, PolicyRef]:
    """Policy number -> PolicyRef for the numbers that exist (a system read for imports: no user scope)."""
    rows = Policy.objects.filter(policy_number__in=list(numbers)).values_list(*_REF_COLUMNS)
    return {number: PolicyRef(*rest) for number, *rest in rows}


def policies_of_contact(customer, user) -> dict:
    """The contact's policies for seed 004's GET /contacts/{id} (hook `contacts.related`), newest first."""
    rows = (
        Policy.objects.filter(customer=customer)
        .select_related("product")
        .only(
            "id",
            "policy_number",
            "policy_type",
            "status",
            "premium_amount",
            "currency",
            "start_date",
            "end_date",
            "product__id",
            "product__name",
        )
        .order_by("-start_date", "-id")[:100]
    )
    return {
        "policies": [
            {
                "id": p.pk,
                "policy_number": p.policy_number,
                "policy_type": p.policy_type,
                "product": p.product.name,
                "status": p.status,
                "premium_amount": str(p.premium_amount),
                "currency": p.currency,
                "start_date": p.start_date.isoformat(),
                "end_date": p.end_date.isoformat(),
            }
            for p in rows
        ]
    }
