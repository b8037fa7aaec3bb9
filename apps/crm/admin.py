"""The CRM back office: leads with their scores, the pipeline's deals with their timelines, candidates, tasks,
appointments, activities and the teams' assignment rules. Rows are those the API shows the same person
(selectors); every save goes through one service call."""

from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404, HttpResponse, JsonResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from unfold.admin import ModelAdmin
from unfold.decorators import display

from apps.core import errors
from apps.core.admin_scale import ScaledSearchMixin
from apps.core.admin_utils import ReadOnlyTabularInline

from . import imports, merging, selectors, services
from .models import (
    OPEN_STAGES,
    Activity,
    AgentCandidate,
    Appointment,
    CalendarConnection,
    CalendarFeed,
    Lead,
    LeadAssignmentRule,
    LeadImport,
    LeadMerge,
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
    actions = ["merge_duplicates"]
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

    @admin.action(description="Merge two duplicates: the newer into the older")
    def merge_duplicates(self, request, queryset):
        """Two leads of one person: the newer is folded into the older (activities, tasks and appointments move;
        the older gains what it lacked). Undo it from "Lead merges" within CRM_MERGE_UNDO_HOURS."""
        pair = list(queryset.order_by("created_at", "id")[:3])
        if len(pair) != 2:
            self.message_user(request, "Select exactly two leads of the same person.", level="error")
            return
        older, newer = pair
        with errors.as_message(request, about=newer) as outcome:
            merging.lead_merge(lead=newer, into_lead=older, actor=request.user, reason="Merged in the back office")
        if not outcome.failed:
            self.message_user(request, f"{newer} merged into {older}; undo it from Lead merges if that was wrong.")

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


@admin.register(CalendarConnection)
class CalendarConnectionAdmin(ModelAdmin):
    """Who has linked a calendar and how it is going (last sync, push channel, the last error in words). Tokens
    are never shown. Connecting is the agent's own step (POST /calendar/google/connect)."""

    list_display = [
        "agent",
        "provider",
        "status",
        "account_email",
        "last_synced_at",
        "channel_expires_at",
        "last_error",
    ]
    list_filter = ["status", "provider"]
    list_select_related = ["agent"]
    search_fields = ["agent__email", "agent__last_name", "account_email"]
    fields = [
        "agent",
        "provider",
        "status",
        "account_email",
        "calendar_id",
        "scope",
        "access_token_expires_at",
        "last_synced_at",
        "last_error",
        "channel_id",
        "channel_expires_at",
        "connected_at",
        "disconnected_at",
    ]
    readonly_fields = fields
    actions = ["sync_now", "renew_channel"]

    def get_queryset(self, request):
        return selectors.calendar_connections_visible_to(request.user)

    def has_add_permission(self, request) -> bool:
        return False  # an agent connects their own calendar through Google's consent screen


# --- duplicate merges and bulk imports --------------------------------------------------------------------------


@admin.register(LeadMerge)
class LeadMergeAdmin(ModelAdmin):
    """Every duplicate merge the user may see (by the folded lead's ownership), with whether it can still be undone;
    "Undo" puts the selected merges back through the same service as POST /leads/merges/{id}/undo."""

    list_display = ["lead", "merged_into", "actor", "reason", "created_at", "undo_state"]
    list_filter = ["undone_at"]
    list_select_related = ["lead", "into_lead", "into_customer", "actor"]
    search_fields = ["lead__last_name", "into_lead__last_name", "into_customer__last_name"]
    readonly_fields = [
        "lead",
        "merged_into",
        "actor",
        "reason",
        "moved_rows",
        "filled_fields",
        "created_at",
        "undo_until",
        "undone_at",
        "undone_by",
    ]
    fields = readonly_fields
    actions = ["undo_selected"]
    list_per_page = 50

    def get_queryset(self, request):
        return selectors.lead_merges_visible_to(request.user)

    def has_add_permission(self, request) -> bool:
        return False  # merges are made from a lead (the leads list's action, or POST /leads/{id}/merge)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # the record of a merge is kept; undo it instead

    @display(description="Merged into")
    def merged_into(self, obj):
        return f"lead {obj.into_lead}" if obj.into_lead_id else f"contact {obj.into_customer}"

    @display(description="Undo", label=True)
    def undo_state(self, obj):
        if obj.undone_at:
            return f"undone {timezone.localtime(obj.undone_at):%d %b %H:%M}"
        if obj.undo_until > timezone.now():
            return f"can undo until {timezone.localtime(obj.undo_until):%d %b %H:%M}"
        return "stands"

    @display(description="Moved to the survivor")
    def moved_rows(self, obj):
        return ", ".join(f"{len(ids)} {name}" for name, ids in (obj.moved or {}).items()) or "nothing"

    @display(description="Fields the survivor gained")
    def filled_fields(self, obj):
        return ", ".join(sorted(obj.filled or {})) or "none"

    @admin.action(description="Undo the selected merges")
    def undo_selected(self, request, queryset):
        for merge in queryset:
            with errors.as_message(request, about=merge):
                _, kept = merging.lead_merge_undo(merge=merge, actor=request.user)
                note = f" (kept as edited since: {', '.join(kept)})" if kept else ""
                self.message_user(request, f"{merge}: undone{note}.")


@admin.register(LeadImport)
class LeadImportAdmin(ModelAdmin):
    """Bulk lead imports (one's own; managers their teams'; admins all): how each went, and the rows it turned away
    with the reason, downloadable as CSV or XLSX to fix and upload again (the same file as the API's)."""

    list_display = ["file_name", "kind", "actor", "created_at", "total_rows", "created_count", "outcome"]
    list_filter = ["kind"]
    list_select_related = ["actor"]
    search_fields = ["file_name"]
    fields = [
        "file_name",
        "kind",
        "actor",
        "team",
        "created_at",
        "total_rows",
        "created_count",
        "already_imported",
        "skipped_duplicates",
        "failed",
        "failed_rows",
    ]
    readonly_fields = fields
    list_per_page = 50

    def get_queryset(self, request):
        return selectors.lead_imports_visible_to(request.user).defer("rejected")

    def get_object(self, request, object_id, from_field=None):
        return selectors.lead_imports_visible_to(request.user).filter(pk=object_id).first()

    def has_add_permission(self, request) -> bool:
        return False  # uploaded through POST /leads/bulk-import

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    @admin.action(description="Sync now (both ways)")
    def sync_now(self, request, queryset):
        from .calsync.sync import connection_sync

        for connection in queryset:
            result = connection_sync(connection_id=connection.pk)
            level = messages.WARNING if result.errors else messages.SUCCESS
            self.message_user(
                request,
                f"{connection.agent}: {result.created} new, {result.updated} changed, {result.cancelled} cancelled, "
                f"{result.pushed} sent" + (f"; {'; '.join(result.errors[:3])}" if result.errors else ""),
                level,
            )

    @admin.action(description="Renew the push channel")
    def renew_channel(self, request, queryset):
        from .calsync.base import CalendarProviderError
        from .calsync.sync import connection_watch

        for connection in queryset:
            try:
                connection_watch(connection_id=connection.pk)
                self.message_user(request, f"{connection.agent}: channel renewed.", messages.SUCCESS)
            except CalendarProviderError as exc:
                self.message_user(request, f"{connection.agent}: {exc.message}", messages.ERROR)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def get_urls(self):
        download = self.admin_site.admin_view(self.failed_rows_view)
        return [
            path("<int:pk>/failed-rows.<str:file_format>", download, name="crm_leadimport_failed_rows"),
            *super().get_urls(),
        ]

    @display(description="Outcome", label=True)
    def outcome(self, obj):
        parts = [f"{obj.created_count} new"]
        if obj.already_imported:
            parts.append(f"{obj.already_imported} already in")
        if obj.skipped_duplicates:
            parts.append(f"{obj.skipped_duplicates} duplicates")
        if obj.failed:
            parts.append(f"{obj.failed} failed")
        return ", ".join(parts)

    @display(description="Rows turned away")
    def failed_rows(self, obj):
        turned_away = obj.failed + obj.skipped_duplicates
        if not turned_away:
            return "none"
        links = [
            format_html(
                '<a class="underline" href="{}">{}</a>',
                reverse("admin:crm_leadimport_failed_rows", args=[obj.pk, fmt]),
                label,
            )
            for fmt, label in (("csv", "CSV"), ("xlsx", "Excel"))
        ]
        shown = "".join(
            format_html("<li>row {}: {}</li>", row.get("row"), row.get("reason", "")) for row in obj.rejected[:20]
        )
        more = f"<li>… and {len(obj.rejected) - 20} more in the file</li>" if len(obj.rejected) > 20 else ""
        return format_html(
            "{} rows — download {} or {}<ul class='list-disc ml-5'>{}{}</ul>",
            turned_away,
            links[0],
            links[1],
            mark_safe(shown),  # noqa: S308 (each item escaped by format_html above)
            mark_safe(more),  # noqa: S308 (our own text)
        )

    def failed_rows_view(self, request, pk, file_format):
        """The rejected rows file, for whoever may see the import (another's is a 404)."""
        record = selectors.lead_imports_visible_to(request.user).filter(pk=pk).first()
        if record is None or file_format not in ("csv", "xlsx"):
            raise Http404("No such import.")
        if file_format == "xlsx":
            body = imports.failed_rows_xlsx(record)
            content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        else:
            body, content_type = imports.failed_rows_csv(record), "text/csv; charset=utf-8"
        response = HttpResponse(body, content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="lead-import-{record.pk}-failed-rows.{file_format}"'
        return response
