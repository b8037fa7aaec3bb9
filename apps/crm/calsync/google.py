"""Google Calendar API v3 over httpx, with Google's OAuth 2.0 for web server apps (authorization code + PKCE).

- Consent: `https://accounts.google.com/o/oauth2/v2/auth` with `access_type=offline` and `prompt=consent` (so a
  refresh token comes back), `code_challenge_method=S256`, our signed `state`.
- Tokens: `POST https://oauth2.googleapis.com/token` (form) with `grant_type=authorization_code` (+ the PKCE
  `code_verifier`) or `grant_type=refresh_token`; answers `{"access_token", "expires_in", "refresh_token"?,
  "scope", "token_type": "Bearer", "id_token"?}` or 400 `{"error": "invalid_grant", "error_description"}`.
  The account's address is read from the `id_token` (received straight from Google's token endpoint over TLS,
  so per OpenID Connect Core §3.1.3.7 its signature need not be checked here).
- Revoke: `POST https://oauth2.googleapis.com/revoke` (form `token`).
- Events: `GET/POST /calendars/{id}/events`, `PATCH/DELETE /calendars/{id}/events/{eventId}` (`sendUpdates=none`:
  the CRM sends its own iTIP invitations), `POST /calendars/{id}/events/watch`, `POST /channels/stop`. A list
  with an expired sync token answers 410 `fullSyncRequired`.
"""

import base64
import json
from datetime import UTC, datetime, timedelta
from urllib.parse import quote, urlencode

import httpx

from .base import (
    CalendarProviderError,
    Channel,
    EventGone,
    EventPage,
    GrantRevoked,
    SyncTokenInvalid,
    TokenGrant,
    http_client,
)


def _error_reason(response: httpx.Response) -> tuple[str, str]:
    """(reason, message) from Google's error bodies: `{"error": {"errors": [{"reason"}], "message"}}` for the
    APIs, `{"error": "invalid_grant", "error_description"}` for OAuth."""
    try:
        data = response.json()
    except ValueError:
        return "", response.text[:200]
    error = data.get("error") if isinstance(data, dict) else None
    if isinstance(error, dict):
        errors = error.get("errors") or [{}]
        return str(errors[0].get("reason", "")), str(error.get("message", ""))[:200]
    if isinstance(error, str):
        return error, str(data.get("error_description", ""))[:200]
    return "", ""


def _email_from_id_token(id_token: str) -> str:
    try:
        payload = id_token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError):
        return ""
    return str(claims.get("email", "")) if isinstance(claims, dict) else ""


