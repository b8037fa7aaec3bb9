"""Two-way sync between an agent's appointments and their external calendar (Google Calendar or the sandbox).

Connecting (OAuth 2.0 authorization code with PKCE): `connect_start` signs a `state` bound to the agent and a
single-use nonce kept server-side with the PKCE verifier (cache, 10 minutes), and answers the consent URL;
`connect_finish` (the public callback) checks the state, takes the nonce once, exchanges the code at the token
endpoint and stores the refresh token Fernet-encrypted. Access tokens are refreshed when they are about to
expire; a revoked grant puts the connection in `error` ("connect again"). `connection_disconnect` stops the
watch channel, revokes the grant at the provider and forgets every token.

Pulling (`connection_sync`): `events.list` with the stored sync token (the first time, or after a 410 Gone, a
full sync of the window from CRM_CALENDAR_SYNC_DAYS_BACK ago), page by page; each event creates, changes or
cancels its appointment through the CRM's own services (so conflicts, invitations and `appointment:*` events
behave as for any booking). The sync token is saved only when the last page is applied, in the same transaction,
so an interrupted sync repeats rather than skips.

Pushing (`appointment_push`, from `appointment:created/updated` through the worker after commit): insert, patch
or delete the event, marking it with our appointment id in `extendedProperties.private`.

No echo: each `CalendarEventLink` keeps the etag of the event as last written or read and a hash of the synced
fields. A pulled event whose etag is the recorded one is our own write coming back; a push whose hash is the
recorded one is a pulled change coming back. Neither is applied again, so nothing loops.

Push notifications (`events.watch`): every connection has a channel with a random secret token; a notification
is accepted only for the current channel id with that token (and resource id), otherwise it is refused and
nothing runs. Channels are renewed by beat (`crm.calendar_channels_renew`) a day before they expire.
"""

import base64
import hashlib
import hmac
import json
import logging
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from apps.accounts.models import User
from apps.core.exceptions import DomainError, Invalid, NotAllowed, NotFound, Unprocessable

from .. import services
from ..models import (
    Appointment,
    AppointmentStatus,
    CalendarConnection,
    CalendarConnectionStatus,
    CalendarEventLink,
)
from . import provider_default_name, provider_named
from .base import CalendarProviderError, EventGone, GrantRevoked, SyncTokenInvalid

logger = logging.getLogger("insureops.crm.calsync")

STATE_SALT = "crm.calsync.oauth-state"
PROPERTY = "insureopsAppointmentId"  # our id on the event (extendedProperties.private)
NO_TITLE = "(no title)"


# --- OAuth ---------------------------------------------------------------------------------------------------------


def _pending_key(nonce: str) -> str:
    return f"crm:calsync:oauth:{nonce}"


def _challenge(verifier: str) -> str:
    """RFC 7636 S256: BASE64URL(SHA256(verifier)) without padding."""
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


def connect_start(*, agent: User) -> str:
    """The provider's consent URL for the agent's own calendar (the state is signed and bound to this agent)."""
    if agent.role not in services.STAFF_OWNERS:
        raise PermissionDenied("Only staff who hold appointments can connect a calendar.")
    provider = provider_named(provider_default_name())
    verifier = secrets.token_urlsafe(64)  # RFC 7636: 43-128 characters
    nonce = secrets.token_urlsafe(16)
    cache.set(
        _pending_key(nonce),
        {"agent_id": agent.pk, "verifier": verifier, "provider": provider.name},
        settings.CRM_CALENDAR_OAUTH_STATE_SECONDS,
    )
    state = signing.dumps({"a": agent.pk, "n": nonce}, salt=STATE_SALT, compress=True)
    try:
        return provider.authorization_url(state=state, code_challenge=_challenge(verifier), login_hint=agent.email)
    except CalendarProviderError as exc:
        cache.delete(_pending_key(nonce))
        raise Unprocessable(exc.message, code="calendar_not_configured") from None


