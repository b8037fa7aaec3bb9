"""The local sandbox calendar provider: the default in `make run` and tests.

It behaves like Google Calendar at the level the sync uses — the same event resources, pages of 250, sync tokens
(a calendar's revision counter: "what changed after revision N", deletions included as `status: cancelled`),
`410` for a sync token it never issued, etags that change on every write, watch channels — and keeps its events in
the `SandboxCalendarEvent` table, so the web process and the worker see one calendar.

Consent is simulated: the authorization URL is our own callback with a code for the agent's address (signed), so
the connect flow runs end to end offline. Changes "made in the calendar app" come through `remote_put` /
`remote_delete` (the admin demo and `seed_demo`), which notify the calendar's watch channel through the same
endpoint logic Google's push notifications take.
"""

import secrets
import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

from django.core import signing
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Max

from ..models import SandboxCalendarEvent
from .base import CalendarProviderError, Channel, EventGone, EventPage, SyncTokenInvalid, TokenGrant

SALT = "crm.calsync.sandbox"
PAGE_SIZE = 250


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _account(token: str, *, max_age: int | None = None) -> str:
    try:
        return signing.loads(token, salt=SALT, max_age=max_age)["email"]
    except (signing.BadSignature, KeyError, TypeError):
        raise CalendarProviderError("The sandbox refused the token.", status=401) from None


def _channel_key(calendar_key: str) -> str:
    return f"crm:calsync:sandbox-channel:{calendar_key}"


