"""The shared inbox (the agents' screen: queues by status, category, priority, unread and assignee; the email with
its thread, links and their reasons, attachments; reply with a managed template, escalate, work it — one save, one
service call), reply templates, mailboxes (the password only ever replaced) and the classifier's versions and
corrections."""

from django import forms
from django.contrib import admin, messages
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from unfold.admin import ModelAdmin
from unfold.contrib.filters.admin import RangeDateTimeFilter
from unfold.decorators import action, display
from unfold.widgets import UnfoldAdminSelectWidget, UnfoldAdminTextareaWidget, UnfoldAdminTextInputWidget

from apps.accounts.models import User
from apps.accounts.roles import Role
from apps.core import errors
from apps.core.admin_scale import EstimatedCountPaginator
from apps.core.admin_utils import ReadOnlyTabularInline
from apps.messaging.models import (
    ClassifierModel,
    Email,
    EmailAccount,
    EmailEvent,
    EmailLink,
    EmailTemplate,
    TrainingExample,
)
from apps.messaging.selectors import email as selectors
from apps.messaging.services import email as services
from apps.messaging.services.email_sync import email_account_sync
from apps.messaging.services.email_templates import TEMPLATE_VARIABLES, email_template_validate

MANAGERS = (Role.ADMIN, Role.MANAGER)


class EmailEventInline(ReadOnlyTabularInline):
    model = EmailEvent
    fields = ["occurred_at", "action", "actor", "details"]
    verbose_name_plural = "Timeline"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")


class EmailLinkInline(ReadOnlyTabularInline):
    model = EmailLink
    fields = ["kind", "label", "reason"]
    verbose_name_plural = "Linked records (and why)"


class EmailWorkForm(forms.ModelForm):
    """The email's workable fields plus escalation and a reply, saved through `email_work` in one transaction."""

    status = forms.ChoiceField(required=False, widget=UnfoldAdminSelectWidget)
    assign_to = forms.ModelChoiceField(
        queryset=User.objects.none(),
        required=False,
        widget=UnfoldAdminSelectWidget,
        help_text="Agents may take an unassigned email for themselves; managers assign anyone.",
    )
    escalate_to = forms.ModelChoiceField(
        queryset=User.objects.none(),
        required=False,
        widget=UnfoldAdminSelectWidget,
        help_text="A manager or administrator, notified at once.",
    )
    escalation_note = forms.CharField(
        widget=UnfoldAdminTextareaWidget(attrs={"rows": 2}), required=False, label="Why escalate"
    )
    reply_template = forms.ModelChoiceField(
        queryset=EmailTemplate.objects.none(), required=False, widget=UnfoldAdminSelectWidget, label="Reply template"
    )
    reply_to = forms.CharField(
        required=False, widget=UnfoldAdminTextInputWidget, help_text="Default: the sender.", label="Reply to"
    )
    reply_body = forms.CharField(
        widget=UnfoldAdminTextareaWidget(attrs={"rows": 8}),
        required=False,
        label="Reply",
        help_text="Written here, or the template's text (its {{ variables }} are filled in).",
    )

    class Meta:
        model = Email
        fields = ["category", "priority", "read_status"]

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        people = User.objects.filter(is_active=True).order_by("first_name", "last_name")
        self.fields["assign_to"].queryset = people.filter(role__in=[Role.AGENT, Role.MANAGER, Role.ADMIN])
        self.fields["escalate_to"].queryset = people.filter(role__in=MANAGERS)
        self.fields["reply_template"].queryset = selectors.email_templates_active()
        current = self.instance.status
        allowed = services.EMAIL_WORKFLOW.allowed(user, self.instance) if user is not None else []
        self.fields["status"].choices = [(current, f"{self.instance.get_status_display()} (now)")] + [
            (move, move.replace("_", " ").capitalize()) for move in allowed
        ]
        self.fields["status"].initial = current

    def clean(self):
        data = super().clean()
        if data.get("escalate_to") and not (data.get("escalation_note") or "").strip():
            self.add_error("escalation_note", "Say why the email is escalated.")
        if any(ch in (data.get("reply_to") or "") for ch in "\r\n"):
            self.add_error("reply_to", "One address, no line breaks.")
        return data


