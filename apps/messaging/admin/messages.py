"""The SMS/WhatsApp inbox in the back office: conversations with their messages, every message with its delivery
status, sandbox actions (inject a reply or a STOP, as a signed webhook), and WhatsApp templates with their review."""

from django.conf import settings
from django.contrib import admin, messages
from django.shortcuts import redirect
from unfold.admin import ModelAdmin
from unfold.decorators import action

from apps.core import errors
from apps.core.admin_utils import ReadOnlyTabularInline
from apps.notifications.models import NotificationType

from ..models import Conversation, Message, PushSubscription, WhatsAppTemplate
from ..providers import ProviderError
from ..selectors.messages import conversations_visible_to
from ..services.webhooks import sandbox_inject
from ..services.whatsapp import whatsapp_template_status_set, whatsapp_templates_poll


class MessageInline(ReadOnlyTabularInline):
    model = Message
    fields = ["created_at", "direction", "channel", "body", "status", "sent_by"]
    ordering = ["-created_at", "-id"]


@admin.register(Conversation)
class ConversationAdmin(ModelAdmin):
    list_display = ["__str__", "last_message_at", "last_channel", "last_preview", "unread_count"]
    list_filter = ["last_channel"]
    search_fields = ["address", "customer__customer_code", "customer__last_name"]
    list_select_related = ["customer"]
    readonly_fields = ["customer", "address", "last_message_at", "last_channel", "last_preview", "unread_count"]
    inlines = [MessageInline]

    def get_queryset(self, request):
        return conversations_visible_to(request.user)

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(Message)
class MessageAdmin(ModelAdmin):
    list_display = ["created_at", "direction", "channel", "from_address", "to_address", "status", "provider", "source"]
    list_filter = ["direction", "channel", "status", "provider", "purpose"]
    search_fields = ["from_address", "to_address", "provider_message_id"]
    list_select_related = ["customer", "sent_by"]
    readonly_fields = [f.name for f in Message._meta.fields]
    actions = ["inject_reply", "inject_stop"]

    def get_queryset(self, request):
        visible = conversations_visible_to(request.user).values("pk")
        return super().get_queryset(request).filter(conversation__in=visible)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def _inject(self, request, queryset, text: str) -> None:
        done = 0
        for message in queryset:
            contact = message.to_address if message.direction == Message.Direction.OUTBOUND else message.from_address
            if not contact:
                continue
            with errors.as_message(request, about=message):
                sandbox_inject(channel=message.channel, from_address=contact, body=text)
                done += 1
        self.message_user(request, f"{done} inbound message(s) injected into the sandbox.", messages.SUCCESS)

    @action(description="Sandbox: inject a reply from the contact")
    def inject_reply(self, request, queryset):
        self._inject(request, queryset, "Thanks, received. Can you call me tomorrow?")

    @action(description="Sandbox: inject STOP from the contact")
    def inject_stop(self, request, queryset):
        self._inject(request, queryset, "STOP")


@admin.register(WhatsAppTemplate)
class WhatsAppTemplateAdmin(ModelAdmin):
    list_display = ["name", "language", "category", "status", "approved_at", "created_by"]
    list_filter = ["status", "category", "language"]
    search_fields = ["name"]
    list_select_related = ["created_by"]
    readonly_fields = ["status", "approved_at", "rejection_reason", "created_by"]
    actions = ["approve", "reject"]
    actions_list = ["sync_review"]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    def _reviewed_here(self, request) -> bool:
        """Only the sandbox's templates are reviewed by hand; a real provider's review is Meta's (its webhook and
        the poll), which a manual mark would contradict."""
        if settings.MESSAGING_PROVIDERS.get("whatsapp", "sandbox") == "sandbox":
            return True
        self.message_user(
            request, "Meta reviews these templates: use “Sync review status from WhatsApp”.", messages.WARNING
        )
        return False

    @action(description="Record the review (sandbox): approved")
    def approve(self, request, queryset):
        if not self._reviewed_here(request):
            return
        for template in queryset:
            whatsapp_template_status_set(template=template, status=WhatsAppTemplate.Status.APPROVED)
        self.message_user(request, f"{queryset.count()} template(s) approved.", messages.SUCCESS)

    @action(description="Record the review (sandbox): rejected")
    def reject(self, request, queryset):
        if not self._reviewed_here(request):
            return
        for template in queryset:
            whatsapp_template_status_set(template=template, status=WhatsAppTemplate.Status.REJECTED, reason="staff")
        self.message_user(request, f"{queryset.count()} template(s) rejected.", messages.SUCCESS)

    @action(description="Sync review status from WhatsApp", url_path="sync-review", permissions=["change"])
    def sync_review(self, request):
        try:
            result = whatsapp_templates_poll()
        except ProviderError as exc:
            self.message_user(request, f"WhatsApp did not answer: {exc.message}", messages.ERROR)
        else:
            if result["provider"] == "sandbox":
                self.message_user(request, "The sandbox has no remote review: approve or reject here.", messages.INFO)
            else:
                self.message_user(
                    request, f"{result['checked']} template(s) checked, {result['changed']} changed.", messages.SUCCESS
                )
        return redirect("admin:messaging_whatsapptemplate_changelist")


@admin.register(PushSubscription)
class PushSubscriptionAdmin(ModelAdmin):
    list_display = ["user", "endpoint", "types", "last_success_at", "failures", "created_at"]
    search_fields = ["user__email", "endpoint"]
    list_select_related = ["user"]
    readonly_fields = ["user", "endpoint", "types", "user_agent", "last_success_at", "failures"]
    exclude = ["p256dh", "auth"]

    def get_queryset(self, request):
        """Everyone manages their own browsers here; administrators see every subscription."""
        qs = super().get_queryset(request)
        return qs if request.user.role == "admin" else qs.filter(user=request.user)

    def changelist_view(self, request, extra_context=None):
        return super().changelist_view(request, {**(extra_context or {}), "push_types": NotificationType.choices})

    def has_add_permission(self, request) -> bool:
        return False
