"""The cases workbench (queues by status/priority/assignee, timeline inline, actions through the services) and
the upload batches screen (upload a spreadsheet, follow its progress, read its errors, download the failed rows)."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from unfold.admin import ModelAdmin
from unfold.contrib.filters.admin import RangeDateFilter
from unfold.decorators import action, display
from unfold.widgets import UnfoldAdminSelectWidget, UnfoldAdminTextareaWidget

from apps.accounts.admin_saved_filters import SavedFiltersMixin
from apps.accounts.models import User
from apps.accounts.roles import Role
from apps.catalog.admin import ProductLineFilter
from apps.core import errors
from apps.core.admin_scale import ScaledSearchMixin
from apps.core.admin_utils import ReadOnlyTabularInline
from apps.core.columns import PERSON_SUMMARY
from apps.customers.timeline import LinkedTimelineAdminMixin

from . import ingest, selectors, services
from .admin_actions import CaseBulkActionsMixin
from .admin_filters import CASE_FILTER_DEFAULTS, DueFilter, MineFilter
from .models import OPEN_STATUSES, CaseEvent, RenewalCase, UploadBatch


class CaseEventInline(ReadOnlyTabularInline):
    model = CaseEvent
    fields = ["occurred_at", "action", "actor", "details"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")


class CaseWorkForm(forms.ModelForm):
    """The case's own fields plus the two hand-offs, which go through their services (rules, timeline, events)."""

    assign_to = forms.ModelChoiceField(
        queryset=User.objects.none(),
        required=False,
        widget=UnfoldAdminSelectWidget,
        help_text="Hand the case to an agent or manager (agents may take unassigned cases for themselves).",
    )
    escalate_to = forms.ModelChoiceField(
        queryset=User.objects.none(),
        required=False,
        help_text="A manager or administrator; priority becomes urgent.",
        widget=UnfoldAdminSelectWidget,
    )
    escalation_note = forms.CharField(
        widget=UnfoldAdminTextareaWidget(attrs={"rows": 2}), required=False, label="Why escalate"
    )

    class Meta:
        model = RenewalCase
        fields = ["priority", "payment_status", "payment_method", "payment_date", "notes"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        people = User.objects.filter(is_active=True).order_by("first_name", "last_name")
        self.fields["assign_to"].queryset = people.filter(role__in=[Role.AGENT, Role.MANAGER])
        self.fields["escalate_to"].queryset = people.filter(role__in=[Role.MANAGER, Role.ADMIN])

    def clean(self):
        data = super().clean()
        if data.get("escalate_to") and not (data.get("escalation_note") or "").strip():
            self.add_error("escalation_note", "Say why the case is escalated.")
        if (data.get("assign_to") or data.get("escalate_to")) and self.instance.status not in OPEN_STATUSES:
            self.add_error(None, f"The case is {self.instance.status}: it can no longer be handed on.")
        return data


@admin.register(RenewalCase)
class RenewalCaseAdmin(
    LinkedTimelineAdminMixin, SavedFiltersMixin, CaseBulkActionsMixin, ScaledSearchMixin, ModelAdmin
):
    linked_kind = "case"
    form = CaseWorkForm
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
    list_filter = [
        MineFilter,
        DueFilter,
        "status",
        "priority",
        "payment_status",
        "assigned_to",
        ProductLineFilter,
        ("renewal_period", RangeDateFilter),
    ]
    list_filter_submit = True  # the renewal period range (a date hierarchy would read every visible case)
    saved_filter_defaults = CASE_FILTER_DEFAULTS
    search_fields = ["case_number", "policy__policy_number", "policy__customer__last_name"]
    # At a million cases: numbers on their own index, names by full-text search (apps/core/admin_scale.py).
    number_search = {"REN-": "case_number", "POL-": "policy__policy_number", "CUS-": "policy__customer__customer_code"}
    name_search_vector = "policy__customer__search_vector"
    list_select_related = ["policy", "policy__customer", "assigned_to"]
    list_related = {
        "policy": ("policy_number",),
        "policy__customer": ("customer_code", "first_name", "last_name"),
        "assigned_to": PERSON_SUMMARY,
    }
    list_skip = ("notes", "escalation_reason")
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
        "linked_timeline",
    ]
    fields = [
        *readonly_fields[:6],
        "priority",
        "payment_status",
        "payment_method",
        "payment_date",
        "notes",
        "assign_to",
        "escalate_to",
        "escalation_note",
        *readonly_fields[6:],
    ]
    inlines = [CaseEventInline]
    actions = ["take_cases", "mark_in_progress", "bulk_assign", "bulk_escalate", "bulk_status"]

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
        assignee = fields.pop("assign_to", None)
        escalated_to = fields.pop("escalate_to", None)
        reason = fields.pop("escalation_note", "")
        notes = fields.pop("notes", None)
        with errors.as_message(request, about=obj):
            services.renewal_case_work(
                case=obj,
                actor=request.user,
                changes=fields,
                notes=notes,
                assignee=assignee,
                escalated_to=escalated_to,
                escalation_reason=reason,
            )

    @action(description="Assign to me", permissions=["change"])
    def take_cases(self, request, queryset):
        done = 0
        for case in queryset:
            with errors.as_message(request, about=case):
                services.renewal_case_assign(case=case, actor=request.user, assignee=request.user)
                done += 1
        if done:
            messages.success(request, f"{done} case(s) assigned to you.")

    @action(description="Mark in progress", permissions=["change"])
    def mark_in_progress(self, request, queryset):
        for case in queryset:
            with errors.as_message(request, about=case):
                services.renewal_case_update(case=case, actor=request.user, status="in_progress")


