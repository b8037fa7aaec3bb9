"""The SMS/WhatsApp inbox in the back office: conversations with their messages, every message with its delivery
status, sandbox actions (inject a reply or a STOP, as a signed webhook), and WhatsApp templates with their review."""

from django.contrib import admin, messages
from unfold.admin import ModelAdmin
from unfold.decorators import action

from apps.core import errors
from apps.core.admin_utils import ReadOnlyTabularInline

from ..models import Conversation, Message, PushSubscription, WhatsAppTemplate
from ..selectors.messages import conversations_visible_to
from ..services.webhooks import sandbox_inject
from ..services.whatsapp import whatsapp_template_status_set


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

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    @action(description="Record Meta's review: approved")
    def approve(self, request, queryset):
        for template in queryset:
            whatsapp_template_status_set(template=template, status=WhatsAppTemplate.Status.APPROVED)
        self.message_user(request, f"{queryset.count()} template(s) approved.", messages.SUCCESS)

    @action(description="Record Meta's review: rejected")
    def reject(self, request, queryset):
        for template in queryset:
            whatsapp_template_status_set(template=template, status=WhatsAppTemplate.Status.REJECTED, reason="staff")
        self.message_user(request, f"{queryset.count()} template(s) rejected.", messages.SUCCESS)


@admin.register(PushSubscription)
class PushSubscriptionAdmin(ModelAdmin):
    list_display = ["user", "endpoint", "types", "last_success_at", "failures", "created_at"]
    search_fields = ["user__email", "endpoint"]
    list_select_related = ["user"]
    readonly_fields = ["user", "endpoint", "types", "user_agent", "last_success_at", "failures"]
    exclude = ["p256dh", "auth"]

    def has_add_permission(self, request) -> bool:
        return False
