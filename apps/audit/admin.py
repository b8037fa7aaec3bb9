"""Read-only audit screens: security events and the data-change trail."""

from django.contrib import admin
from unfold.admin import ModelAdmin

from .models import SecurityEvent


class ReadOnlyAdminMixin:
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(SecurityEvent)
class SecurityEventAdmin(ReadOnlyAdminMixin, ModelAdmin):
    list_display = ["occurred_at", "kind", "email", "user", "ip_address", "path"]
    list_filter = ["kind", "occurred_at"]
    search_fields = ["email", "ip_address", "path", "request_id"]
    list_select_related = ["user"]
    date_hierarchy = "occurred_at"
    readonly_fields = [f.name for f in SecurityEvent._meta.fields]