class AssigneeFilter(admin.SimpleListFilter):
    """Assigned to whom: the choices are the people who work the inbox (the users table), not a DISTINCT over every
    email, which would read the whole table at scale."""

    title = "assigned to"
    parameter_name = "assigned_to"

    def lookups(self, request, model_admin):
        people = User.objects.filter(is_active=True, role__in=[Role.AGENT, Role.MANAGER, Role.ADMIN])
        return [("none", "Nobody (shared inbox)")] + [
            (str(u.pk), u.get_full_name() or u.email) for u in people.order_by("first_name", "last_name")
        ]

    def queryset(self, request, queryset):
        if self.value() == "none":
            return queryset.filter(assigned_to__isnull=True)
        if self.value() and self.value().isdigit():
            return queryset.filter(assigned_to_id=int(self.value()))
        return queryset


@admin.register(Email)
class EmailAdmin(ModelAdmin):
    form = EmailWorkForm
    list_display = [
        "unread",
        "received_at",
        "from_display",
        "subject",
        "category",
        "priority_display",
        "status_display",
        "sentiment_label",
        "assigned_to",
        "reasons",
    ]
    list_display_links = ["received_at", "subject"]
    list_filter = [
        "status",
        "category",
        "priority",
        "read_status",
        "automated",
        "direction",
        AssigneeFilter,
        "account",
        ("received_at", RangeDateTimeFilter),
    ]
    list_filter_submit = True  # the received range (a date drill-down would read every visible email)
    paginator = EstimatedCountPaginator  # at a million emails a month: the planner's estimate beyond 10,000
    search_fields = ["subject", "from_email", "from_name"]
    list_select_related = ["assigned_to"]
    list_per_page = 50
    show_full_result_count = False
    inlines = [EmailLinkInline, EmailEventInline]
    actions = ["take", "mark_read", "mark_unread", "resolve"]
    readonly_fields = [
        "from_display",
        "to_email",
        "subject",
        "received_at",
        "message_body",
        "attachments_list",
        "thread_view",
        "ai_view",
        "automated",
        "assigned_to",
        "escalated_to",
        "escalation_reason",
        "customer",
        "delivery_status",
        "delivery_error",
    ]
    fieldsets = [
        (None, {"fields": ["from_display", "to_email", "subject", "received_at", "customer", "message_body"]}),
        ("Attachments and thread", {"fields": ["attachments_list", "thread_view"]}),
        ("Classification", {"fields": ["ai_view", "automated", "category", "priority"]}),
        (
            "Work",
            {"fields": ["status", "read_status", "assigned_to", "assign_to", "escalated_to", "escalation_reason"]},
        ),
        ("Escalate", {"fields": ["escalate_to", "escalation_note"]}),
        ("Reply", {"fields": ["reply_template", "reply_to", "reply_body", "delivery_status", "delivery_error"]}),
    ]

    def get_queryset(self, request):
        return selectors.emails_visible_to(request.user).select_related("account", "customer", "escalated_to")

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)

        class Bound(form):
            def __init__(self, *args, **kw):
                super().__init__(*args, user=request.user, **kw)

        return Bound

    def has_add_permission(self, request) -> bool:
        return False  # mail arrives by sync

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def change_view(self, request, object_id, form_url="", extra_context=None):
        email = self.get_object(request, object_id)
        if email is not None and request.method == "GET":
            services.email_mark_read(email=email, actor=request.user)
        return super().change_view(request, object_id, form_url, extra_context)

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        changes = {}
        for name in ("category", "priority", "read_status"):
            if name in form.changed_data:
                changes[name] = data[name]
        if data.get("status") and data["status"] != Email.objects.values_list("status", flat=True).get(pk=obj.pk):
            changes["status"] = data["status"]
        if data.get("assign_to") is not None:
            changes["assigned_to"] = data["assign_to"]
        # the form wrote the fields onto `obj`; the service works from the stored row
        fresh = Email.objects.get(pk=obj.pk)
        with errors.as_message(request, about="Not saved"):
            services.email_work(
                email=fresh,
                actor=request.user,
                changes=changes,
                escalated_to=data.get("escalate_to"),
                escalation_reason=data.get("escalation_note") or "",
                reply_body=data.get("reply_body") or "",
                reply_template=data.get("reply_template"),
                reply_to=(data.get("reply_to") or "").strip(),
            )
            if (data.get("reply_body") or "").strip() or data.get("reply_template") is not None:
                messages.success(request, "Reply sent.")

    @display(description="", boolean=False)
    def unread(self, obj):
        return "" if obj.read_status else "●"

    @display(description="From", ordering="from_email")
    def from_display(self, obj):
        return f"{obj.from_name} <{obj.from_email}>" if obj.from_name else obj.from_email

    @display(description="Priority", label={"low": "info", "medium": "info", "high": "warning", "urgent": "danger"})
    def priority_display(self, obj):
        return obj.priority

    @display(description="Status", label={"new": "info", "in_progress": "warning", "resolved": "success"})
    def status_display(self, obj):
        return obj.status

    @display(description="Linked because")
    def reasons(self, obj):
        return "; ".join(obj.link_reasons or [])

    @display(description="Message")
    def message_body(self, obj):
        if obj.body_html:
            # sanitised by nh3 when the mail was parsed (allow-list of tags and attributes; no scripts or handlers)
            return mark_safe(f'<div class="email-html" style="max-width:60rem">{obj.body_html}</div>')  # noqa: S308
        return format_html('<pre style="white-space:pre-wrap;max-width:60rem">{}</pre>', obj.body_text)

    @display(description="Attachments")
    def attachments_list(self, obj):
        if not obj.attachments:
            return "—"
        return format_html_join(
            "",
            "<div>{} ({} bytes): {}</div>",
            (
                (a.get("filename"), a.get("size"), a.get("status") + (f" — {a['reason']}" if a.get("reason") else ""))
                for a in obj.attachments
            ),
        )

    @display(description="Thread")
    def thread_view(self, obj):
        rows = selectors.email_thread(email=obj)
        return format_html(
            '<table class="email-thread">{}</table>',
            format_html_join(
                "",
                '<tr><td style="padding-right:1rem;white-space:nowrap">{}</td><td style="padding-right:1rem">{}</td>'
                '<td><b>{}</b><pre style="white-space:pre-wrap;margin:0">{}</pre></td></tr>',
                (
                    (
                        f"{m.received_at:%d %b %Y %H:%M}",
                        ("→ " + m.to_email) if m.direction == Email.Direction.OUTBOUND else ("← " + m.from_email),
                        m.subject,
                        m.body_text[:2000],
                    )
                    for m in rows
                ),
            ),
        )

    @display(description="AI")
    def ai_view(self, obj):
        intent = obj.ai_intent or {}
        return format_html(
            "intent {} ({}%), sentiment {} ({}), model {}, category set by {}",
            intent.get("category", "—"),
            intent.get("confidence", "—"),
            obj.sentiment_label or "—",
            obj.sentiment_score if obj.sentiment_score is not None else "—",
            obj.model_version or "—",
            obj.category_source,
        )

    @action(description="Assign to me", permissions=["change"])
    def take(self, request, queryset):
        for email in queryset:
            with errors.as_message(request, about=email):
                services.email_update(email=email, actor=request.user, assigned_to=request.user)

    @action(description="Mark read", permissions=["change"])
    def mark_read(self, request, queryset):
        for email in queryset:
            with errors.as_message(request, about=email):
                services.email_update(email=email, actor=request.user, read_status=True)

    @action(description="Mark unread", permissions=["change"])
    def mark_unread(self, request, queryset):
        for email in queryset:
            with errors.as_message(request, about=email):
                services.email_update(email=email, actor=request.user, read_status=False)

    @action(description="Resolve", permissions=["change"])
    def resolve(self, request, queryset):
        for email in queryset:
            with errors.as_message(request, about=email):
                services.email_update(email=email, actor=request.user, status="resolved")


