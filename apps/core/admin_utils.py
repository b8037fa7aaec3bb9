"""Shared admin building blocks."""

from unfold.admin import TabularInline


class ReadOnlyTabularInline(TabularInline):
    """An inline that shows related history (timelines, ledgers, logs); changes go through services."""

    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def get_readonly_fields(self, request, obj=None):
        return [*(self.fields or []), *self.readonly_fields]
