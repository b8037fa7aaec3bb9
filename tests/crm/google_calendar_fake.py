"""Google's side of the wire, for tests: an httpx.MockTransport handler that answers like Google's OAuth 2.0
token and revoke endpoints and Calendar API v3 (events list/insert/patch/delete/watch, channels/stop), with their
real request formats (form-encoded token requests with PKCE, JSON bodies, query parameters) and response shapes
(`calendar#events` pages with `nextPageToken`/`nextSyncToken`, 410 `fullSyncRequired`, `api#channel`, OAuth
`invalid_grant` errors). It checks what a real Google would refuse (a wrong client secret, a code verifier that
does not match the challenge, a missing bearer token, timeMin together with syncToken), so the adapter cannot pass
by sending something Google would not accept. Nothing else is faked: the database, cache and tasks are real."""

import base64
import hashlib
import json
import secrets
import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, unquote, urlsplit

import httpx

CLIENT_ID = "1234567890-abc.apps.googleusercontent.com"
CLIENT_SECRET = "GOCSPX-test-secret"
REDIRECT_URI = "https://crm.example.test/api/v1/calendar/google/callback"
WEBHOOK_URL = "https://crm.example.test/api/v1/calendar/google/notifications"
ACCOUNT = "marta.agent@gmail.com"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _id_token(email: str) -> str:
    def part(data: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'RS256', 'kid': 'k1'})}.{part({'iss': 'https://accounts.google.com', 'email': email})}.sig"


def _json(status: int, data: dict) -> httpx.Response:
    return httpx.Response(status, json=data)


def _api_error(status: int, reason: str, message: str) -> httpx.Response:
    return _json(
        status,
        {
            "error": {
                "errors": [{"domain": "global", "reason": reason, "message": message}],
                "code": status,
                "message": message,
            }
        },
    )


