"""Reads of renewal cases scoped to the asking user."""

from django.db.models import Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404

from apps.accounts.models import User
from apps.accounts.roles import Role
from apps.documents.models import Document
from apps.documents.selectors import documents_visible_to

from .models import CaseEvent, RenewalCase


def cases_visible_to(user: User) -> QuerySet[RenewalCase]:
    """Admins and managers: all; agents: cases assigned to them and the unassigned cases of policies they
    service; viewers (read-only by the matrix): the cases assigned to them (seed 003 "View assigned cases")."""
    qs = RenewalCase.objects.select_related("policy", "policy__customer", "policy__product", "assigned_to")
    if user.role in (Role.ADMIN, Role.MANAGER):
        return qs
    if user.role == Role.AGENT:
        return qs.filter(Q(assigned_to=user) | Q(assigned_to__isnull=True, policy__agent=user))
    if user.role == Role.VIEWER:
        return qs.filter(assigned_to=user)
    return qs.none()


def cases_visible_parts(user: User) -> list[QuerySet[RenewalCase]]:
    """The cases the user's dashboard figures add up, as disjoint parts, each answerable from one index:
    aggregates are computed per part and added up (an OR across the policy join would scan every unassigned
    case). Agents: their `cases_visible_to`. Viewers read the whole book's figures (seed 003 "Read-only
    dashboard access": counts and sums, never rows) although they open only the cases assigned to them."""
    qs = RenewalCase.objects.all()
    if user.role in (Role.ADMIN, Role.MANAGER, Role.VIEWER):
        return [qs]
    if user.role == Role.AGENT:
        return [qs.filter(assigned_to=user), qs.filter(assigned_to__isnull=True, policy__agent=user)]
    return []


def case_get_for_user(*, user: User, pk) -> RenewalCase:
    timeline = Prefetch("timeline_events", queryset=CaseEvent.objects.select_related("actor").order_by("occurred_at"))
    return get_object_or_404(cases_visible_to(user).select_related("escalated_to").prefetch_related(timeline), pk=pk)


def case_document_owner(user: User, pk):
    """documents.owners resolver for entity_type "case": (the policyholder, case id) of a case the user sees."""
    case = get_object_or_404(cases_visible_to(user), pk=pk)
    return case.policy.customer, case.pk


def case_documents(*, user: User, case: RenewalCase) -> QuerySet[Document]:
    """The files attached to `case` that the user may see (seed 003 case detail `documents`), newest first."""
    return documents_visible_to(user).filter(entity_type="case", entity_id=case.pk).order_by("-created_at", "-id")
