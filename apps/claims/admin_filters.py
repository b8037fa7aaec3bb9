"""The claims list's "waiting on me" filter and the saved filters every role finds on it out of the box
(apps.accounts.admin_saved_filters)."""

from django.contrib import admin

from apps.accounts.admin_saved_filters import DefaultFilter
from apps.accounts.roles import Role

from .models import ClaimStatus

S = ClaimStatus
# The stages where the claim's next step is its handler's: triage it, approve or reject it (managers), settle and
# pay it, work a reopened one. In assessment it waits on the assessor.
HANDLER_STAGES = (S.SUBMITTED, S.TRIAGE, S.APPROVED, S.SETTLEMENT, S.REOPENED)


class WaitingOnFilter(admin.SimpleListFilter):
    title = "waiting on"
    parameter_name = "waiting"

    def lookups(self, request, model_admin):
        return [("me", "Me")]

    def queryset(self, request, queryset):
        if self.value() != "me":
            return queryset
        if request.user.role == Role.ASSESSOR:
            return queryset.filter(assessor=request.user, status=S.ASSESSMENT)
        return queryset.filter(handler=request.user, status__in=HANDLER_STAGES)


A, M, AG, AS = Role.ADMIN, Role.MANAGER, Role.AGENT, Role.ASSESSOR
CLAIM_FILTER_DEFAULTS = (
    DefaultFilter("Claims waiting on me", "waiting=me", frozenset({A, M, AG, AS})),
    DefaultFilter("Submitted over 2 days ago", "age=2d", frozenset({A, M, AG})),
    DefaultFilter("Open over 30 days", "age=30d", frozenset({A, M})),
)