class FakeGoogle:
    page_size = 250

    def __init__(self):
        self.requests: list[httpx.Request] = []
        self.events: dict[str, dict] = {}  # event id -> resource
        self.revisions: dict[str, int] = {}  # event id -> revision of its last change
        self.revision = 0
        self.sync_tokens: dict[str, int] = {}  # token -> revision it was issued at
        self.codes: dict[str, dict] = {}  # authorization code -> {challenge, redirect_uri}
        self.access_tokens: dict[str, datetime] = {}
        self.refresh_tokens: set[str] = set()
        self.revoked: list[str] = []
        self.channels: dict[str, dict] = {}  # channel id -> watch body + resourceId
        self.stopped: list[dict] = []
        self.fail_next: list[httpx.Response] = []

    # --- what the person does on Google's side ----------------------------------------------------------------

    def consent(self, authorization_url: str) -> str:
        """The consent screen: the person agrees; Google redirects to redirect_uri with a code and the state."""
        query = {k: v[0] for k, v in parse_qs(urlsplit(authorization_url).query).items()}
        assert query["client_id"] == CLIENT_ID
        assert query["response_type"] == "code"
        assert query["code_challenge_method"] == "S256"
        assert query["access_type"] == "offline"
        code = f"4/0A{secrets.token_urlsafe(20)}"
        self.codes[code] = {"challenge": query["code_challenge"], "redirect_uri": query["redirect_uri"]}
        return f"{query['redirect_uri']}?state={query['state']}&code={code}&scope={query['scope']}"

    def put_event(self, resource: dict) -> dict:
        event_id = resource.get("id") or uuid.uuid4().hex[:26]
        current = self.events.get(event_id, {"kind": "calendar#event", "status": "confirmed", "created": _now()})
        return self._store(event_id, {**current, **resource})

    def delete_event(self, event_id: str) -> None:
        self._store(event_id, {**self.events[event_id], "status": "cancelled"})

    def expire_sync_tokens(self) -> None:
        self.sync_tokens.clear()

    def expire_access_tokens(self) -> None:
        for token in self.access_tokens:
            self.access_tokens[token] = datetime.now(UTC) - timedelta(seconds=1)

    def _store(self, event_id: str, resource: dict) -> dict:
        self.revision += 1
        resource = {
            **resource,
            "id": event_id,
            "etag": f'"{3181161784712000 + self.revision}"',
            "updated": _now(),
            "htmlLink": f"https://www.google.com/calendar/event?eid={event_id}",
            "iCalUID": resource.get("iCalUID") or f"{event_id}@google.com",
        }
        self.events[event_id] = resource
        self.revisions[event_id] = self.revision
        return resource

    def requests_to(self, method: str, path_part: str) -> list[httpx.Request]:
        return [r for r in self.requests if r.method == method and path_part in r.url.path]

    # --- the HTTP boundary ------------------------------------------------------------------------------------

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.fail_next:
            return self.fail_next.pop(0)
        host, path = request.url.host, request.url.path
        if host == "oauth2.googleapis.com" and path == "/token":
            return self._token(request)
        if host == "oauth2.googleapis.com" and path == "/revoke":
            token = parse_qs(request.content.decode())["token"][0]
            if token not in self.refresh_tokens and token not in self.access_tokens:
                return _json(400, {"error": "invalid_token", "error_description": "Token expired or revoked"})
            self.refresh_tokens.discard(token)
            self.revoked.append(token)
            return _json(200, {})
        if host != "www.googleapis.com" or not path.startswith("/calendar/v3/"):
            return _json(404, {"error": "not found"})
        bearer = request.headers.get("authorization", "")
        expires = self.access_tokens.get(bearer.removeprefix("Bearer "))
        if expires is None or expires < datetime.now(UTC):
            return _api_error(401, "authError", "Invalid Credentials")
        rest = path.removeprefix("/calendar/v3")
        if rest == "/channels/stop" and request.method == "POST":
            body = json.loads(request.content)
            channel = self.channels.pop(body["id"], None)
            if channel is None or channel["resourceId"] != body["resourceId"]:
                return _api_error(404, "notFound", f"Channel '{body['id']}' not found for project '1234567890'")
            self.stopped.append(body)
            return httpx.Response(204)
        parts = [unquote(p) for p in rest.split("/")]  # '', 'calendars', id, 'events', [eventId | 'watch']
        if len(parts) < 4 or parts[1] != "calendars" or parts[3] != "events":
            return _api_error(404, "notFound", "Not Found")
        if len(parts) == 4 and request.method == "GET":
            return self._list(request)
        if len(parts) == 4 and request.method == "POST":
            body = json.loads(request.content)
            return _json(200, self.put_event({**body, "id": None, "creator": {"email": ACCOUNT, "self": True}}))
        if len(parts) == 5 and parts[4] == "watch" and request.method == "POST":
            return self._watch(request)
        event_id = parts[4]
        event = self.events.get(event_id)
        if request.method == "PATCH":
            if event is None:
                return _api_error(404, "notFound", "Not Found")
            body = json.loads(request.content)
            merged = {**event, **body}
            if "extendedProperties" in body:
                private = {
                    **event.get("extendedProperties", {}).get("private", {}),
                    **body["extendedProperties"]["private"],
                }
                merged["extendedProperties"] = {"private": private}
            return _json(200, self._store(event_id, merged))
        if request.method == "DELETE":
            if event is None:
                return _api_error(404, "notFound", "Not Found")
            if event["status"] == "cancelled":
                return _api_error(410, "deleted", "Resource has been deleted")
            self.delete_event(event_id)
            return httpx.Response(204)
        return _api_error(405, "methodNotAllowed", "Method not allowed")

    def _token(self, request: httpx.Request) -> httpx.Response:
        assert request.headers["content-type"] == "application/x-www-form-urlencoded"
        form = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
        if form.get("client_id") != CLIENT_ID or form.get("client_secret") != CLIENT_SECRET:
            return _json(401, {"error": "invalid_client", "error_description": "The OAuth client was not found."})
        grant = form.get("grant_type")
        access = f"ya29.a0{secrets.token_urlsafe(30)}"
        if grant == "authorization_code":
            issued = self.codes.pop(form.get("code", ""), None)
            if issued is None or issued["redirect_uri"] != form.get("redirect_uri"):
                return _json(400, {"error": "invalid_grant", "error_description": "Bad Request"})
            verifier = form.get("code_verifier", "")
            challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
            if challenge != issued["challenge"]:
                return _json(400, {"error": "invalid_grant", "error_description": "Invalid code verifier."})
            refresh = f"1//0g{secrets.token_urlsafe(40)}"
            self.refresh_tokens.add(refresh)
            self.access_tokens[access] = datetime.now(UTC) + timedelta(seconds=3599)
            return _json(
                200,
                {
                    "access_token": access,
                    "expires_in": 3599,
                    "refresh_token": refresh,
                    "scope": "https://www.googleapis.com/auth/calendar.events openid "
                    "https://www.googleapis.com/auth/userinfo.email",
                    "token_type": "Bearer",
                    "id_token": _id_token(ACCOUNT),
                },
            )
        if grant == "refresh_token":
            if form.get("refresh_token") not in self.refresh_tokens:
                return _json(400, {"error": "invalid_grant", "error_description": "Token has been expired or revoked."})
            self.access_tokens[access] = datetime.now(UTC) + timedelta(seconds=3599)
            return _json(
                200,
                {
                    "access_token": access,
                    "expires_in": 3599,
                    "scope": "https://www.googleapis.com/auth/calendar.events",
                    "token_type": "Bearer",
                },
            )
        return _json(400, {"error": "unsupported_grant_type", "error_description": "Invalid grant_type"})

    def _list(self, request: httpx.Request) -> httpx.Response:
        params = dict(request.url.params)
        if "syncToken" in params and ({"timeMin", "timeMax", "updatedMin", "q", "orderBy"} & set(params)):
            return _api_error(400, "invalid", "Sync token cannot be used with other request restrictions.")
        size = min(int(params.get("maxResults", 250)), self.page_size)
        if "syncToken" in params:
            since = self.sync_tokens.get(params["syncToken"])
            if since is None:
                return _api_error(410, "fullSyncRequired", "Sync token is no longer valid, a full sync is required.")
            ids = [i for i, rev in sorted(self.revisions.items(), key=lambda x: x[1]) if rev > since]
        else:
            time_min = params.get("timeMin")
            ids = [
                i
                for i, rev in sorted(self.revisions.items(), key=lambda x: x[1])
                if self.events[i]["status"] != "cancelled"
                and (not time_min or self.events[i]["end"].get("dateTime", "9999") >= time_min[:19])
            ]
        offset = int(params.get("pageToken", "0").removeprefix("pg") or 0)
        items = [self.events[i] for i in ids[offset : offset + size]]
        page = {
            "kind": "calendar#events",
            "etag": f'"p3{self.revision:012d}"',
            "summary": ACCOUNT,
            "updated": _now(),
            "timeZone": "Europe/Lisbon",
            "accessRole": "owner",
            "defaultReminders": [{"method": "popup", "minutes": 10}],
            "items": items,
        }
        if offset + size < len(ids):
            page["nextPageToken"] = f"pg{offset + size}"
        else:
            token = f"CPDAlvWDx70CEPDAlvWDx70CGAU={secrets.token_hex(4)}"
            self.sync_tokens[token] = self.revision
            page["nextSyncToken"] = token
        return _json(200, page)

    def _watch(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        assert body["type"] == "web_hook"
        assert body["address"].startswith("https://")
        resource_id = f"o3hgv1538sdjfh{len(self.channels)}"
        expiration = int((datetime.now(UTC) + timedelta(seconds=int(body["params"]["ttl"]))).timestamp() * 1000)
        self.channels[body["id"]] = {**body, "resourceId": resource_id}
        return _json(
            200,
            {
                "kind": "api#channel",
                "id": body["id"],
                "resourceId": resource_id,
                "resourceUri": "https://www.googleapis.com/calendar/v3/calendars/primary/events?alt=json",
                "token": body["token"],
                "expiration": str(expiration),
            },
        )

    def notification_headers(self, channel_id: str, state: str = "exists", number: int = 2) -> dict:
        """The headers Google sends with a push notification on that channel (no body)."""
        channel = self.channels[channel_id]
        return {
            "HTTP_X_GOOG_CHANNEL_ID": channel_id,
            "HTTP_X_GOOG_CHANNEL_TOKEN": channel["token"],
            "HTTP_X_GOOG_CHANNEL_EXPIRATION": "Sun, 13 Dec 2026 05:00:00 GMT",
            "HTTP_X_GOOG_RESOURCE_ID": channel["resourceId"],
            "HTTP_X_GOOG_RESOURCE_URI": "https://www.googleapis.com/calendar/v3/calendars/primary/events?alt=json",
            "HTTP_X_GOOG_RESOURCE_STATE": state,
            "HTTP_X_GOOG_MESSAGE_NUMBER": str(number),
        }