def connect_finish(*, state: str, code: str = "", error: str = "") -> CalendarConnection:
    """The consent screen's answer: check the state (signed, fresh, single-use, bound to the agent who started),
    exchange the code with the PKCE verifier and keep the grant. Anything wrong → a clear error, nothing kept."""
    try:
        data = signing.loads(state or "", salt=STATE_SALT, max_age=settings.CRM_CALENDAR_OAUTH_STATE_SECONDS)
    except signing.BadSignature:
        raise Invalid(
            "The connection request expired or was tampered with: start again.", code="invalid_state"
        ) from None
    pending = cache.get(_pending_key(str(data.get("n", ""))))
    cache.delete(_pending_key(str(data.get("n", ""))))  # single use, whatever happens next
    if not pending or pending.get("agent_id") != data.get("a"):
        raise Invalid("This connection request was already used or has expired: start again.", code="invalid_state")
    if error:
        raise Invalid(f"The calendar provider did not grant access ({error[:60]}).", code="access_denied")
    if not code:
        raise Invalid("The provider's answer carries no authorization code.", code="invalid_request")
    agent = User.objects.filter(pk=pending["agent_id"], is_active=True).first()
    if agent is None:
        raise Invalid("The account that started this connection is no longer active.", code="invalid_state")
    provider = provider_named(pending["provider"])
    try:
        grant = provider.exchange_code(code=code, code_verifier=pending["verifier"])
    except CalendarProviderError as exc:
        raise Unprocessable(exc.message, code="calendar_provider_error") from None
    if not grant.refresh_token:
        raise Unprocessable(
            "The provider gave no refresh token, so the calendar could not be kept in sync: try again.",
            code="calendar_provider_error",
        )
    now = timezone.now()
    with transaction.atomic():
        connection, _ = CalendarConnection.objects.select_for_update().get_or_create(
            agent=agent, defaults={"provider": provider.name}
        )
        old_calendar = connection.provider == provider.name and connection.account_email == grant.account_email
        connection.provider = provider.name
        connection.status = CalendarConnectionStatus.CONNECTED
        connection.calendar_id = "primary"
        connection.account_email = grant.account_email[:255]
        connection.scope = grant.scope[:500]
        connection.refresh_token = grant.refresh_token
        connection.access_token = grant.access_token
        connection.access_token_expires_at = grant.expires_at
        connection.sync_token = ""
        connection.last_error = ""
        connection.channel_id, connection.channel_token, connection.channel_resource_id = "", None, ""
        connection.channel_expires_at = None
        connection.connected_at, connection.disconnected_at = now, None
        connection.save()
        if not old_calendar:
            connection.links.all().delete()
        pk = connection.pk
        from ..tasks import calendar_connected

        transaction.on_commit(lambda: calendar_connected.delay(pk), robust=True)
    return connection


def _access_token(connection: CalendarConnection) -> str:
    """A live access token, refreshed through the refresh token when it expires within a minute."""
    expires = connection.access_token_expires_at
    if connection.access_token and expires and expires > timezone.now() + timedelta(seconds=60):
        return connection.access_token
    if not connection.refresh_token:
        raise GrantRevoked("No refresh token is stored: connect the calendar again.")
    grant = provider_named(connection.provider).refresh(refresh_token=connection.refresh_token)
    connection.access_token, connection.access_token_expires_at = grant.access_token, grant.expires_at
    update = ["access_token", "access_token_expires_at", "updated_at"]
    if grant.refresh_token:  # Google may rotate it
        connection.refresh_token = grant.refresh_token
        update.append("refresh_token")
    connection.save(update_fields=update)
    return grant.access_token


