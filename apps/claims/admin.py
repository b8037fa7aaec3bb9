"""The claims workbench: queues by status, priority, handler, assessor and age; the claim page moves the claim,
assigns people and sets the reserve through the services; timeline, communications and payments inline; an
approvals queue for payments above their requester's authority."""

from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from unfold.admin import ModelAdmin
from unfold.contrib.filters.admin import RangeDateFilter
from unfold.decorators import action, display
from unfold.widgets import (
    UnfoldAdminDecimalFieldWidget,
    UnfoldAdminSelectWidget,
    UnfoldAdminTextareaWidget,
    UnfoldAdminTextInputWidget,
)

from apps.accounts.admin_saved_filters import SavedFiltersMixin
from apps.accounts.models import User
from apps.accounts.roles import Role
from apps.core import errors
from apps.core.admin_scale import ScaledSearchMixin
from apps.core.admin_utils import ReadOnlyTabularInline
from apps.core.columns import PERSON_SUMMARY
from apps.customers.timeline import LinkedTimelineAdminMixin

from . import selectors, services
from .admin_actions import ClaimBulkActionsMixin
from .admin_filters import CLAIM_FILTER_DEFAULTS, WaitingOnFilter
from .models import (
    OPEN_CLAIM_STATUSES,
    Assessment,
    AssessmentSection,
    Claim,
    ClaimCommunication,
    ClaimEvent,
    ClaimPayment,
    Estimate,
)


class ClaimEventInline(ReadOnlyTabularInline):
    model = ClaimEvent
    fields = ["occurred_at", "action", "from_status", "to_status", "actor", "note", "internal"]
    verbose_name_plural = "Timeline"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")


class ClaimCommunicationInline(ReadOnlyTabularInline):
    model = ClaimCommunication
    fields = ["occurred_at", "stakeholder", "channel", "direction", "subject", "body", "author"]
    verbose_name_plural = "Communications"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("author")


class ClaimPaymentInline(ReadOnlyTabularInline):
    model = ClaimPayment
    fields = ["created_at", "amount", "payee_name", "status", "requested_by", "decided_by", "paid_at"]
    verbose_name_plural = "Payments"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("requested_by", "decided_by")


class AgeFilter(admin.SimpleListFilter):
    """SLA queues: open claims by time since they were reported."""

    title = "open for"
    parameter_name = "age"
    OPTIONS = {
        "2d": ("Over 2 days in 'submitted'", 2),
        "30d": ("Open over 30 days", 30),
        "90d": ("Open over 90 days", 90),
    }

    def lookups(self, request, model_admin):
        return [(key, label) for key, (label, _) in self.OPTIONS.items()]

    def queryset(self, request, queryset):
        if self.value() not in self.OPTIONS:
            return queryset
        cutoff = timezone.localdate() - timedelta(days=self.OPTIONS[self.value()][1])
        if self.value() == "2d":
            return queryset.filter(status="submitted", reported_date__lt=cutoff)
        return queryset.filter(status__in=OPEN_CLAIM_STATUSES, reported_date__lt=cutoff)


