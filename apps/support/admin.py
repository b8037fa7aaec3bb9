"""The service desk in the back office: the ticket queue with SLA badges (time left, paused, breached) and filters,
the ticket screen (the conversation with internal notes marked, a reply box with saved replies, status, priority
and assignee — one save is one service call), SLA policies, macros, the FAQ editor with its failed searches, and
the knowledge hub editor (every edit keeps the previous text)."""

from django import forms
from django.contrib import admin
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.timesince import timesince, timeuntil
from unfold.admin import ModelAdmin
from unfold.decorators import display
from unfold.widgets import UnfoldAdminSelectWidget, UnfoldAdminTextareaWidget

from apps.accounts.models import User
from apps.accounts.roles import Role
from apps.core import errors
from apps.core.admin_utils import ReadOnlyTabularInline

from . import selectors, services
from .macros import VARIABLES, macro_render
from .models import (
    REPLY_CHANNELS,
    Faq,
    FaqCategory,
    FaqSearchMiss,
    KnowledgeResource,
    KnowledgeResourceVersion,
    Macro,
    SlaPolicy,
    Ticket,
    TicketActivity,
    TicketPriority,
    TicketStatus,
    TrainingModule,
    TrainingProgress,
)


class SlaStateFilter(admin.SimpleListFilter):
    title = "SLA"
    parameter_name = "sla_state"

    def lookups(self, request, model_admin):
        return [(s, s.replace("_", " ").capitalize()) for s in selectors.SLA_STATES]

    def queryset(self, request, queryset):
        return queryset.filter(sla_state=self.value()) if self.value() else queryset


class TicketActivityInline(ReadOnlyTabularInline):
    model = TicketActivity
    fields = ["occurred_at", "kind", "status", "actor", "details"]
    verbose_name_plural = "History"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")


class TicketWorkForm(forms.ModelForm):
    """Reply (or note) and hand-offs; every change goes through services.ticket_work."""

    macro = forms.ModelChoiceField(
        queryset=Macro.objects.none(),
        required=False,
        widget=UnfoldAdminSelectWidget,
        help_text="A saved reply; its variables are filled in for this ticket and added to the reply.",
    )
    reply = forms.CharField(widget=UnfoldAdminTextareaWidget(attrs={"rows": 5}), required=False, max_length=20000)
    internal = forms.BooleanField(required=False, label="Internal note (never shown to the customer)")
    reply_by = forms.ChoiceField(
        choices=[("", "The channel the customer last wrote on"), *((c.value, c.label) for c in REPLY_CHANNELS)],
        required=False,
        label="Send the reply by",
        widget=UnfoldAdminSelectWidget,
        help_text="Email answers the customer's latest email in its thread; SMS and WhatsApp go to their phone. "
        "Each passes the consent gate: a refusal is shown here and nothing is saved.",
    )
    new_status = forms.ChoiceField(choices=[("", "—")], required=False, label="Status", widget=UnfoldAdminSelectWidget)
    new_priority = forms.ChoiceField(
        choices=TicketPriority.choices, required=False, label="Priority", widget=UnfoldAdminSelectWidget
    )
    new_assignee = forms.ModelChoiceField(
        queryset=User.objects.none(), required=False, label="Assignee", widget=UnfoldAdminSelectWidget
    )
    reason = forms.CharField(required=False, max_length=300, help_text="Needed to reopen a closed ticket.")

    class Meta:
        model = Ticket
        fields: list[str] = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        ticket = self.instance
        self.fields["macro"].queryset = Macro.objects.filter(is_active=True)
        self.fields["new_assignee"].queryset = User.objects.filter(
            is_active=True, role__in=[Role.AGENT, Role.MANAGER, Role.ADMIN]
        ).order_by("first_name", "last_name")
        if ticket.pk:
            targets = sorted(services.TICKET_WORKFLOW.targets_from(ticket.status))
            self.fields["new_status"].choices = [(ticket.status, f"{ticket.get_status_display()} (now)")] + [
                (t, TicketStatus(t).label) for t in targets
            ]
            self.initial.update(new_status=ticket.status, new_priority=ticket.priority, new_assignee=ticket.assignee_id)