class _Authorized:
    """The connection's provider with the access token filled in (`api.list_events(calendar_id=…)`). When the
    provider says the token is no longer good (401) although our clock says it is, it is refreshed once and the
    call made again."""

    def __init__(self, connection: CalendarConnection):
        self.connection = connection
        self.provider = provider_named(connection.provider)

    def __getattr__(self, name: str):
        method = getattr(self.provider, name)

        def call(**kwargs):
            try:
                return method(access_token=_access_token(self.connection), **kwargs)
            except CalendarProviderError as exc:
                if exc.status != 401 or isinstance(exc, GrantRevoked):
                    raise
                self.connection.access_token_expires_at = None
                return method(access_token=_access_token(self.connection), **kwargs)

        return call


def _record_error(connection_id: int, exc: CalendarProviderError) -> None:
    revoked = isinstance(exc, GrantRevoked)
    message = "Calendar access was revoked or expired: connect again." if revoked else exc.message
    changes = {"last_error": message[:300], "updated_at": timezone.now()}
    if revoked:
        changes.update(status=CalendarConnectionStatus.ERROR, access_token=None)
    CalendarConnection.objects.filter(pk=connection_id).update(**changes)
    logger.warning("Calendar connection %s: %s", connection_id, message)


@transaction.atomic
def connection_disconnect(*, agent: User) -> CalendarConnection:
    """Stop the channel, revoke the grant at the provider and forget every token; appointments stay. Provider
    failures are logged and do not keep the tokens: the agent asked us to let go."""
    connection = CalendarConnection.objects.select_for_update().filter(agent=agent).first()
    if connection is None or connection.status == CalendarConnectionStatus.DISCONNECTED:
        raise NotFound("No calendar is connected.", code="calendar_not_connected")
    provider = provider_named(connection.provider)
    api = _Authorized(connection)
    try:
        if connection.channel_id:
            api.stop_channel(
                channel_id=connection.channel_id,
                resource_id=connection.channel_resource_id,
            )
    except CalendarProviderError as exc:
        logger.warning("Calendar connection %s: stopping the channel failed: %s", connection.pk, exc.message)
    try:
        if connection.refresh_token:
            provider.revoke(token=connection.refresh_token)
    except CalendarProviderError as exc:
        logger.warning("Calendar connection %s: revoking failed: %s", connection.pk, exc.message)
    connection.status = CalendarConnectionStatus.DISCONNECTED
    connection.refresh_token = connection.access_token = connection.channel_token = None
    connection.access_token_expires_at = connection.channel_expires_at = None
    connection.sync_token = connection.channel_id = connection.channel_resource_id = ""
    connection.last_error = ""
    connection.disconnected_at = timezone.now()
    connection.save()
    connection.links.all().delete()  # a later connection matches events again by our extended property
    return connection


# --- mapping ---------------------------------------------------------------------------------------------------------


def _as_datetime(value: dict, *, zone: str) -> datetime | None:
    """A Google `start`/`end`: `{"dateTime": RFC 3339}` or, for all-day events, `{"date": "YYYY-MM-DD"}` (midnight
    in the event's time zone; an all-day event's end date is exclusive, which is our `end` as well)."""
    if value.get("dateTime"):
        parsed = datetime.fromisoformat(value["dateTime"])
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=ZoneInfo(value.get("timeZone") or zone))
    if value.get("date"):
        return datetime.combine(
            date.fromisoformat(value["date"]), time(0), tzinfo=ZoneInfo(value.get("timeZone") or zone)
        )
    return None


def _fields_from_event(event: dict, zone: str) -> dict | None:
    start = _as_datetime(event.get("start") or {}, zone=zone)
    end = _as_datetime(event.get("end") or {}, zone=zone)
    if start is None or end is None:
        return None
    if end <= start:
        end = start + timedelta(minutes=1)  # Google allows zero-length events; our appointments must end after
    return {
        "title": (event.get("summary") or NO_TITLE).strip()[:200] or NO_TITLE,
        "description": event.get("description") or "",
        "location": (event.get("location") or "")[:255],
        "start": start,
        "end": end,
    }