class EmailTemplateForm(forms.ModelForm):
    class Meta:
        model = EmailTemplate
        fields = ["name", "category", "subject", "body", "is_active"]
        help_texts = {"body": "Variables: " + ", ".join(f"{{{{ {v} }}}}" for v in TEMPLATE_VARIABLES)}

    def clean(self):
        data = super().clean()
        with errors.as_form_error():
            email_template_validate(subject=data.get("subject") or "", body=data.get("body") or "")
        return data


@admin.register(EmailTemplate)
class EmailTemplateAdmin(ModelAdmin):
    """Managers keep the reply templates; agents use them."""

    form = EmailTemplateForm
    list_display = ["name", "category", "subject", "is_active", "updated_at"]
    list_filter = ["is_active", "category"]
    search_fields = ["name", "subject", "body"]

    def has_add_permission(self, request) -> bool:
        return request.user.role in MANAGERS and super().has_add_permission(request)

    def has_change_permission(self, request, obj=None) -> bool:
        return request.user.role in MANAGERS and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return request.user.role in MANAGERS and super().has_delete_permission(request, obj)


class EmailAccountForm(forms.ModelForm):
    """The password is write-only: never shown, replaced only when a new one is typed."""

    new_password = forms.CharField(
        required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        label="Password",
        help_text="Stored encrypted. Leave empty to keep the current one.",
    )

    class Meta:
        model = EmailAccount
        fields = [
            "name",
            "email",
            "provider",
            "imap_server",
            "imap_port",
            "smtp_server",
            "smtp_port",
            "username",
            "use_ssl",
            "smtp_starttls",
            "folder",
            "auto_sync",
            "sync_interval",
            "status",
        ]

    def clean(self):
        data = super().clean()
        if not self.instance.pk and not data.get("new_password"):
            self.add_error("new_password", "A new mailbox needs its password.")
        return data

    def save(self, commit=True):
        account = super().save(commit=False)
        if self.cleaned_data.get("new_password"):
            account.password_encrypted = self.cleaned_data["new_password"]
        if commit:
            account.save()
        return account


