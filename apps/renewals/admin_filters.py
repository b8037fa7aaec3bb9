"""The cases list's relative filters ("assigned to me", "due this week") and the saved filters every role finds on
it out of the box (apps.accounts.admin_saved_filters). Relative filters keep a default current: "due this week" is
this week's cases whenever it is opened."""

from datetime import timedelta

from django.contrib import admin
from django.utils import timezone

from apps.accounts.admin_saved_filters import DefaultFilter
from apps.accounts.roles import Role

from .models import OPEN_STATUSES


class MineFilter(admin.SimpleListFilter):
    title = "mine"
    parameter_name = "mine"

    def lookups(self, request, model_admin):
        return [("1", "Assigned to me")]

    def queryset(self, request, queryset):
        return queryset.filter(assigned_to=request.user) if self.value() == "1" else queryset


class DueFilter(admin.SimpleListFilter):
    """Open cases by how near their renewal date is; "overdue" is past it and still open (the policy is in its
    grace period, or lapsing)."""

    title = "renewal due"
    parameter_name = "due"
    OPTIONS = {"overdue": "Overdue (renewal date passed)", "week": "In the next 7 days", "30d": "In the next 30 days"}

    def lookups(self, request, model_admin):
        return list(self.OPTIONS.items())

    def queryset(self, request, queryset):
        if self.value() not in self.OPTIONS:
            return queryset
        today = timezone.localdate()
        open_cases = queryset.filter(status__in=OPEN_STATUSES)
        if self.value() == "overdue":
            return open_cases.filter(renewal_period__lt=today)
        days = 7 if self.value() == "week" else 30
        return open_cases.filter(renewal_period__range=(today, today + timedelta(days=days)))


A, M, AG, V = Role.ADMIN, Role.MANAGER, Role.AGENT, Role.VIEWER
CASE_FILTER_DEFAULTS = (
    DefaultFilter("My overdue cases", "due=overdue&mine=1", frozenset({AG, M})),
    DefaultFilter("Cases due this week", "due=week&mine=1", frozenset({AG})),
    DefaultFilter("Cases due this week", "due=week", frozenset({A, M, V})),
    DefaultFilter("Overdue cases", "due=overdue", frozenset({A, M})),
    DefaultFilter("Unassigned new cases", "assigned_to__isnull=True&status__exact=new", frozenset({A, M})),
)
