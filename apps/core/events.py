"""Domain events: published on transaction commit, fanned out to websocket groups.

Services call `publish("claim:status_changed", {...}, audience=[user_group(u), "dashboard"])`. Nothing is sent if
the transaction rolls back; the payload must be JSON-serialisable (pass ids and small facts, never model instances).
Higher apps (notifications, dashboards) subscribe with `subscribe(name, handler)`; handlers run after commit,
in-process. An empty audience is an event for subscribers only.

Every event is named `entity:verb` (snake_case words: `claim:status_changed`, `batch:progress`), the form seed 004
gives the ones clients see (`notification:new`, `lead:updated`, `ticket:updated`, `message:incoming`). `EVENTS`
below is the one list of them with their payloads: `publish` refuses a name that is not `entity:verb`, is not
listed, or whose payload keys are not the listed ones, and `subscribe` refuses a name that is not listed, so a
misspelt or renamed event fails in the tests instead of going nowhere. A new event is added here first.

The socket also sends two messages of its own (apps.core.realtime.consumers), never published:
`connection:ready` {groups} once joined, and `connection:pong` {} in answer to `{"type": "ping"}`.
"""

import logging
import re
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction
from django.utils import timezone

logger = logging.getLogger("insureops.events")

_GROUP_RE = re.compile(r"^[A-Za-z0-9_.-]{1,99}$")
EVENT_NAME_RE = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)*:[a-z][a-z0-9]*(?:_[a-z0-9]+)*$")
_subscribers: dict[str, list[Callable[[dict], None]]] = defaultdict(list)

DASHBOARD_GROUP = "dashboard"


@dataclass(frozen=True)
class EventSpec:
    """One event: the keys its payload always has, those it may have, who hears it, and whether it can change a
    dashboard figure (apps.core.figures recomputes after those)."""

    keys: tuple[str, ...]
    about: str
    optional: tuple[str, ...] = ()
    figures: bool = True


