"""Reads of the audit trail (admins only, enforced by the permission matrix)."""

from collections import defaultdict

import pghistory.models
from django.db.models import QuerySet

from .models import SecurityEvent


def security_events_visible_to(user) -> QuerySet[SecurityEvent]:
    return SecurityEvent.objects.select_related("user") if user.can("audit") else SecurityEvent.objects.none()


def change_events_visible_to(user) -> QuerySet:
    """Every tracked model change across the system (pghistory's aggregate view of the event tables)."""
    qs = pghistory.models.Events.objects.all()
    return qs if user.can("audit") else qs.none()


def change_events_page(events: pghistory.models.EventsQuerySet, *, offset: int, limit: int) -> list:
    """The page `events[offset:offset + limit]` of pghistory's aggregate view (filtered and ordered), read in two
    steps. The view is a UNION over every event table (~90) that builds each event's data and diff as JSON and
    looks up its previous event; ordered and sliced as a whole, PostgreSQL builds them for every event before it
    sorts (37 s for ~400k events). So the page's keys come first — the event model and id, where PostgreSQL leaves
    the JSON out — and then only those events, whole, from their own table (`across`), by primary key, with the
    same filters; in the keys' order."""
    keys = list(events.values_list("pgh_model", "pgh_id")[offset : offset + limit])
    by_model: dict[str, list] = defaultdict(list)
    for model, pk in keys:
        by_model[model].append(pk)
    found = {}
    for model, ids in by_model.items():
        for event in events.across(model).filter(pgh_id__in=ids).order_by():
            found[(model, event.pgh_id)] = event
    return [found[key] for key in keys if key in found]