@admin.register(Ticket)
class TicketAdmin(ModelAdmin):
    form = TicketWorkForm
    list_display = [
        "ticket_number",
        "subject",
        "customer",
        "status_display",
        "priority",
        "assignee",
        "team",
        "sla_badge",
        "last_message_at",
    ]
    list_filter = ["status", "priority", "category", "team", "assignee", SlaStateFilter]
    search_fields = ["ticket_number", "subject", "customer__last_name", "customer__customer_code"]
    list_select_related = ["customer", "assignee", "team", "last_event"]
    readonly_fields = [
        "ticket_number",
        "customer",
        "subject",
        "category",
        "channel",
        "team",
        "policy",
        "claim",
        "merged_into",
        "sla_detail",
        "conversation",
        "satisfaction_rating",
        "created_at",
    ]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "ticket_number",
                    "customer",
                    "subject",
                    "category",
                    "channel",
                    "policy",
                    "claim",
                    "merged_into",
                    "team",
                    "sla_detail",
                    "satisfaction_rating",
                    "created_at",
                ]
            },
        ),
        ("Conversation", {"fields": ["conversation"]}),
        (
            "Reply and hand-offs",
            {
                "fields": [
                    "macro",
                    "reply",
                    "internal",
                    "reply_by",
                    "new_status",
                    "new_priority",
                    "new_assignee",
                    "reason",
                ]
            },
        ),
    ]
    inlines = [TicketActivityInline]
    show_full_result_count = False
    ordering = ["-created_at"]

    def get_queryset(self, request):
        return selectors.with_sla_state(
            selectors.tickets_visible_to(request.user).select_related("customer", "assignee", "team", "last_event")
        )

    def has_add_permission(self, request) -> bool:
        return False  # opened by customers (portal, API) and by staff through the API on a customer's behalf

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @display(
        description="Status",
        label={
            "new": "info",
            "open": "info",
            "pending_customer": "warning",
            "pending_third_party": "warning",
            "resolved": "success",
            "closed": "success",
            "reopened": "danger",
        },
    )
    def status_display(self, obj):
        return obj.status

    @display(
        description="SLA",
        label={
            "on track": "success",
            "at risk": "warning",
            "breached": "danger",
            "paused": "info",
            "met": "success",
            "none": "info",
        },
    )
    def sla_badge(self, obj):
        state = getattr(obj, "sla_state", "none")
        due = getattr(obj, "sla_due_at", None)
        label = state.replace("_", " ")
        if due and state in ("on_track", "at_risk"):
            return label, f"{timeuntil(due)} left"
        if due and state == "breached":
            return label, f"{timesince(due)} late"
        return label

    @display(description="SLA now")
    def sla_detail(self, obj):
        state = selectors.ticket_sla(obj)
        now = timezone.now()
        rows = format_html_join(
            "",
            "<li>{}: {}</li>",
            (
                (
                    t.name.replace("_", " "),
                    "paused"
                    if t.paused
                    else (
                        f"missed {timesince(t.due_at, now)} ago"
                        if t.breached and t.due_at
                        else (f"due in {timeuntil(t.due_at, now)}" if t.due_at else "missed")
                    ),
                )
                for t in state.targets
            ),
        )
        return format_html("<strong>{}</strong><ul>{}</ul>", state.state.replace("_", " "), rows)

    @display(description="Conversation")
    def conversation(self, obj):
        messages = obj.messages.select_related("author").prefetch_related("attachments").order_by("created_at", "id")
        return format_html_join(
            "",
            '<div style="margin:0 0 12px;padding:8px;border-left:4px solid {};{}"><div><strong>{}</strong> · {} {}'
            '</div><div style="white-space:pre-wrap">{}</div><div>{}</div></div>',
            (
                (
                    "#d97706" if m.internal else ("#2563eb" if m.sender == "customer" else "#16a34a"),
                    "background:#fef3c7;" if m.internal else "",
                    m.author.get_full_name() if m.author_id else m.get_sender_display(),
                    timezone.localtime(m.created_at).strftime("%Y-%m-%d %H:%M"),
                    "· INTERNAL NOTE" if m.internal else f"· {m.get_sender_display()}",
                    m.body,
                    ", ".join(d.original_name for d in m.attachments.all()),
                )
                for m in messages
            ),
        )

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        reply = data.get("reply") or ""
        if data.get("macro"):
            rendered = macro_render(data["macro"].body, ticket=obj, agent=request.user)
            reply = f"{reply}\n\n{rendered}".strip() if reply.strip() else rendered
        with errors.as_message(request, about=obj):
            services.ticket_work(
                ticket=obj,
                actor=request.user,
                reply=reply,
                internal=bool(data.get("internal")),
                status=data.get("new_status") or None,
                priority=data.get("new_priority") or None,
                assignee=data.get("new_assignee"),
                reason=data.get("reason") or "",
                channel=data.get("reply_by") or None,
            )


