"""The cases workbench: queues by status/priority/assignee, timeline inline, actions through the services."""

from django.contrib import admin, messages
from unfold.admin import ModelAdmin
from unfold.decorators import action, display

from apps.core.admin_utils import ReadOnlyTabularInline

from . import selectors, services
from .models import CaseEvent, RenewalCase


class CaseEventInline(ReadOnlyTabularInline):
    model = CaseEvent
    fields = ["occurred_at", "action", "actor", "details"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")


@admin.register(RenewalCase)
class RenewalCaseAdmin(ModelAdmin):
    list_display = [
        "case_number",
        "policy",
        "customer_display",
        "status_display",
        "priority",
        "renewal_period",
        "renewal_amount",
        "payment_status",
        "assigned_to",
    ]
    list_filter = ["status", "priority", "payment_status", "assigned_to", "policy__policy_type"]
    search_fields = ["case_number", "policy__policy_number", "policy__customer__last_name"]
    list_select_related = ["policy", "policy__customer", "assigned_to"]
    date_hierarchy = "renewal_period"
    readonly_fields = [
        "case_number",
        "policy",
        "renewal_period",
        "renewal_amount",
        "status",
        "assigned_to",
        "escalated_to",
        "escalation_reason",
        "escalated_at",
        "renewed_policy",
        "communication_attempts",
        "last_contact_date",
        "created_at",
        "updated_at",
    ]
    fields = [
        *readonly_fields[:6],
        "priority",
        "payment_status",
        "payment_method",
        "payment_date",
        "notes",
        *readonly_fields[6:],
    ]
    inlines = [CaseEventInline]
    actions = ["take_cases", "mark_in_progress"]
    show_full_result_count = False

    def get_queryset(self, request):
        return selectors.cases_visible_to(request.user)

    def has_add_permission(self, request) -> bool:
        return False  # cases are opened by the schedule and by uploads

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @display(description="Customer")
    def customer_display(self, obj):
        return obj.policy.customer.full_name

    @display(
        description="Status",
        label={
            "new": "info",
            "in_progress": "warning",
            "renewed": "success",
            "lapsed": "danger",
            "not_taken": "danger",
            "failed": "danger",
        },
    )
    def status_display(self, obj):
        return obj.status

    def save_model(self, request, obj, form, change):
        fields = {name: form.cleaned_data[name] for name in form.changed_data}
        notes = fields.pop("notes", None)
        services.renewal_case_update(case=obj, actor=request.user, notes=notes, **fields)

    @action(description="Assign to me", permissions=["change"])
    def take_cases(self, request, queryset):
        done = 0
        for case in queryset:
            try:
                services.renewal_case_assign(case=case, actor=request.user, assignee=request.user)
                done += 1
            except Exception as exc:  # PermissionDenied / Conflict per case
                messages.error(request, f"{case}: {exc}")
        if done:
            messages.success(request, f"{done} case(s) assigned to you.")

    @action(description="Mark in progress", permissions=["change"])
    def mark_in_progress(self, request, queryset):
        for case in queryset:
            try:
                services.renewal_case_update(case=case, actor=request.user, status="in_progress")
            except Exception as exc:
                messages.error(request, f"{case}: {exc}")