class SandboxCalendar:
    name = "sandbox"

    def __init__(self, config: dict):
        self.config = config

    # --- OAuth (simulated consent) ----------------------------------------------------------------------------

    def authorization_url(self, *, state: str, code_challenge: str, login_hint: str = "") -> str:
        code = signing.dumps({"email": login_hint or "agent@sandbox.local", "cc": code_challenge}, salt=SALT)
        return f"{self.config['redirect_uri']}?{urlencode({'code': code, 'state': state})}"

    def exchange_code(self, *, code: str, code_verifier: str) -> TokenGrant:
        import base64
        import hashlib

        try:
            data = signing.loads(code, salt=SALT, max_age=600)
        except signing.BadSignature:
            raise CalendarProviderError("The sandbox refused the authorization code.", status=400) from None
        challenge = base64.urlsafe_b64encode(hashlib.sha256(code_verifier.encode()).digest()).rstrip(b"=").decode()
        if data.get("cc") != challenge:
            raise CalendarProviderError("The sandbox refused the code verifier (PKCE).", status=400)
        return self._grant(data["email"], refresh=True)

    def _grant(self, email: str, *, refresh: bool) -> TokenGrant:
        return TokenGrant(
            access_token=signing.dumps({"email": email, "n": secrets.token_hex(4)}, salt=SALT),
            expires_at=datetime.now(UTC) + timedelta(hours=1),
            refresh_token=signing.dumps({"email": email, "kind": "refresh"}, salt=SALT) if refresh else "",
            scope="https://www.googleapis.com/auth/calendar.events",
            account_email=email,
        )

    def refresh(self, *, refresh_token: str) -> TokenGrant:
        return self._grant(_account(refresh_token), refresh=False)

    def revoke(self, *, token: str) -> None:
        return None

    # --- events -----------------------------------------------------------------------------------------------

    @staticmethod
    def _key(access_token: str, calendar_id: str) -> str:
        return f"{_account(access_token, max_age=3600)}/{calendar_id}"

    @staticmethod
    def _next_revision(calendar_key: str) -> int:
        with connection.cursor() as cursor:  # one writer per calendar at a time
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"sandbox-calendar:{calendar_key}"])
        current = SandboxCalendarEvent.objects.filter(calendar_key=calendar_key).aggregate(m=Max("revision"))["m"]
        return (current or 0) + 1

    def list_events(
        self, *, access_token: str, calendar_id: str, sync_token: str = "", page_token: str = "", time_min: str = ""
    ) -> EventPage:
        key = self._key(access_token, calendar_id)
        qs = SandboxCalendarEvent.objects.filter(calendar_key=key)
        top = qs.aggregate(m=Max("revision"))["m"] or 0
        if sync_token:
            if not sync_token.startswith("sbx-") or not sync_token[4:].isdigit() or int(sync_token[4:]) > top:
                raise SyncTokenInvalid("Sync token is no longer valid, a full sync is required.", status=410)
            qs = qs.filter(revision__gt=int(sync_token[4:]))
        else:
            qs = qs.exclude(resource__status="cancelled")  # a small local calendar: the whole of it, not a window
        offset = int(page_token) if page_token.isdigit() else 0
        rows = list(qs.order_by("revision")[offset : offset + PAGE_SIZE + 1])
        items = [row.resource for row in rows[:PAGE_SIZE]]
        if len(rows) > PAGE_SIZE:
            return EventPage(items=items, next_page_token=str(offset + PAGE_SIZE))
        return EventPage(items=items, next_sync_token=f"sbx-{top}")

    def _write(self, key: str, event_id: str, resource: dict) -> dict:
        with transaction.atomic():
            revision = self._next_revision(key)
            resource = {**resource, "id": event_id, "etag": f'"{revision}{secrets.randbelow(10**6):06d}"'}
            resource["updated"] = _now()
            SandboxCalendarEvent.objects.update_or_create(
                calendar_key=key, event_id=event_id, defaults={"revision": revision, "resource": resource}
            )
        return resource

    def insert_event(self, *, access_token: str, calendar_id: str, body: dict) -> dict:
        key = self._key(access_token, calendar_id)
        event_id = uuid.uuid4().hex
        created = _now()
        resource = {"kind": "calendar#event", "status": "confirmed", "created": created, **body}
        resource.setdefault("iCalUID", f"{event_id}@sandbox.local")
        return self._write(key, event_id, resource)

    def patch_event(self, *, access_token: str, calendar_id: str, event_id: str, body: dict) -> dict:
        key = self._key(access_token, calendar_id)
        row = SandboxCalendarEvent.objects.filter(calendar_key=key, event_id=event_id).first()
        if row is None or row.resource.get("status") == "cancelled":
            raise EventGone("The event was deleted.", status=410 if row else 404)
        merged = {**row.resource, **body}
        if "extendedProperties" in body:  # Google merges the private properties key by key
            private = {**row.resource.get("extendedProperties", {}).get("private", {})}
            private.update(body["extendedProperties"].get("private", {}))
            merged["extendedProperties"] = {"private": private}
        return self._write(key, event_id, merged)

    def delete_event(self, *, access_token: str, calendar_id: str, event_id: str) -> None:
        key = self._key(access_token, calendar_id)
        row = SandboxCalendarEvent.objects.filter(calendar_key=key, event_id=event_id).first()
        if row is not None and row.resource.get("status") != "cancelled":
            self._write(key, event_id, {"kind": "calendar#event", "id": event_id, "status": "cancelled"})

    # --- push channels ----------------------------------------------------------------------------------------

    def watch(
        self, *, access_token: str, calendar_id: str, channel_id: str, token: str, address: str, ttl: int
    ) -> Channel:
        key = self._key(access_token, calendar_id)
        resource_id = f"sbx-res-{uuid.uuid5(uuid.NAMESPACE_URL, key).hex}"
        expires = datetime.now(UTC) + timedelta(seconds=ttl)
        cache.set(_channel_key(key), {"id": channel_id, "token": token, "resource_id": resource_id}, ttl)
        cache.set(f"crm:calsync:sandbox-channel-id:{channel_id}", key, ttl)
        return Channel(id=channel_id, resource_id=resource_id, expires_at=expires)

    def stop_channel(self, *, access_token: str, channel_id: str, resource_id: str) -> None:
        _account(access_token, max_age=3600)
        key = cache.get(f"crm:calsync:sandbox-channel-id:{channel_id}")
        current = cache.get(_channel_key(key)) if key else None
        if current and current["id"] == channel_id:
            cache.delete(_channel_key(key))
        cache.delete(f"crm:calsync:sandbox-channel-id:{channel_id}")

    # --- the calendar app's side (demo, seed) -----------------------------------------------------------------

    def remote_put(self, *, account_email: str, event: dict, calendar_id: str = "primary") -> dict:
        """Create or change an event as the person would in their calendar app, then notify the channel."""
        key = f"{account_email}/{calendar_id}"
        event_id = event.get("id") or uuid.uuid4().hex
        row = SandboxCalendarEvent.objects.filter(calendar_key=key, event_id=event_id).first()
        base = row.resource if row else {"kind": "calendar#event", "status": "confirmed", "created": _now()}
        resource = self._write(key, event_id, {**base, **event})
        self._notify(key)
        return resource

    def remote_delete(self, *, account_email: str, event_id: str, calendar_id: str = "primary") -> None:
        key = f"{account_email}/{calendar_id}"
        self._write(key, event_id, {"kind": "calendar#event", "id": event_id, "status": "cancelled"})
        self._notify(key)

    @staticmethod
    def _notify(key: str) -> None:
        channel = cache.get(_channel_key(key))
        if not channel:
            return
        from .sync import notification_receive

        transaction.on_commit(
            lambda: notification_receive(
                channel_id=channel["id"],
                token=channel["token"],
                resource_state="exists",
                resource_id=channel["resource_id"],
            ),
            robust=True,
        )
