"""Reads of renewal cases scoped to the asking user."""

from django.db.models import Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404

from apps.accounts.models import User
from apps.accounts.roles import Role

from .models import CaseEvent, RenewalCase


def cases_visible_to(user: User) -> QuerySet[RenewalCase]:
    """Admins, managers and viewers (read-only by the matrix): all; agents: cases assigned to them and the
    unassigned cases of policies they service."""
    qs = RenewalCase.objects.select_related("policy", "policy__customer", "policy__product", "assigned_to")
    if user.role in (Role.ADMIN, Role.MANAGER, Role.VIEWER):
        return qs
    if user.role == Role.AGENT:
        return qs.filter(Q(assigned_to=user) | Q(assigned_to__isnull=True, policy__agent=user))
    return qs.none()


def cases_visible_parts(user: User) -> list[QuerySet[RenewalCase]]:
    """`cases_visible_to` as disjoint parts, each answerable from one index: aggregates are computed per part and
    added up (an OR across the policy join would scan every unassigned case)."""
    qs = RenewalCase.objects.all()
    if user.role in (Role.ADMIN, Role.MANAGER, Role.VIEWER):
        return [qs]
    if user.role == Role.AGENT:
        return [qs.filter(assigned_to=user), qs.filter(assigned_to__isnull=True, policy__agent=user)]
    return []


def case_get_for_user(*, user: User, pk) -> RenewalCase:
    timeline = Prefetch("timeline_events", queryset=CaseEvent.objects.select_related("actor").order_by("occurred_at"))
    return get_object_or_404(cases_visible_to(user).select_related("escalated_to").prefetch_related(timeline), pk=pk)