def event_body(appointment: Appointment) -> dict:
    """The Google event for an appointment (what we insert or patch)."""
    return {
        "summary": appointment.title,
        "description": appointment.description,
        "location": appointment.location,
        "start": {"dateTime": appointment.start.astimezone(UTC).isoformat()},
        "end": {"dateTime": appointment.end.astimezone(UTC).isoformat()},
        "status": "cancelled" if appointment.status == AppointmentStatus.CANCELLED else "confirmed",
        "extendedProperties": {"private": {PROPERTY: str(appointment.pk)}},
    }


def synced_hash(appointment: Appointment) -> str:
    """A digest of what the sync carries; equal digests mean nothing to send."""
    facts = [
        appointment.title,
        appointment.description,
        appointment.location,
        appointment.start.astimezone(UTC).isoformat(),
        appointment.end.astimezone(UTC).isoformat(),
        appointment.status == AppointmentStatus.CANCELLED,
    ]
    return hashlib.sha256(json.dumps(facts).encode()).hexdigest()


def _updated(event: dict) -> datetime | None:
    try:
        return datetime.fromisoformat(event["updated"]) if event.get("updated") else None
    except ValueError:
        return None


# --- pull ----------------------------------------------------------------------------------------------------------


@dataclass
class SyncResult:
    full: bool = False
    pages: int = 0
    created: int = 0
    updated: int = 0
    cancelled: int = 0
    unchanged: int = 0
    skipped: int = 0
    pushed: int = 0
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {**self.__dict__}


def _apply(connection: CalendarConnection, event: dict, result: SyncResult, zone: str) -> None:
    agent = connection.agent
    event_id = str(event.get("id") or "")
    if not event_id:
        result.skipped += 1
        return
    link = (
        CalendarEventLink.objects.select_related("appointment").filter(connection=connection, event_id=event_id).first()
    )
    if link is None:
        ours = str(((event.get("extendedProperties") or {}).get("private") or {}).get(PROPERTY, ""))
        appointment = Appointment.objects.filter(pk=int(ours), agent=agent).first() if ours.isdigit() else None
        if appointment is not None:  # ours, seen again after a reconnection
            CalendarEventLink.objects.filter(appointment=appointment).delete()
            link = CalendarEventLink.objects.create(connection=connection, appointment=appointment, event_id=event_id)
    if event.get("status") == "cancelled":
        if link is None:
            result.unchanged += 1
            return
        appointment = link.appointment
        if appointment.status != AppointmentStatus.CANCELLED:
            appointment, _ = services.appointment_update(
                appointment=appointment, actor=agent, status=AppointmentStatus.CANCELLED
            )
            result.cancelled += 1
        else:
            result.unchanged += 1
        link.appointment = appointment
        link.etag, link.deleted_remotely, link.synced_hash = event.get("etag", ""), True, synced_hash(appointment)
        link.synced_at = timezone.now()
        link.save()
        return
    if link is not None and link.etag and event.get("etag") == link.etag:
        result.unchanged += 1  # our own write, or nothing new
        return
    fields = _fields_from_event(event, zone)
    if fields is None:
        result.skipped += 1
        return
    if link is None:
        appointment, _ = services.appointment_create(actor=agent, agent=agent, **fields)
        CalendarEventLink.objects.create(
            connection=connection,
            appointment=appointment,
            event_id=event_id,
            etag=event.get("etag", ""),
            synced_hash=synced_hash(appointment),
            synced_at=timezone.now(),
            remote_updated=_updated(event),
        )
        result.created += 1
        return
    appointment = link.appointment
    changes = {name: value for name, value in fields.items() if getattr(appointment, name) != value}
    if appointment.status == AppointmentStatus.CANCELLED:
        changes["status"] = AppointmentStatus.SCHEDULED  # restored in the calendar app
    agreed = not changes  # both sides already say the same
    remote_updated = _updated(event)
    local_unsent = link.synced_hash != synced_hash(appointment)
    if changes and local_unsent and remote_updated and appointment.updated_at > remote_updated:
        changes = {}  # both sides changed: the later change wins, and ours is later (it is pushed next)
    if changes:
        appointment, _ = services.appointment_update(appointment=appointment, actor=agent, **changes)
        result.updated += 1
    else:
        result.unchanged += 1
    link.appointment = appointment
    link.etag, link.remote_updated, link.deleted_remotely = event.get("etag", ""), remote_updated, False
    if (
        changes or agreed or not local_unsent
    ):  # otherwise ours is still to be sent (_push_pending finds it by synced_at)
        link.synced_hash, link.synced_at = synced_hash(appointment), timezone.now()
    link.save()


