"""One interface for every calendar provider (Google Calendar, the local sandbox).

A provider speaks Google Calendar API v3's own shapes, so the sync (`apps.crm.calsync.sync`) is written once:
events are Google `Event` resources (dicts with `id`, `etag`, `status`, `updated`, `summary`, `start`/`end`
`{dateTime|date}`, `extendedProperties.private`), a list answers one page (`items`, then `nextPageToken` or
`nextSyncToken`), and a watch answers a `Channel` (`id`, `resourceId`, `expiration` in ms).

Errors: `SyncTokenInvalid` (Google's 410 Gone, `fullSyncRequired`: start a full sync again), `GrantRevoked` (the
refresh token no longer works: the agent must connect again), `EventGone` (404/410 on one event), and
`CalendarProviderError` for anything else, with a reason a person can read.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import httpx

# Tests point the adapters' HTTP client at an httpx.MockTransport through this (the HTTP boundary).
transport_override: httpx.BaseTransport | None = None


def http_client(timeout: float) -> httpx.Client:
    return httpx.Client(timeout=timeout, transport=transport_override)


class CalendarProviderError(Exception):
    """The provider refused or could not answer; `status` is the HTTP status when there was one."""

    def __init__(self, message: str, *, status: int | None = None, reason: str = ""):
        super().__init__(message)
        self.message, self.status, self.reason = message, status, reason


class SyncTokenInvalid(CalendarProviderError):
    """410 Gone on a list with a sync token: the token expired or was invalidated; a full sync is required."""


class GrantRevoked(CalendarProviderError):
    """The refresh token was revoked or expired (`invalid_grant`): the agent has to connect again."""


class EventGone(CalendarProviderError):
    """The event no longer exists at the provider (404, or 410 for one already deleted)."""


@dataclass(frozen=True)
class TokenGrant:
    access_token: str
    expires_at: datetime
    refresh_token: str = ""  # only on the first exchange (access_type=offline, prompt=consent)
    scope: str = ""
    account_email: str = ""


@dataclass(frozen=True)
class EventPage:
    items: list[dict]
    next_page_token: str = ""
    next_sync_token: str = ""


@dataclass(frozen=True)
class Channel:
    id: str
    resource_id: str
    expires_at: datetime | None


class CalendarProvider(Protocol):
    name: str

    def authorization_url(self, *, state: str, code_challenge: str, login_hint: str = "") -> str: ...

    def exchange_code(self, *, code: str, code_verifier: str) -> TokenGrant: ...

    def refresh(self, *, refresh_token: str) -> TokenGrant: ...

    def revoke(self, *, token: str) -> None: ...

    def list_events(
        self, *, access_token: str, calendar_id: str, sync_token: str = "", page_token: str = "", time_min: str = ""
    ) -> EventPage: ...

    def insert_event(self, *, access_token: str, calendar_id: str, body: dict) -> dict: ...

    def patch_event(self, *, access_token: str, calendar_id: str, event_id: str, body: dict) -> dict: ...

    def delete_event(self, *, access_token: str, calendar_id: str, event_id: str) -> None: ...

    def watch(
        self, *, access_token: str, calendar_id: str, channel_id: str, token: str, address: str, ttl: int
    ) -> Channel: ...

    def stop_channel(self, *, access_token: str, channel_id: str, resource_id: str) -> None: ...
