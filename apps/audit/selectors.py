"""Reads of the audit trail (admins only, enforced by the permission matrix)."""

import pghistory.models
from django.db.models import QuerySet

from .models import SecurityEvent


def security_events_visible_to(user) -> QuerySet[SecurityEvent]:
    return SecurityEvent.objects.select_related("user") if user.can("audit") else SecurityEvent.objects.none()


def change_events_visible_to(user) -> QuerySet:
    """Every tracked model change across the system (pghistory's aggregate view of the event tables)."""
    qs = pghistory.models.Events.objects.all()
    return qs if user.can("audit") else qs.none()