def _pull(connection: CalendarConnection, result: SyncResult) -> None:
    api = _Authorized(connection)
    zone = settings.TIME_ZONE
    sync_token = connection.sync_token
    result.full = not sync_token
    page_token = ""
    time_min = (timezone.now() - timedelta(days=settings.CRM_CALENDAR_SYNC_DAYS_BACK)).astimezone(UTC)
    restarted = False
    while True:
        try:
            page = api.list_events(
                calendar_id=connection.calendar_id,
                sync_token=sync_token,
                page_token=page_token,
                time_min="" if sync_token else time_min.isoformat().replace("+00:00", "Z"),
            )
        except SyncTokenInvalid:
            if restarted:
                raise
            # 410 Gone: Google forgot the token; sync everything again (already-linked events match by id)
            restarted, result.full, sync_token, page_token = True, True, "", ""
            continue
        result.pages += 1
        for event in page.items:
            try:
                with transaction.atomic():
                    _apply(connection, event, result, zone)
            except (ValidationError, PermissionDenied, DomainError) as exc:
                result.skipped += 1
                result.errors.append(f"event {event.get('id')}: {exc}"[:200])
        if page.next_page_token:
            page_token = page.next_page_token
            continue
        connection.sync_token = page.next_sync_token
        return


def _push_pending(connection: CalendarConnection, result: SyncResult) -> None:
    """Appointments changed here and not yet in the calendar (first connection, a failed push): send them."""
    window = timezone.now() - timedelta(days=settings.CRM_CALENDAR_SYNC_DAYS_BACK)
    pending = (
        Appointment.objects.filter(agent_id=connection.agent_id, end__gte=window)
        .filter(
            Q(calendar_link__isnull=True, status=AppointmentStatus.SCHEDULED)
            | Q(calendar_link__synced_at__lt=F("updated_at"))
            | Q(calendar_link__isnull=False, calendar_link__synced_at__isnull=True)
        )
        .values_list("pk", flat=True)
        .order_by("start")[:500]
    )
    for pk in list(pending):
        outcome = appointment_push(appointment_id=pk)
        result.pushed += outcome in ("inserted", "patched", "deleted")


def connection_sync(*, connection_id: int, push: bool = True) -> SyncResult:
    """Pull every change since the last sync (a full sync the first time or after a 410), then send what is
    pending here. One sync per connection at a time (the row is locked); a provider failure is recorded on the
    connection and changes nothing (the sync token stays where it was)."""
    result = SyncResult()
    try:
        with transaction.atomic():
            connection = (
                CalendarConnection.objects.select_for_update(of=("self",))
                .select_related("agent")
                .filter(pk=connection_id, status=CalendarConnectionStatus.CONNECTED)
                .first()
            )
            if connection is None:
                return result
            _pull(connection, result)
            connection.last_synced_at, connection.last_error = timezone.now(), ""
            connection.save(update_fields=["sync_token", "last_synced_at", "last_error", "updated_at"])
        if push:
            _push_pending(connection, result)
    except CalendarProviderError as exc:
        _record_error(connection_id, exc)
        result.errors.append(exc.message)
    return result