class GoogleCalendar:
    name = "google"

    def __init__(self, config: dict):
        self.config = config

    # --- OAuth 2.0 ------------------------------------------------------------------------------------------

    def _require_client(self) -> None:
        if not self.config.get("client_id") or not self.config.get("client_secret"):
            raise CalendarProviderError(
                "Google Calendar is not configured (GOOGLE_CALENDAR_CLIENT_ID, GOOGLE_CALENDAR_CLIENT_SECRET)."
            )

    def authorization_url(self, *, state: str, code_challenge: str, login_hint: str = "") -> str:
        self._require_client()
        params = {
            "client_id": self.config["client_id"],
            "redirect_uri": self.config["redirect_uri"],
            "response_type": "code",
            "scope": self.config["scopes"],
            "access_type": "offline",
            "prompt": "consent",
            "include_granted_scopes": "true",
            "state": state,
            "code_challenge": code_challenge,
            "code_challenge_method": "S256",
        }
        if login_hint:
            params["login_hint"] = login_hint
        return f"{self.config['auth_uri']}?{urlencode(params)}"

    def _token(self, form: dict) -> dict:
        self._require_client()
        form = {**form, "client_id": self.config["client_id"], "client_secret": self.config["client_secret"]}
        try:
            with http_client(self.config.get("timeout", 10.0)) as client:
                response = client.post(self.config["token_uri"], data=form, headers={"Accept": "application/json"})
        except httpx.HTTPError as exc:
            raise CalendarProviderError(
                f"Google's token endpoint could not be reached ({type(exc).__name__})."
            ) from None
        if response.status_code != 200:
            reason, message = _error_reason(response)
            if reason in ("invalid_grant", "unauthorized_client"):
                raise GrantRevoked(f"Google refused the grant ({reason}: {message}).", status=response.status_code)
            raise CalendarProviderError(
                f"Google's token endpoint answered {response.status_code} ({reason or message}).",
                status=response.status_code,
                reason=reason,
            )
        data = response.json()
        if not data.get("access_token"):
            raise CalendarProviderError("Google's token endpoint answered without an access token.")
        return data

    @staticmethod
    def _grant(data: dict) -> TokenGrant:
        return TokenGrant(
            access_token=data["access_token"],
            expires_at=datetime.now(UTC) + timedelta(seconds=int(data.get("expires_in", 3600))),
            refresh_token=data.get("refresh_token", ""),
            scope=data.get("scope", ""),
            account_email=_email_from_id_token(data.get("id_token", "")),
        )

    def exchange_code(self, *, code: str, code_verifier: str) -> TokenGrant:
        return self._grant(
            self._token(
                {
                    "grant_type": "authorization_code",
                    "code": code,
                    "code_verifier": code_verifier,
                    "redirect_uri": self.config["redirect_uri"],
                }
            )
        )

    def refresh(self, *, refresh_token: str) -> TokenGrant:
        return self._grant(self._token({"grant_type": "refresh_token", "refresh_token": refresh_token}))

    def revoke(self, *, token: str) -> None:
        try:
            with http_client(self.config.get("timeout", 10.0)) as client:
                response = client.post(self.config["revoke_uri"], data={"token": token})
        except httpx.HTTPError as exc:
            raise CalendarProviderError(
                f"Google's revoke endpoint could not be reached ({type(exc).__name__})."
            ) from None
        # 400 invalid_token: already revoked or expired, which is what we wanted
        if response.status_code not in (200, 400):
            raise CalendarProviderError(f"Google's revoke endpoint answered {response.status_code}.")

    # --- Calendar API -----------------------------------------------------------------------------------------

    def _call(self, method: str, path: str, access_token: str, *, params=None, body=None) -> httpx.Response:
        url = self.config["api_base"].rstrip("/") + path
        headers = {"Authorization": f"Bearer {access_token}", "Accept": "application/json"}
        try:
            with http_client(self.config.get("timeout", 10.0)) as client:
                return client.request(method, url, params=params, json=body, headers=headers)
        except httpx.HTTPError as exc:
            raise CalendarProviderError(f"Google Calendar could not be reached ({type(exc).__name__}).") from None

    @staticmethod
    def _raise(response: httpx.Response, what: str) -> None:
        reason, message = _error_reason(response)
        status = response.status_code
        if status == 401:
            raise CalendarProviderError(f"Google refused the access token ({message}).", status=401, reason=reason)
        raise CalendarProviderError(
            f"Google Calendar answered {status} to {what} ({reason or message}).", status=status, reason=reason
        )

    @staticmethod
    def _events_path(calendar_id: str, event_id: str = "") -> str:
        path = f"/calendars/{quote(calendar_id, safe='')}/events"
        return f"{path}/{quote(event_id, safe='')}" if event_id else path

    def list_events(
        self, *, access_token: str, calendar_id: str, sync_token: str = "", page_token: str = "", time_min: str = ""
    ) -> EventPage:
        # Google: with a syncToken, timeMin (and orderBy, q, updatedMin...) must not be sent; the other parameters
        # must be those of the full sync that produced the token.
        params: dict[str, str] = {"singleEvents": "true", "maxResults": "250", "showDeleted": "true"}
        if sync_token:
            params["syncToken"] = sync_token
        elif time_min:
            params["timeMin"] = time_min
        if page_token:
            params["pageToken"] = page_token
        response = self._call("GET", self._events_path(calendar_id), access_token, params=params)
        if response.status_code == 410:
            reason, message = _error_reason(response)
            raise SyncTokenInvalid(message or "A full sync is required.", status=410, reason=reason)
        if response.status_code != 200:
            self._raise(response, "events.list")
        data = response.json()
        return EventPage(
            items=list(data.get("items") or []),
            next_page_token=data.get("nextPageToken", ""),
            next_sync_token=data.get("nextSyncToken", ""),
        )

    def insert_event(self, *, access_token: str, calendar_id: str, body: dict) -> dict:
        response = self._call(
            "POST", self._events_path(calendar_id), access_token, params={"sendUpdates": "none"}, body=body
        )
        if response.status_code != 200:
            self._raise(response, "events.insert")
        return response.json()

    def patch_event(self, *, access_token: str, calendar_id: str, event_id: str, body: dict) -> dict:
        response = self._call(
            "PATCH", self._events_path(calendar_id, event_id), access_token, params={"sendUpdates": "none"}, body=body
        )
        if response.status_code in (404, 410):
            raise EventGone("The event was deleted in Google Calendar.", status=response.status_code)
        if response.status_code != 200:
            self._raise(response, "events.patch")
        return response.json()

    def delete_event(self, *, access_token: str, calendar_id: str, event_id: str) -> None:
        response = self._call(
            "DELETE", self._events_path(calendar_id, event_id), access_token, params={"sendUpdates": "none"}
        )
        if response.status_code in (404, 410):  # "Resource has been deleted": already gone
            return
        if response.status_code not in (200, 204):
            self._raise(response, "events.delete")

    def watch(
        self, *, access_token: str, calendar_id: str, channel_id: str, token: str, address: str, ttl: int
    ) -> Channel:
        if not address.startswith("https://"):
            raise CalendarProviderError("Google sends push notifications only to an HTTPS address.")
        body = {"id": channel_id, "type": "web_hook", "address": address, "token": token, "params": {"ttl": str(ttl)}}
        response = self._call("POST", self._events_path(calendar_id) + "/watch", access_token, body=body)
        if response.status_code != 200:
            self._raise(response, "events.watch")
        data = response.json()
        expiration = data.get("expiration")
        return Channel(
            id=data.get("id", channel_id),
            resource_id=data.get("resourceId", ""),
            expires_at=datetime.fromtimestamp(int(expiration) / 1000, UTC) if expiration else None,
        )

    def stop_channel(self, *, access_token: str, channel_id: str, resource_id: str) -> None:
        response = self._call(
            "POST", "/channels/stop", access_token, body={"id": channel_id, "resourceId": resource_id}
        )
        if response.status_code in (404,):  # already expired or stopped
            return
        if response.status_code not in (200, 204):
            self._raise(response, "channels.stop")
