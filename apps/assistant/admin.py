"""The assistant in the back office: the agents' copilot panel and, for administrators, the conversations, the
proposed actions, the tool-call trail and the rescinded answers (read-only: the assistant writes them).

The panel talks to the same endpoints as any client — `POST /api/v1/copilot/chat` for a turn and
`POST /api/v1/ai/actions/confirm` for a decision — with the admin session and its CSRF token, so the engine, the
permission checks, the rate limits and the audit trail are the API's own."""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.urls import path, reverse
from unfold.admin import ModelAdmin

from .models import Conversation, ProposedAction, RescindedResponse, ToolCallRecord


class _ReadOnly(ModelAdmin):
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Conversation)
class ConversationAdmin(_ReadOnly):
    list_display = ["__str__", "user", "channel", "updated_at"]
    list_filter = ["channel"]
    list_select_related = ["user"]
    search_fields = ["user__email"]
    readonly_fields = ["user", "channel", "messages", "context", "created_at", "updated_at"]

    def get_urls(self):
        panel = self.admin_site.admin_view(self.copilot_view)
        return [path("copilot/", panel, name="assistant_copilot"), *super().get_urls()]

    def copilot_view(self, request):
        """The copilot panel: whoever may use `POST /copilot/chat` (CRM access) may use it."""
        if not request.user.can("crm"):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "title": "AI copilot",
            "chat_endpoint": reverse("v1:copilot-chat"),
            "confirm_endpoint": reverse("v1:ai-actions-confirm"),
        }
        return TemplateResponse(request, "admin/assistant/copilot.html", context)


@admin.register(ProposedAction)
class ProposedActionAdmin(_ReadOnly):
    list_display = ["tool", "summary", "user", "status", "created_at", "decided_at"]
    list_filter = ["status", "tool"]
    list_select_related = ["user"]
    readonly_fields = ["user", "conversation", "tool", "arguments", "summary", "status", "result", "decided_at"]


@admin.register(ToolCallRecord)
class ToolCallRecordAdmin(_ReadOnly):
    list_display = ["tool", "outcome", "user", "channel", "created_at"]
    list_filter = ["outcome", "channel", "tool"]
    list_select_related = ["user"]
    readonly_fields = ["user", "conversation", "action", "channel", "tool", "arguments", "result", "outcome"]


@admin.register(RescindedResponse)
class RescindedResponseAdmin(_ReadOnly):
    list_display = ["rule", "channel", "user", "provider", "created_at"]
    list_filter = ["rule", "channel"]
    list_select_related = ["user"]
    readonly_fields = ["user", "conversation", "channel", "rule", "reason", "original", "replacement", "provider"]