class ClaimWorkForm(forms.ModelForm):
    """Working a claim: a move in the workflow, the people on it, the reserve, a note — saved by one service, all
    or nothing. It offers only the moves its `user` may make now (ClaimAdmin.get_form sets the user)."""

    user: User | None = None

    move_to = forms.ChoiceField(
        required=False,
        label="Move to",
        help_text="Only the moves you may make from here.",
        widget=UnfoldAdminSelectWidget,
    )
    note = forms.CharField(
        widget=UnfoldAdminTextareaWidget(attrs={"rows": 2}),
        required=False,
        help_text="Reason (required to reject or reopen). Without a move, kept as an internal note.",
    )
    settlement_amount_agreed = forms.DecimalField(
        required=False,
        max_digits=12,
        decimal_places=2,
        label="Settlement amount",
        help_text="When approving.",
        widget=UnfoldAdminDecimalFieldWidget,
    )
    handler_new = forms.ModelChoiceField(
        queryset=User.objects.none(), required=False, label="New handler", widget=UnfoldAdminSelectWidget
    )
    assessor_new = forms.ModelChoiceField(
        queryset=User.objects.none(), required=False, label="New assessor", widget=UnfoldAdminSelectWidget
    )
    reserve_new = forms.DecimalField(
        required=False,
        max_digits=12,
        decimal_places=2,
        min_value=0,
        label="New reserve",
        widget=UnfoldAdminDecimalFieldWidget,
    )
    reserve_reason = forms.CharField(
        required=False, max_length=300, label="Why the reserve changes", widget=UnfoldAdminTextInputWidget
    )

    class Meta:
        model = Claim
        fields = ["priority", "estimated_cost"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        allowed = services.CLAIM_WORKFLOW.allowed(self.user, self.instance)
        self.fields["move_to"].choices = [("", "—"), *((s, s.replace("_", " ")) for s in allowed)]
        people = User.objects.filter(is_active=True).order_by("first_name", "last_name")
        self.fields["handler_new"].queryset = people.filter(role__in=[Role.AGENT, Role.MANAGER])
        self.fields["assessor_new"].queryset = people.filter(role=Role.ASSESSOR)

    def clean(self):
        data = super().clean()
        if data.get("reserve_new") is not None and not (data.get("reserve_reason") or "").strip():
            self.add_error("reserve_reason", "Say why the reserve changes.")
        if data.get("move_to"):
            # The workflow's own answer (role, guards, reason); the service asks it again under the row lock.
            try:
                services.CLAIM_WORKFLOW.check(self.user, self.instance, data["move_to"], reason=data.get("note") or "")
            except ValidationError as exc:
                self.add_error(None, exc)
            except errors.SERVICE_ERRORS as exc:  # PermissionDenied, a domain error
                self.add_error("move_to", errors.service_error_message(exc))
        return data


@admin.register(Claim)
class ClaimAdmin(LinkedTimelineAdminMixin, SavedFiltersMixin, ClaimBulkActionsMixin, ScaledSearchMixin, ModelAdmin):
    linked_kind = "claim"
    form = ClaimWorkForm
    list_display = [
        "claim_number",
        "customer_display",
        "claim_type",
        "status_display",
        "priority",
        "incident_date",
        "claimed_amount",
        "reserve_amount",
        "handler",
        "assessor",
        "age",
        "fraud_score",
    ]
    list_filter = [
        WaitingOnFilter,
        "status",
        "priority",
        "claim_type",
        AgeFilter,
        "fraud_review",
        "handler",
        "assessor",
        ("incident_date", RangeDateFilter),
    ]
    list_filter_submit = True  # the incident date range (a date hierarchy would read every visible claim)
    saved_filter_defaults = CLAIM_FILTER_DEFAULTS
    search_fields = ["claim_number", "policy__policy_number", "customer__last_name", "customer__customer_code"]
    number_search = {"CLM-": "claim_number", "POL-": "policy__policy_number", "CUS-": "customer__customer_code"}
    name_search_vector = "customer__search_vector"
    list_select_related = ["customer", "handler", "assessor"]
    list_related = {
        "customer": ("customer_code", "first_name", "last_name"),
        "handler": PERSON_SUMMARY,
        "assessor": PERSON_SUMMARY,
    }
    list_skip = ("description", "fraud_indicators")
    readonly_fields = [
        "claim_number",
        "status",
        "policy",
        "customer",
        "vehicle",
        "claim_type",
        "coverage_code",
        "coverage_limit",
        "deductible",
        "claimed_amount",
        "currency",
        "description",
        "incident_date",
        "incident_time",
        "incident_place",
        "reported_date",
        "channel",
        "handler",
        "assessor",
        "reserve_amount",
        "paid_amount",
        "settlement_amount",
        "settlement_date",
        "fraud_score",
        "fraud_review",
        "fraud_indicators",
        "assessment_link",
        "duplicate_of",
        "filed_by",
        "created_at",
        "closed_at",
        "linked_timeline",
    ]
    fieldsets = [
        ("Claim", {"fields": readonly_fields[:17]}),
        ("Work it", {"fields": ["move_to", "note", "settlement_amount_agreed", "priority", "estimated_cost"]}),
        ("People", {"fields": ["handler", "assessor", "handler_new", "assessor_new"]}),
        (
            "Money",
            {
                "fields": [
                    "reserve_amount",
                    "paid_amount",
                    "settlement_amount",
                    "settlement_date",
                    "reserve_new",
                    "reserve_reason",
                ]
            },
        ),
        ("Fraud", {"fields": ["fraud_score", "fraud_review", "fraud_indicators"]}),
        ("Assessment", {"fields": ["assessment_link"]}),
        ("Record", {"fields": ["duplicate_of", "filed_by", "created_at", "closed_at"]}),
        ("Emails", {"fields": ["linked_timeline"]}),
    ]
    inlines = [ClaimEventInline, ClaimCommunicationInline, ClaimPaymentInline]
    actions = ["take_claims", "start_triage", "bulk_assign", "bulk_escalate", "bulk_status"]

    def get_queryset(self, request):
        return selectors.claims_visible_to(request.user)

    def has_add_permission(self, request) -> bool:
        return False  # claims are filed through the API or the portal (the same FNOL checks)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @display(description="Customer")
    def customer_display(self, obj):
        return obj.customer.full_name

    @display(description="Assessment")
    def assessment_link(self, obj):
        assessment = Assessment.objects.filter(claim=obj).first()
        if assessment is None:
            return "Not opened yet."
        url = reverse("admin:claims_assessment_change", args=[assessment.pk])
        verdict = "total loss recommended" if assessment.total_loss_recommendation else "repair"
        return format_html(
            '<a class="text-primary-600 underline" href="{}">{} · {}% complete · severity {}/10 · {}</a>',
            url,
            assessment.get_status_display(),
            assessment.completion_percentage,
            assessment.overall_severity,
            verdict,
        )

    @display(description="Why (latest score)")
    def fraud_indicators(self, obj):
        latest = obj.fraud_assessments.first()
        if latest is None:
            return "Not scored yet."
        if not latest.indicators:
            return f"Score {latest.score}: no indicator found."
        items = format_html_join(
            "",
            "<li><strong>{} (+{})</strong>: {}</li>",
            ((i["label"], i["points"], i["explanation"]) for i in latest.indicators),
        )
        model = f"model v{latest.model_version}" if latest.model_version else "no anomaly model yet"
        return format_html(
            '<ul class="list-disc ml-4">{}</ul><p class="text-xs mt-1">{}, {}</p>',
            items,
            model,
            latest.computed_at.strftime("%Y-%m-%d %H:%M"),
        )

    @display(description="Days open")
    def age(self, obj):
        end = obj.closed_at.date() if obj.closed_at else timezone.localdate()
        return (end - obj.reported_date).days

    @display(
        description="Status",
        label={
            "submitted": "info",
            "triage": "info",
            "assessment": "warning",
            "approved": "success",
            "settlement": "warning",
            "paid": "success",
            "closed": "success",
            "rejected": "danger",
            "withdrawn": "danger",
            "reopened": "warning",
        },
    )
    def status_display(self, obj):
        return obj.status

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        form.user = request.user  # a class made for this request by modelform_factory
        return form

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        try:
            services.claim_work(
                claim=obj,
                actor=request.user,
                changes={name: data[name] for name in ("priority", "estimated_cost") if name in form.changed_data},
                handler=data.get("handler_new"),
                assessor=data.get("assessor_new"),
                reserve=data.get("reserve_new"),
                reserve_reason=data.get("reserve_reason") or "",
                move_to=data.get("move_to") or "",
                note=data.get("note") or "",
                settlement_amount=data.get("settlement_amount_agreed"),
            )
        except errors.SERVICE_ERRORS as exc:
            request.claim_work_refused = True
            messages.error(request, f"{obj}: {errors.service_error_message(exc)} Nothing was saved.")

    def message_user(self, request, message, level=messages.INFO, *args, **kwargs):
        if level == messages.SUCCESS and getattr(request, "claim_work_refused", False):
            return  # the save was refused as a whole; "changed successfully" would be untrue
        super().message_user(request, message, level, *args, **kwargs)

    @action(description="Assign to me", permissions=["change"])
    def take_claims(self, request, queryset):
        done = 0
        for claim in queryset:
            with errors.as_message(request, about=claim):
                services.claim_assign(claim=claim, actor=request.user, handler=request.user)
                done += 1
        if done:
            messages.success(request, f"{done} claim(s) assigned to you.")

    @action(description="Start triage", permissions=["change"])
    def start_triage(self, request, queryset):
        for claim in queryset:
            with errors.as_message(request, about=claim):
                services.claim_transition(claim=claim, actor=request.user, to="triage")


@admin.register(ClaimPayment)
class ClaimPaymentAdmin(ModelAdmin):
    """The approvals queue (filter: waiting for approval) and the record of every claim payment."""

    list_display = ["claim", "amount", "currency", "payee_name", "status", "requested_by", "decided_by", "created_at"]
    list_filter = ["status", "payee_type"]
    search_fields = ["claim__claim_number", "payee_name"]
    list_select_related = ["claim", "requested_by", "decided_by"]
    readonly_fields = [f.name for f in ClaimPayment._meta.fields if f.name != "id"]
    actions = ["approve_payments"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(claim__in=selectors.claims_visible_to(request.user).values("pk"))

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def has_approve_permission(self, request) -> bool:
        return request.user.role in (Role.MANAGER, Role.ADMIN)

    @action(description="Approve selected payments (four eyes: not your own)", permissions=["approve"])
    def approve_payments(self, request, queryset):
        done = 0
        for payment in queryset.filter(status=ClaimPayment.Status.PENDING_APPROVAL):
            with errors.as_message(request, about=payment):
                services.claim_payment_decide(payment=payment, actor=request.user, approve=True)
                done += 1
        if done:
            messages.success(request, f"{done} payment(s) approved and booked.")


# --- assessments ----------------------------------------------------------------------------------------------


class AssessmentSectionInline(ReadOnlyTabularInline):
    model = AssessmentSection
    fields = ["area", "severity", "complete", "findings", "updated_at"]
    verbose_name_plural = "Sections"


class EstimateInline(ReadOnlyTabularInline):
    model = Estimate
    fields = [
        "source",
        "repairer_name",
        "parts_total",
        "labour_total",
        "paint_total",
        "sundries_total",
        "tax",
        "total",
        "accepted",
    ]
    verbose_name_plural = "Estimates (side by side)"


@admin.register(Assessment)
class AssessmentAdmin(ModelAdmin):
    """The assessment with its sections, photo gallery and estimates. Changes go through the API's services
    (assessors work from their app); here managers review."""

    list_display = [
        "claim",
        "assessor",
        "status",
        "completion_percentage",
        "overall_severity",
        "total_loss_recommendation",
        "scheduled_for",
    ]
    list_filter = ["status", "total_loss_recommendation", "assessor"]
    search_fields = ["claim__claim_number"]
    list_select_related = ["claim", "assessor"]
    readonly_fields = [
        "claim",
        "assessor",
        "status",
        "scheduled_for",
        "inspection_place",
        "vehicle_value",
        "summary",
        "completion_percentage",
        "overall_severity",
        "total_loss_recommendation",
        "total_loss_figures",
        "gallery",
        "completed_at",
    ]
    fields = readonly_fields
    inlines = [AssessmentSectionInline, EstimateInline]

    def get_queryset(self, request):
        return selectors.assessments_visible_to(request.user)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @display(description="Total-loss figures")
    def total_loss_figures(self, obj):
        basis = obj.total_loss_basis or {}
        if "repair_total" not in basis:
            return basis.get("reason", "—")
        return (
            f"Repair {basis['repair_total']} vs {basis['threshold_share']} × value {basis['vehicle_value']} "
            f"= {basis['threshold_amount']} (repair/value {basis['repair_to_value']})"
        )

    @display(description="Photos")
    def gallery(self, obj):
        photos = list(selectors.assessment_photos(obj))
        if not photos:
            return "No photos yet."
        return format_html_join(
            "",
            '<figure class="inline-block mr-2 mb-2 text-xs"><a href="/api/v1/documents/{}/download">'
            '<img src="/api/v1/documents/{}/download?variant=thumbnail" alt="{}" class="h-24 rounded border"></a>'
            "<figcaption>{}</figcaption></figure>",
            (
                (
                    p.document_id,
                    p.document_id,
                    p.caption or p.document.original_name,
                    " · ".join(x for x in (p.get_area_display() if p.area else "", p.caption) if x) or "—",
                )
                for p in photos
            ),
        )