EVENTS: dict[str, EventSpec] = {
    # accounts
    "account:registered": EventSpec(
        ("user_id", "email", "role"), "Someone signed up (portal). → admins; customers links or creates the record."
    ),
    # customers
    "customer:created": EventSpec(("customer_id", "customer_code"), "A customer record. → managers, its agent."),
    "customer:updated": EventSpec(("customer_id", "fields"), "Fields changed (names only). → managers, its agent."),
    # policies
    "policy:status_changed": EventSpec(
        ("policy_id", "policy_number", "from", "to", "transition_id"),
        "A policy moved. → managers, its agent, its customer; billing books or refunds.",
    ),
    "policy:imported": EventSpec(
        ("policy_ids", "count", "source"),
        "Policies recorded in bulk from an insurer's sheet (one per chunk; `source` e.g. renewal-batch:12). "
        "In-process only; nothing is billed for a term we did not issue.",
    ),
    "policy:endorsed": EventSpec(
        ("policy_id", "endorsement_id", "endorsement", "premium_delta"),
        "A mid-term change (premium_delta a decimal string). → its agent (else managers); billing books the delta.",
    ),
    # billing
    "payment:received": EventSpec(
        ("payment_id", "policy_id", "amount"), "A premium payment was credited (amount a decimal string). → customer."
    ),
    "instalment:due": EventSpec(
        ("instalment_id", "policy_number", "amount", "currency", "due_date", "days"),
        "A payment reminder went out. Subscribers only: notifications tells the customer (notification:new).",
    ),
    "instalment:overdue": EventSpec(
        ("instalment_id", "policy_number", "amount", "currency", "due_date", "days"),
        "An arrears reminder went out (`days` past due). Subscribers only: notifications tells the customer.",
    ),
    "arrears:lapsed": EventSpec(
        ("policy_id", "policy_number", "amount", "currency"),
        "A policy lapsed for non-payment (amount overdue, a decimal string). Subscribers only: notifications "
        "tells the customer; staff hear policy:status_changed.",
    ),
    "arrears:reinstated": EventSpec(
        ("policy_id", "policy_number"),
        "A policy lapsed for non-payment is back in force, its arrears paid. Subscribers only: notifications tells "
        "the customer.",
    ),
    # claims
    "claim:status_changed": EventSpec(
        ("claim_id", "claim_number", "from", "to", "priority"),
        "A claim moved (`from` null when filed). → managers, dashboard, handler, assessor — not the customer: "
        "notifications tells them (notification:new, or claim:updated), one message per move.",
    ),
    "claim:assigned": EventSpec(
        ("claim_id", "claim_number", "handler_id", "assessor_id"), "Handler/assessor set. → the two of them."
    ),
    "claim:payment_pending": EventSpec(
        ("claim_id", "payment_id", "amount"), "A claim payment above its requester's authority. → managers."
    ),
    "claim:updated": EventSpec(
        ("claim_id", "claim_number", "status"),
        "Published by notifications for a customer who gets no notification of a claim move (in-app updates "
        "off), so their claim page still follows it. → that customer.",
        figures=False,
    ),
    # renewals
    "case:created": EventSpec(("case_id", "case_number"), "A renewal case opened unassigned. → managers."),
    "case:assigned": EventSpec(
        ("case_id", "case_number"),
        "A renewal case has an agent (opened by round robin, or assigned). → managers, the agent.",
        optional=("assigned_to",),
    ),
    "case:updated": EventSpec(("case_id", "case_number", "status"), "Status/notes/contact. → managers, its agent."),
    "case:escalated": EventSpec(
        ("case_id", "case_number", "reason", "escalated_to"), "→ the person escalated to, managers."
    ),
    "case:reminder_sent": EventSpec(
        ("case_id", "policy_number", "days"),
        "A renewal reminder went out. Subscribers only: notifications tells the customer (notification:new).",
    ),
    # messaging (email inbox)
    "email:received": EventSpec(
        ("account_id", "count", "email_ids"),
        "New mail stored by a sync (not auto-replies, bounces, loops). → managers, the agents it was assigned to.",
        figures=False,
    ),
    "email:assigned": EventSpec(
        ("email_id", "subject", "assigned_to"), "An inbox email has an owner. → the assignee, managers.", figures=False
    ),
    "email:updated": EventSpec(
        ("email_id", "status"), "Status, category or priority. → managers, its owner.", figures=False
    ),
    "email:escalated": EventSpec(
        ("email_id", "subject", "reason", "escalated_to"),
        "→ the person escalated to (messaging makes it a notification), managers.",
        figures=False,
    ),
    "batch:progress": EventSpec(
        ("batch_id", "status", "total_records", "processed_records", "successful_records", "failed_records"),
        "After every chunk of an upload batch. → the uploader (admin batches screen).",
    ),
    # crm (seed 004 §2.3)
    "lead:updated": EventSpec(
        ("lead_id", "kind", "status", "assigned_agent_id", "score", "fields"),
        "A lead was created, edited, moved, scored or assigned (`fields`: the names that changed). → managers, its "
        "agent (else its team's agents).",
    ),
    "opportunity:updated": EventSpec(
        ("opportunity_id", "stage", "from", "agent_id", "value", "fields"),
        "An opportunity was created, edited or moved along the pipeline (`from`: the stage before, null when "
        "created; `value` a decimal string). → managers, its agent.",
    ),
    "task:created": EventSpec(
        ("task_id", "title", "status", "assignee_id", "due_at"), "A CRM task. → its assignee, managers."
    ),
    "task:updated": EventSpec(
        ("task_id", "title", "status", "assignee_id", "due_at"), "A CRM task changed. → its assignee, managers."
    ),
    "appointment:created": EventSpec(
        ("appointment_id", "title", "start", "end", "status", "agent_id"), "An appointment. → its agent, managers."
    ),
    "appointment:updated": EventSpec(
        ("appointment_id", "title", "start", "end", "status", "agent_id"),
        "An appointment moved, changed or was cancelled. → its agent, managers.",
    ),
    # support
    "ticket:updated": EventSpec(
        ("ticket_id", "ticket_number", "status", "priority", "change", "internal", "assignee_id"),
        "A service ticket changed (`change`: created, customer_message, staff_reply, note, status, priority, "
        "assignee, team, rating, merged, sla_warning, sla_breached, updated; never a message's text). → its assignee "
        "and team; the customer too unless `internal` (notes, assignment, SLA alerts).",
        optional=("message_id", "escalated_to"),
        figures=False,
    ),
    "ticket:resolved": EventSpec(
        (
            "ticket_id",
            "ticket_number",
            "customer_id",
            "customer_user_id",
            "assignee_id",
            "category",
            "channel",
            "resolved_at",
        ),
        "A service ticket was resolved (each time: a reopened ticket resolved again publishes it again; `resolved_at` "
        "ISO 8601, `customer_user_id` null for a customer without a portal account). Subscribers only: the surveys "
        "app asks for a satisfaction rating (Ticket.satisfaction_rating, set by the customer: PUT /tickets/{id}).",
        figures=False,
    ),
    # notifications
    "notification:new": EventSpec(
        ("id", "type", "title", "message", "link", "priority", "created_at", "event", "data"),
        "An in-app notification (badge, list, toast); `event`/`data`: the event it is about (the portal's claim "
        "page follows claim:status_changed from here). → its user.",
        figures=False,
    ),
    # messaging
    "message:incoming": EventSpec(
        ("message_id", "conversation_id", "channel", "from", "customer_id", "preview"),
        "An SMS or WhatsApp message came in (seed 004; customer_id null for an unknown sender). → the customer's "
        "agent and managers; an unknown sender's → every agent and manager (the shared queue).",
        figures=False,
    ),
    # platform
    "announcement:new": EventSpec(
        ("message", "level"), "`manage.py broadcast`. → every role, or the groups given.", figures=False
    ),
    "bench:ping": EventSpec(("n", "sent_at"), "Websocket latency probe of `manage.py benchmark`.", figures=False),
}


