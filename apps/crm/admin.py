"""The CRM back office: leads with their scores, the pipeline's deals with their timelines, candidates, tasks,
appointments, activities and the teams' assignment rules. Rows are those the API shows the same person
(selectors); every save goes through one service call."""

from datetime import timedelta

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import JsonResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from unfold.admin import ModelAdmin
from unfold.decorators import display

from apps.core import errors
from apps.core.admin_scale import ScaledSearchMixin
from apps.core.admin_utils import ReadOnlyTabularInline

from . import selectors, services
from .models import (
    OPEN_STAGES,
    Activity,
    AgentCandidate,
    Appointment,
    CalendarFeed,
    Lead,
    LeadAssignmentRule,
    Opportunity,
    OpportunityEvent,
    OpportunityStage,
    Task,
)


def quote_text(quote) -> str:
    """The stored quote a lead or deal came from, in one line for the agent."""
    if quote is None:
        return "—"
    lines = ", ".join(f"{line['label']} {line['amount']}" for line in quote.lines)
    return (
        f"{quote.short_reference} · {quote.product.name}: {quote.annual_premium} {quote.currency}/year ({lines}); "
        f"{quote.get_status_display().lower()}, valid until {quote.expires_at:%Y-%m-%d}"
    )


BOARD_CLOSED_DAYS = 30  # won and lost deals stay on the board this long
BOARD_MAX_DEALS = 500

LEAD_FIELDS = [
    "first_name",
    "last_name",
    "email",
    "phone",
    "city",
    "source",
    "notes",
    "product_interest",
    "estimated_value",
    "licensed",
    "years_experience",
    "assigned_agent",
    "team",
]