def calendar_sync_for_agent(*, agent: User) -> SyncResult:
    connection = CalendarConnection.objects.filter(agent=agent, status=CalendarConnectionStatus.CONNECTED).first()
    if connection is None:
        raise NotFound("No calendar is connected.", code="calendar_not_connected")
    return connection_sync(connection_id=connection.pk)


# --- push ----------------------------------------------------------------------------------------------------------


def _remove_from_previous_agent(*, appointment_id: int, agent_id: int) -> None:
    """The appointment went to another agent: take its event out of the previous agent's calendar (best effort:
    a failure is recorded on that connection, and the link is dropped either way)."""
    stale = (
        CalendarEventLink.objects.select_related("connection")
        .filter(appointment_id=appointment_id)
        .exclude(connection__agent_id=agent_id)
        .first()
    )
    if stale is None:
        return
    previous = stale.connection
    if previous.status == CalendarConnectionStatus.CONNECTED and not stale.deleted_remotely:
        try:
            _Authorized(previous).delete_event(calendar_id=previous.calendar_id, event_id=stale.event_id)
        except CalendarProviderError as exc:
            _record_error(previous.pk, exc)
    stale.delete()


def appointment_push(*, appointment_id: int) -> str:
    """Write one appointment to its agent's calendar: insert, patch or delete the event. Answers what happened
    (`not_connected`, `unchanged`, `inserted`, `patched`, `deleted`, `error`). Safe to run twice: the second run
    finds the recorded hash and sends nothing."""
    connection_id = None
    try:
        agent_id = Appointment.objects.filter(pk=appointment_id).values_list("agent_id", flat=True).first()
        if agent_id is None:
            return "gone"
        _remove_from_previous_agent(appointment_id=appointment_id, agent_id=agent_id)
        with transaction.atomic():
            # the connection first, then the appointment: the order a sync takes them in (no deadlock)
            connection = (
                CalendarConnection.objects.select_for_update()
                .filter(agent_id=agent_id, status=CalendarConnectionStatus.CONNECTED)
                .first()
            )
            if connection is None:
                return "not_connected"
            appointment = Appointment.objects.select_for_update().filter(pk=appointment_id, agent_id=agent_id).first()
            if appointment is None:
                return "gone"  # or moved to another agent meanwhile: that agent's push handles it
            connection_id = connection.pk
            link = CalendarEventLink.objects.filter(appointment=appointment).first()
            if link is not None and link.connection_id != connection.pk:
                link.delete()  # reassigned to another agent, or an older connection: start afresh here
                link = None
            digest = synced_hash(appointment)
            if link is not None and link.synced_hash == digest:
                CalendarEventLink.objects.filter(pk=link.pk).update(synced_at=timezone.now())
                return "unchanged"
            provider_named(connection.provider)
            api = _Authorized(connection)
            if appointment.status == AppointmentStatus.CANCELLED:
                if link is None:
                    return "unchanged"
                if not link.deleted_remotely:
                    api.delete_event(calendar_id=connection.calendar_id, event_id=link.event_id)
                link.deleted_remotely, link.synced_hash, link.synced_at = True, digest, timezone.now()
                link.save()
                return "deleted"
            body = event_body(appointment)
            outcome = "patched"
            if link is None:
                event = api.insert_event(calendar_id=connection.calendar_id, body=body)
                link = CalendarEventLink(connection=connection, appointment=appointment, event_id=event["id"])
                outcome = "inserted"
            else:
                try:
                    event = api.patch_event(calendar_id=connection.calendar_id, event_id=link.event_id, body=body)
                except EventGone:
                    event = api.insert_event(calendar_id=connection.calendar_id, body=body)
                    link.event_id, outcome = event["id"], "inserted"
            link.etag, link.synced_hash, link.synced_at = event.get("etag", ""), digest, timezone.now()
            link.remote_updated, link.deleted_remotely = _updated(event), False
            link.save()
            return outcome
    except CalendarProviderError as exc:
        if connection_id:
            _record_error(connection_id, exc)
        return "error"