def user_group(user_or_id) -> str:
    return f"user.{getattr(user_or_id, 'pk', user_or_id)}"


def role_group(role: str) -> str:
    return f"role.{role}"


def event_spec(name: str) -> EventSpec:
    """The listed event `name`, or ValueError saying why it is not one."""
    if not EVENT_NAME_RE.match(name):
        raise ValueError(f"Event names are entity:verb in snake_case (claim:status_changed), not {name!r}")
    try:
        return EVENTS[name]
    except KeyError:
        raise ValueError(f"Unknown event {name!r}: add it to apps.core.events.EVENTS") from None


def subscribe(name: str, handler: Callable[[dict], None]) -> None:
    """Register an in-process handler for an event name ('*' for all). Call from AppConfig.ready()."""
    if name != "*":
        event_spec(name)
    if handler not in _subscribers[name]:
        _subscribers[name].append(handler)


def build_event(name: str, payload: dict) -> dict:
    return {"id": uuid.uuid4().hex, "event": name, "data": payload, "published_at": timezone.now().isoformat()}


def _prepared(name: str, payload: dict, audience: Iterable[str]) -> tuple[dict, list[str]]:
    spec = event_spec(name)
    missing = set(spec.keys) - payload.keys()
    unexpected = payload.keys() - set(spec.keys) - set(spec.optional)
    if missing or unexpected:
        raise ValueError(f"Payload of {name} lacks {sorted(missing)} / has unlisted {sorted(unexpected)}")
    groups = list(dict.fromkeys(audience))
    for group in groups:
        if not _GROUP_RE.match(group):
            raise ValueError(f"Invalid audience group name: {group!r}")
    return build_event(name, payload), groups


def publish(name: str, payload: dict, *, audience: Iterable[str]) -> dict:
    """Queue `name` for delivery to the websocket groups in `audience` once the transaction commits."""
    event, groups = _prepared(name, payload, audience)
    transaction.on_commit(lambda: deliver(event, groups), robust=True)
    return event


def publish_many(items: Iterable[tuple[str, dict, Iterable[str]]]) -> list[dict]:
    """`publish` for each (name, payload, audience) of a bulk write: the same events to the same subscribers and
    groups, delivered on commit in one pass — one trip into the channel layer for all of them, where one per
    event (a new event loop each) would cost about a millisecond apiece (50,000 cases opened by the schedule)."""
    batch = [_prepared(name, payload, audience) for name, payload, audience in items]
    if batch:
        transaction.on_commit(lambda: deliver_many(batch), robust=True)
    return [event for event, _ in batch]


def _run_subscribers(event: dict) -> None:
    for handler in (*_subscribers.get(event["event"], ()), *_subscribers.get("*", ())):
        try:
            handler(event)
        except Exception:
            logger.exception("Event subscriber %r failed for %s", handler, event["event"])


def deliver(event: dict, groups: list[str]) -> None:
    """Send an event now (after commit) to subscribers and websocket groups (every group in one event-loop pass:
    a loop per group cost a millisecond or more each on the request that published it)."""
    deliver_many([(event, groups)])


def _run_subscribers_many(events: list[dict]) -> None:
    """`_run_subscribers` for a bulk write's events: a handler that offers `handler.many(events)` is called once with
    all the events it subscribed to (one celery message per chunk, one cache bump), the others once per event."""
    if len(events) == 1:
        _run_subscribers(events[0])
        return
    by_handler: dict[Callable[[dict], None], list[dict]] = {}
    for event in events:
        for handler in (*_subscribers.get(event["event"], ()), *_subscribers.get("*", ())):
            by_handler.setdefault(handler, []).append(event)
    for handler, handled in by_handler.items():
        many = getattr(handler, "many", None)
        if many is not None:
            try:
                many(handled)
            except Exception:
                logger.exception("Event subscriber %r failed for %d events", handler, len(handled))
            continue
        for event in handled:
            try:
                handler(event)
            except Exception:
                logger.exception("Event subscriber %r failed for %s", handler, event["event"])


def deliver_many(batch: list[tuple[dict, list[str]]]) -> None:
    """`deliver` for many events: their subscribers (batched, `_run_subscribers_many`), then every group message
    in one event-loop pass."""
    _run_subscribers_many([event for event, _ in batch])
    if not any(groups for _, groups in batch):  # subscribers only: no event loop to start
        return
    layer = get_channel_layer()
    if layer is None:
        return

    async def send_all() -> None:
        for event, groups in batch:
            for group in groups:
                try:
                    await layer.group_send(group, {"type": "event.message", "event": event})
                except Exception:
                    logger.exception("Could not deliver %s to %s", event["event"], group)

    async_to_sync(send_all)()