class BatchUploadForm(forms.ModelForm):
    """Adding a batch is uploading a file: the same checks and idempotency as POST /api/v1/upload/batch."""

    policy_type = forms.ChoiceField(help_text="Product line for rows that don't name one.")

    class Meta:
        model = UploadBatch
        fields = ["file", "policy_type"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["policy_type"].choices = [(code, code) for code in sorted(ingest.known_policy_types())]
        self.batch = None

    def clean(self):
        data = super().clean()
        if self.errors or not self.user:
            return data
        # Storing the batch is the whole point of the form, and batch_create is idempotent (same bytes → same
        # batch), so it runs here where its refusals can become form errors; the admin's transaction commits it.
        with errors.as_form_error():
            self.batch, _ = ingest.batch_create(file=data["file"], policy_type=data["policy_type"], actor=self.user)
        return data


@admin.register(UploadBatch)
class UploadBatchAdmin(ModelAdmin):
    list_display = [
        "file_name",
        "status_display",
        "policy_type",
        "progress",
        "failed_records",
        "uploaded_by",
        "created_at",
    ]
    list_filter = ["status", "policy_type"]
    search_fields = ["file_name", "sha256"]
    list_select_related = ["uploaded_by"]
    readonly_fields = [
        "file_name",
        "status",
        "progress",
        "message",
        "policy_type",
        "uploaded_by",
        "total_records",
        "processed_records",
        "successful_records",
        "failed_records",
        "sha256",
        "created_at",
        "finished_at",
        "failed_rows_link",
        "ignored_columns_table",
        "errors_table",
    ]
    show_full_result_count = False
    actions = ["retry_batches"]

    class Media:
        js = ["js/admin_batch_progress.js"]

    def has_retry_permission(self, request) -> bool:
        return self.has_add_permission(request)  # whoever may upload may re-run a failed upload

    @action(description="Process failed batches again", permissions=["retry"])
    def retry_batches(self, request, queryset):
        retried = 0
        for batch in queryset:
            with errors.as_message(request, about=batch.file_name):
                ingest.batch_retry(batch=batch)
                retried += 1
        if retried:
            messages.success(request, f"{retried} batch(es) queued again.")

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            form = super().get_form(request, obj, change=change, form=BatchUploadForm, fields=["file", "policy_type"])
            form.user = request.user
            return form
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        return ["file", "policy_type"] if obj is None else self.readonly_fields

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.readonly_fields

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # a batch is the record of an upload; to correct it, fix the failed rows and upload them

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj, form, change):
        obj.pk, obj.file_name = form.batch.pk, form.batch.file_name  # stored by the form (see BatchUploadForm)
        obj._state.adding = False

    def save_related(self, request, form, formsets, change):
        pass

    def get_urls(self):
        view = self.admin_site.admin_view(self.failed_rows_view)
        return [path("<int:pk>/failed-rows/", view, name="renewals_uploadbatch_failed_rows"), *super().get_urls()]

    def failed_rows_view(self, request, pk: int):
        if not self.has_view_permission(request):
            raise PermissionDenied
        batch = get_object_or_404(UploadBatch, pk=pk)
        response = HttpResponse(ingest.failed_rows_csv(batch), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="batch-{batch.pk}-failed-rows.csv"'
        return response

    @display(description="Status", label={"processing": "warning", "completed": "success", "failed": "danger"})
    def status_display(self, obj):
        return obj.status

    @display(description="Processed")
    def progress(self, obj):
        # updated live over the websocket by static/js/admin_batch_progress.js while the batch is processing
        return format_html(
            '<span data-batch-progress="{}">{} / {}</span>', obj.pk, obj.processed_records, obj.total_records
        )

    @display(description="Failed rows")
    def failed_rows_link(self, obj):
        if not obj.failed_records:
            return "—"
        url = reverse("admin:renewals_uploadbatch_failed_rows", args=[obj.pk])
        text = "Download {} failed rows (CSV) to fix and re-upload"
        return format_html('<a class="text-primary-600 underline" href="{}">' + text + "</a>", url, obj.failed_records)

    @display(description="Columns not read")
    def ignored_columns_table(self, obj):
        if not obj.ignored_columns:
            return "—"
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            ((c["column"], c["header"], c["reason"]) for c in obj.ignored_columns),
        )
        return format_html(
            "<table><thead><tr><th>Column</th><th>Header</th><th>Why</th></tr></thead><tbody>{}</tbody></table>", rows
        )

    @display(description="Errors (first 100)")
    def errors_table(self, obj):
        errors = obj.error_log[:100]
        if not errors:
            return "—"
        rows = format_html_join("", "<tr><td>{}</td><td>{}</td></tr>", ((e["row"], e["error"]) for e in errors))
        return format_html("<table><thead><tr><th>Row</th><th>Error</th></tr></thead><tbody>{}</tbody></table>", rows)