class ActivityInline(ReadOnlyTabularInline):
    model = Activity
    fk_name = "lead"
    fields = ["occurred_at", "kind", "subject", "author"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("author")


class LeadAdminForm(forms.ModelForm):
    class Meta:
        model = Lead
        fields = ["kind", *LEAD_FIELDS, "status", "lost_reason"]

    def clean(self):
        cleaned = super().clean()
        lead = self.instance
        if lead.pk:
            with errors.on_form(self):
                self.saved = services.lead_update(lead=lead, actor=self.request.user, **self._changes(cleaned))
        return cleaned

    def _changes(self, cleaned) -> dict:
        fields = {name: cleaned.get(name) for name in self.changed_data if name in LEAD_FIELDS}
        if "status" in self.changed_data:
            fields["status"] = cleaned.get("status")
            fields["lost_reason"] = cleaned.get("lost_reason") or ""
        return fields


@admin.register(Lead)
class LeadAdmin(ScaledSearchMixin, ModelAdmin):
    form = LeadAdminForm
    name_search_vector = "search_vector"  # names, email, phone digits by full-text search (GIN), best first
    list_display = ["full_name", "kind", "status", "score_display", "source", "assigned_agent", "team", "created_at"]
    list_filter = ["kind", "status", "source", "team"]
    list_select_related = ["assigned_agent", "team"]
    search_fields = ["first_name", "last_name", "email", "phone"]
    readonly_fields = [
        "score",
        "score_explained",
        "first_contacted_at",
        "last_activity_at",
        "converted_at",
        "converted_customer",
        "quote_attached",
        "created_at",
    ]
    autocomplete_fields = []
    inlines = [ActivityInline]
    ordering = ["-score", "-created_at"]
    list_per_page = 50
    show_full_result_count = False

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        form.request = request
        return form

    def get_queryset(self, request):
        return selectors.leads_visible_to(request.user).defer("search_vector")

    @display(description="Score", ordering="score")
    def score_display(self, obj):
        return obj.score

    @display(description="From quote")
    def quote_attached(self, obj):
        return quote_text(obj.quote)

    @display(description="Why this score")
    def score_explained(self, obj):
        return "; ".join(f"{f['factor']} {f['points']}/{f['max']}: {f['reason']}" for f in obj.score_breakdown)

    def save_model(self, request, obj, form, change):
        if change:  # saved by the form's clean(), through lead_update (errors shown on the form)
            obj.pk = form.saved.pk
            return
        fields = {name: form.cleaned_data.get(name) for name in LEAD_FIELDS}
        fields = {k: v for k, v in fields.items() if v not in (None, "")}
        kind = form.cleaned_data["kind"]
        allowed = services.COMMON_FIELDS | (services.CLIENT_FIELDS if kind == "client" else services.RECRUIT_FIELDS)
        fields = {k: v for k, v in fields.items() if k in allowed or k in ("assigned_agent", "team")}
        lead, _ = services.lead_create(actor=request.user, kind=kind, first_name=fields.pop("first_name"), **fields)
        obj.pk = lead.pk


class OpportunityEventInline(ReadOnlyTabularInline):
    model = OpportunityEvent
    fields = ["occurred_at", "from_stage", "to_stage", "actor", "reason"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")


class OpportunityAdminForm(forms.ModelForm):
    class Meta:
        model = Opportunity
        fields = ["title", "stage", "lost_reason", "value", "expected_close", "product_line", "agent", "policy"]

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk:
            changes = {
                n: cleaned.get(n)
                for n in self.changed_data
                if n in ("title", "value", "expected_close", "product_line", "agent")
            }
            with errors.on_form(self):
                self.saved = services.opportunity_update(
                    opportunity=self.instance,
                    actor=self.request.user,
                    stage=cleaned.get("stage") if "stage" in self.changed_data else None,
                    lost_reason=cleaned.get("lost_reason") or "",
                    policy=cleaned.get("policy") if "policy" in self.changed_data else None,
                    **changes,
                )
        return cleaned


@admin.register(Opportunity)
class OpportunityAdmin(ModelAdmin):
    form = OpportunityAdminForm
    list_display = ["title", "customer", "stage", "value", "agent", "team", "expected_close"]
    list_filter = ["stage", "team", "product_line", "suggested"]
    list_select_related = ["customer", "agent", "team"]
    search_fields = ["title", "customer__last_name"]
    readonly_fields = ["customer", "lead", "closed_at", "quote_attached", "suggestion"]
    inlines = [OpportunityEventInline]
    list_per_page = 50

    def has_add_permission(self, request) -> bool:
        return False  # deals come from converted leads (or the API)

    @display(description="From quote")
    def quote_attached(self, obj):
        return quote_text(obj.quote)

    @display(description="Suggested because")
    def suggestion(self, obj):
        return "; ".join(obj.suggestion_reasons) if obj.suggested else "—"

    def get_urls(self):
        board = self.admin_site.admin_view(self.board_view)
        move = self.admin_site.admin_view(self.board_move_view)
        return [
            path("board/", board, name="crm_opportunity_board"),
            path("board/move/", move, name="crm_opportunity_board_move"),
            *super().get_urls(),
        ]

    def board_view(self, request):
        """The pipeline board: a column per stage with the deals the user may see (open ones, recent closed)."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        recent = timezone.now() - timedelta(days=BOARD_CLOSED_DAYS)
        deals = (
            selectors.opportunities_visible_to(request.user)
            .filter(Q(stage__in=OPEN_STAGES) | Q(closed_at__gte=recent))
            .order_by("-value", "id")[:BOARD_MAX_DEALS]
        )
        by_stage: dict[str, list] = {stage: [] for stage in OpportunityStage.values}
        for deal in deals:
            by_stage[deal.stage].append(deal)
        columns = [{"stage": s, "label": label, "deals": by_stage[s]} for s, label in OpportunityStage.choices]
        context = {
            **self.admin_site.each_context(request),
            "title": "Pipeline board",
            "columns": columns,
            "move_url": reverse("admin:crm_opportunity_board_move"),
        }
        return TemplateResponse(request, "admin/crm/pipeline_board.html", context)

    def board_move_view(self, request):
        """A drop on the board: the same service as PUT /opportunities/{id} (workflow, timeline, event)."""
        if request.method != "POST":
            return JsonResponse({"error": "POST only."}, status=405)
        deal = selectors.opportunities_visible_to(request.user).filter(pk=request.POST.get("opportunity") or 0).first()
        if deal is None:
            return JsonResponse({"error": "No such deal."}, status=404)
        try:
            deal = services.opportunity_update(
                opportunity=deal,
                actor=request.user,
                stage=request.POST.get("stage", ""),
                lost_reason=request.POST.get("lost_reason", ""),
            )
        except errors.SERVICE_ERRORS as exc:
            return JsonResponse({"error": errors.service_error_message(exc)}, status=400)
        return JsonResponse({"id": deal.pk, "stage": deal.stage})

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        form.request = request
        return form

    def get_queryset(self, request):
        return selectors.opportunities_visible_to(request.user)

    def save_model(self, request, obj, form, change):
        obj.pk = form.saved.pk


@admin.register(AgentCandidate)
class AgentCandidateAdmin(ModelAdmin):
    list_display = ["__str__", "stage", "licensed", "recruiter", "team", "created_at"]
    list_filter = ["stage", "licensed", "team"]
    list_select_related = ["recruiter", "team"]
    search_fields = ["first_name", "last_name", "email"]
    readonly_fields = ["lead", "stage"]

    def has_add_permission(self, request) -> bool:
        return False  # candidates come from converted recruit leads

    def get_queryset(self, request):
        return selectors.candidates_visible_to(request.user)


@admin.register(Activity)
class ActivityAdmin(ModelAdmin):
    list_display = ["occurred_at", "kind", "subject", "author", "lead", "customer", "opportunity"]
    list_filter = ["kind"]
    list_select_related = ["author", "lead", "customer", "opportunity"]
    search_fields = ["subject"]
    readonly_fields = ["author", "lead", "customer", "opportunity", "candidate"]

    def has_add_permission(self, request) -> bool:
        return False  # logged from the lead, the contact or the API (activity_create keeps the score current)

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def get_queryset(self, request):
        leads = selectors.leads_visible_to(request.user).values("pk")
        opportunities = selectors.opportunities_visible_to(request.user).values("pk")
        qs = super().get_queryset(request)
        if request.user.role in ("admin", "viewer"):
            return qs
        return qs.filter(lead__in=leads) | qs.filter(opportunity__in=opportunities) | qs.filter(author=request.user)


class _ServiceSaved(ModelAdmin):
    """Tasks and appointments: created and changed through their services (events, team rules) when the form is
    cleaned, so a refusal shows on the form; `save_model` only takes the saved row's id."""

    service_fields: tuple[str, ...] = ()

    def get_form(self, request, obj=None, **kwargs):
        base = super().get_form(request, obj, **kwargs)
        model_admin = self

        class ServiceForm(base):  # type: ignore[valid-type,misc]  # a class built at runtime by ModelAdmin
            def clean(self):
                cleaned = super().clean()
                if not self.errors:
                    fields = {n: cleaned.get(n) for n in model_admin.service_fields if n in cleaned}
                    with errors.on_form(self):
                        self.saved = model_admin.save_through_service(
                            request, self.instance, self.instance.pk is not None, fields
                        )
                return cleaned

        return ServiceForm

    def save_model(self, request, obj, form, change):
        obj.pk = form.saved.pk

    def save_through_service(self, request, obj, change, fields):
        raise NotImplementedError


@admin.register(Task)
class TaskAdmin(_ServiceSaved):
    list_display = ["title", "status", "priority", "due_at", "assignee"]
    list_filter = ["status", "priority"]
    list_select_related = ["assignee"]
    search_fields = ["title"]
    fields = ["title", "description", "status", "priority", "due_at", "remind_at", "assignee"]
    service_fields = ("title", "description", "status", "priority", "due_at", "remind_at", "assignee")

    def get_queryset(self, request):
        return selectors.tasks_visible_to(request.user)

    def get_urls(self):
        return [path("my-day/", self.admin_site.admin_view(self.my_day_view), name="crm_my_day"), *super().get_urls()]

    def my_day_view(self, request):
        """ "My day": the signed-in person's open tasks due by tonight (overdue included) and today's appointments."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        tasks, appointments = selectors.my_day(request.user)
        context = {
            **self.admin_site.each_context(request),
            "title": "My day",
            "tasks": tasks,
            "appointments": appointments,
            "now": timezone.now(),
        }
        return TemplateResponse(request, "admin/crm/my_day.html", context)

    def save_through_service(self, request, obj, change, fields):
        if change:
            return services.task_update(task=obj, actor=request.user, **fields)
        return services.task_create(actor=request.user, **fields)


@admin.register(Appointment)
class AppointmentAdmin(_ServiceSaved):
    list_display = ["title", "start", "end", "status", "agent", "customer"]
    list_filter = ["status"]
    list_select_related = ["agent", "customer"]
    search_fields = ["title", "location"]
    fields = ["title", "description", "location", "start", "end", "status", "agent"]
    service_fields = ("title", "description", "location", "start", "end", "status", "agent")

    def get_queryset(self, request):
        return selectors.appointments_visible_to(request.user)

    def save_through_service(self, request, obj, change, fields):
        if change:
            return services.appointment_update(appointment=obj, actor=request.user, **fields)[0]
        return services.appointment_create(actor=request.user, **fields)[0]


@admin.register(LeadAssignmentRule)
class LeadAssignmentRuleAdmin(ModelAdmin):
    list_display = ["team", "strategy", "is_active", "last_assigned"]
    list_select_related = ["team", "last_assigned"]
    readonly_fields = ["last_assigned"]


@admin.register(CalendarFeed)
class CalendarFeedAdmin(ModelAdmin):
    list_display = ["agent", "created_at", "updated_at", "revoked_at"]
    list_select_related = ["agent"]
    readonly_fields = ["agent", "nonce", "revoked_at"]

    def has_add_permission(self, request) -> bool:
        return False  # issued by its agent (POST /calendar/feed)