# --- push notifications (events.watch) ------------------------------------------------------------------------------


def connection_watch(*, connection_id: int) -> CalendarConnection | None:
    """Open a new watch channel (a new id and secret token) and stop the old one. Used on connection and by the
    renewal job before the channel expires."""
    with transaction.atomic():
        connection = (
            CalendarConnection.objects.select_for_update()
            .filter(pk=connection_id, status=CalendarConnectionStatus.CONNECTED)
            .first()
        )
        if connection is None:
            return None
        api = _Authorized(connection)
        old = (connection.channel_id, connection.channel_resource_id)
        secret = secrets.token_urlsafe(32)
        channel = api.watch(
            calendar_id=connection.calendar_id,
            channel_id=str(uuid.uuid4()),
            token=secret,
            address=settings.GOOGLE_CALENDAR["webhook_url"],
            ttl=settings.CRM_CALENDAR_CHANNEL_TTL_SECONDS,
        )
        connection.channel_id, connection.channel_token = channel.id, secret
        connection.channel_resource_id, connection.channel_expires_at = channel.resource_id, channel.expires_at
        connection.save()
    if old[0]:
        try:
            api.stop_channel(channel_id=old[0], resource_id=old[1])
        except CalendarProviderError as exc:  # it expires on its own; its notifications are refused meanwhile
            logger.warning("Calendar connection %s: stopping channel %s failed: %s", connection_id, old[0], exc)
    return connection


def channels_renew(*, now: datetime | None = None) -> int:
    """Renew every connected calendar's channel that expires within CRM_CALENDAR_CHANNEL_RENEW_BEFORE_SECONDS
    (or has none). Answers the channels opened; failures are recorded on their connection."""
    now = now or timezone.now()
    due = CalendarConnection.objects.filter(status=CalendarConnectionStatus.CONNECTED).filter(
        Q(channel_expires_at__isnull=True)
        | Q(channel_expires_at__lte=now + timedelta(seconds=settings.CRM_CALENDAR_CHANNEL_RENEW_BEFORE_SECONDS))
    )
    renewed = 0
    for pk in list(due.values_list("pk", flat=True)):
        try:
            renewed += connection_watch(connection_id=pk) is not None
        except CalendarProviderError as exc:
            _record_error(pk, exc)
    return renewed


def notification_receive(*, channel_id: str, token: str, resource_state: str, resource_id: str = "") -> str:
    """A push notification (`X-Goog-Channel-ID`, `X-Goog-Channel-Token`, `X-Goog-Resource-State`,
    `X-Goog-Resource-ID`): verified against the connection's current channel, then a sync is queued. The first
    message of a channel (`sync`) only confirms it. A notification that is not ours changes nothing."""
    if not channel_id or not resource_state:
        raise Invalid(
            "Not a calendar push notification: X-Goog-Channel-ID and X-Goog-Resource-State are required.",
            code="invalid_notification",
        )
    connection = CalendarConnection.objects.filter(
        channel_id=channel_id, status=CalendarConnectionStatus.CONNECTED
    ).first()
    genuine = (
        connection is not None
        and bool(connection.channel_token)
        and hmac.compare_digest(str(connection.channel_token).encode(), (token or "").encode())
        and (not connection.channel_resource_id or not resource_id or resource_id == connection.channel_resource_id)
    )
    if not genuine or connection is None:
        logger.warning("Refused a calendar push notification for channel %r", channel_id[:64])
        raise NotAllowed("The notification's channel or token is not one of ours: refused.", code="forged_notification")
    if resource_state == "sync":
        return "sync"
    from ..tasks import calendar_sync

    pk = connection.pk
    transaction.on_commit(lambda: calendar_sync.delay(pk), robust=True)
    return "queued"