@admin.register(EmailAccount)
class EmailAccountAdmin(ModelAdmin):
    form = EmailAccountForm
    list_display = ["name", "email", "imap_server", "auto_sync", "sync_interval", "last_sync", "status", "last_error"]
    list_filter = ["status", "auto_sync"]
    readonly_fields = ["last_sync", "last_error", "uid_validity", "last_uid"]
    actions = ["sync_now"]

    def get_fields(self, request, obj=None):
        return [
            *EmailAccountForm.Meta.fields[:8],
            "new_password",
            *EmailAccountForm.Meta.fields[8:],
            *self.readonly_fields,
        ]

    @action(description="Sync now", permissions=["change"])
    def sync_now(self, request, queryset):
        for account in queryset:
            with errors.as_message(request, about=account):
                result = email_account_sync(account_id=account.pk)
                if result.error:
                    messages.error(request, f"{account}: {result.error}")
                else:
                    messages.success(request, f"{account}: {result.created} new, {result.skipped} already stored.")


@admin.register(ClassifierModel)
class ClassifierModelAdmin(ModelAdmin):
    list_display = ["version", "trained_at", "sample_count", "metrics"]
    exclude = ["model"]
    readonly_fields = ["version", "trained_at", "sample_count", "metrics"]

    def has_add_permission(self, request) -> bool:
        return False  # `manage.py train_email_classifier` or the weekly job

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(TrainingExample)
class TrainingExampleAdmin(ModelAdmin):
    """The manual corrections the next classifier version learns from."""

    list_display = ["created_at", "category", "previous_category", "corrected_by", "text"]
    list_filter = ["category"]
    readonly_fields = ["email", "text", "category", "previous_category", "corrected_by", "created_at"]
    list_select_related = ["corrected_by"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
