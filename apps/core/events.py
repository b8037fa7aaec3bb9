"""Domain events: published on transaction commit, fanned out to websocket groups.

Services call `publish("claim.status_changed", {...}, audience=[user_group(u), "dashboard"])`.
Nothing is sent if the transaction rolls back; the payload must be JSON-serialisable
(pass ids and small facts, never model instances). Higher apps (notifications, dashboards)
subscribe with `subscribe(name, handler)`; handlers run after commit, in-process.
"""

import logging
import re
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction
from django.utils import timezone

logger = logging.getLogger("insureops.events")

_GROUP_RE = re.compile(r"^[A-Za-z0-9_.-]{1,99}$")
_subscribers: dict[str, list[Callable[[dict], None]]] = defaultdict(list)

DASHBOARD_GROUP = "dashboard"


def user_group(user_or_id) -> str:
    return f"user.{getattr(user_or_id, 'pk', user_or_id)}"


def role_group(role: str) -> str:
    return f"role.{role}"


def subscribe(name: str, handler: Callable[[dict], None]) -> None:
    """Register an in-process handler for an event name ('*' for all). Call from AppConfig.ready()."""
    if handler not in _subscribers[name]:
        _subscribers[name].append(handler)


def build_event(name: str, payload: dict) -> dict:
    return {"id": uuid.uuid4().hex, "event": name, "data": payload, "published_at": timezone.now().isoformat()}


def publish(name: str, payload: dict, *, audience: Iterable[str]) -> dict:
    """Queue `name` for delivery to the websocket groups in `audience` once the transaction commits."""
    groups = list(dict.fromkeys(audience))
    for group in groups:
        if not _GROUP_RE.match(group):
            raise ValueError(f"Invalid audience group name: {group!r}")
    event = build_event(name, payload)
    transaction.on_commit(lambda: deliver(event, groups), robust=True)
    return event


def deliver(event: dict, groups: list[str]) -> None:
    """Send an event now (after commit) to subscribers and websocket groups."""
    for handler in (*_subscribers.get(event["event"], ()), *_subscribers.get("*", ())):
        try:
            handler(event)
        except Exception:
            logger.exception("Event subscriber %r failed for %s", handler, event["event"])
    layer = get_channel_layer()
    if layer is None:
        return
    send = async_to_sync(layer.group_send)
    for group in groups:
        try:
            send(group, {"type": "event.message", "event": event})
        except Exception:
            logger.exception("Could not deliver %s to %s", event["event"], group)