@admin.register(SlaPolicy)
class SlaPolicyAdmin(ModelAdmin):
    list_display = [
        "name",
        "priority",
        "category",
        "first_response_minutes",
        "next_reply_minutes",
        "resolution_minutes",
        "business_hours",
        "is_active",
    ]
    list_filter = ["priority", "is_active", "business_hours"]


@admin.register(Macro)
class MacroAdmin(ModelAdmin):
    list_display = ["name", "is_active", "updated_at"]
    search_fields = ["name", "body"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        form.base_fields["body"].help_text = "Variables: " + ", ".join(f"{{{{{v}}}}}" for v in sorted(VARIABLES))
        return form


@admin.register(FaqCategory)
class FaqCategoryAdmin(ModelAdmin):
    list_display = ["name", "slug", "position"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Faq)
class FaqAdmin(ModelAdmin):
    list_display = ["question", "category", "is_published", "helpful_yes", "helpful_no"]
    list_filter = ["category", "is_published"]
    search_fields = ["question", "answer"]
    list_select_related = ["category"]
    exclude = ["search_vector"]

    def get_queryset(self, request):
        return selectors.faqs_with_votes(Faq.objects.select_related("category"))

    @display(description="Helpful")
    def helpful_yes(self, obj):
        return obj.helpful_yes

    @display(description="Not helpful")
    def helpful_no(self, obj):
        return obj.helpful_no


@admin.register(FaqSearchMiss)
class FaqSearchMissAdmin(ModelAdmin):
    """What customers searched for and did not find: the FAQ editors' to-do list."""

    list_display = ["query", "count", "first_searched_at", "last_searched_at"]
    search_fields = ["query"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class KnowledgeVersionInline(ReadOnlyTabularInline):
    model = KnowledgeResourceVersion
    fields = ["version", "title", "audience", "edited_by", "created_at"]


@admin.register(KnowledgeResource)
class KnowledgeResourceAdmin(ModelAdmin):
    list_display = ["title", "kind", "audience", "category", "version", "is_published", "updated_at"]
    list_filter = ["audience", "kind", "category", "is_published"]
    search_fields = ["title", "body", "tags"]
    exclude = ["search_vector", "author", "document"]
    readonly_fields = ["version"]
    inlines = [KnowledgeVersionInline]

    def save_model(self, request, obj, form, change):
        fields = {name: form.cleaned_data[name] for name in form.changed_data if name in form.cleaned_data}
        with errors.as_message(request, about=obj):
            if change:
                services.knowledge_resource_update(
                    resource=KnowledgeResource.objects.get(pk=obj.pk), actor=request.user, **fields
                )
            else:
                created = services.knowledge_resource_create(
                    actor=request.user, **{n: form.cleaned_data[n] for n in form.cleaned_data}
                )
                obj.pk = created.pk
                obj._state.adding = False


class TrainingProgressInline(ReadOnlyTabularInline):
    model = TrainingProgress
    fields = ["user", "status", "started_at", "completed_at", "score"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user")


@admin.register(TrainingModule)
class TrainingModuleAdmin(ModelAdmin):
    """The training editor; who completed what is in the progress list below each module."""

    list_display = ["title", "audience_roles", "required_for_roles", "due_days", "pass_score", "is_published"]
    list_filter = ["is_published"]
    search_fields = ["title", "description"]
    exclude = ["document"]
    inlines = [TrainingProgressInline]

    def save_model(self, request, obj, form, change):
        fields = {name: form.cleaned_data[name] for name in form.changed_data if name in form.cleaned_data}
        with errors.as_message(request, about=obj):
            saved = services.training_module_save(
                actor=request.user,
                module=TrainingModule.objects.get(pk=obj.pk) if change else None,
                **(fields if change else dict(form.cleaned_data.items())),
            )
            obj.pk = saved.pk
            obj._state.adding = False
