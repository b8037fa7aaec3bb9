"""The WhatsApp Cloud API (Meta Graph API).

Send: `POST {base}/{version}/{phone-number-id}/messages` with a bearer token and
{"messaging_product": "whatsapp", "recipient_type": "individual", "to": "351912345678", "type": "text",
"text": {"preview_url": false, "body": …}} or "type": "template" with {"name", "language": {"code"},
"components": [{"type": "body", "parameters": [{"type": "text", "text": …}]}]}; answers
{"messages": [{"id": "wamid.…"}]}, or {"error": {"message", "code", …}} (131047: outside the 24-hour window).

Webhooks: `GET` with hub.mode=subscribe, hub.verify_token and hub.challenge (answer the challenge when the token
matches); `POST` a JSON body signed with `X-Hub-Signature-256: sha256=<hex HMAC-SHA256(app secret, raw body)>`,
carrying entry[].changes[] of field "messages" (value.messages[] inbound, value.statuses[] receipts) or
"message_template_status_update".

Template review: `GET {base}/{version}/{whatsapp-business-account-id}/message_templates?fields=name,language,status,
category,rejected_reason&limit=100` answers {"data": [{"name", "language": "en_US", "status": "APPROVED",
"category": "UTILITY", "rejected_reason": "NONE", "id"}], "paging": {"cursors": {"before", "after"}, "next": url}}
(`next` only while more pages follow); `template_statuses()` reads every page, so a review missed by the webhook is
still picked up by the beat job (`messaging.whatsapp_templates_poll`).
"""

import hashlib
import hmac
import json
from datetime import UTC, datetime
from urllib.parse import urlsplit

import httpx

from apps.core.exceptions import Invalid

from .base import (
    Inbound,
    OutboundMessage,
    ProviderError,
    SendResult,
    StatusUpdate,
    TemplateStatus,
    WebhookNotConfigured,
    WebhookRequest,
    http_client,
)

# Meta's template statuses (webhook events and the list's `status`) onto ours: only an approved template may be
# sent, so every state Meta will not send from (paused for quality, disabled, deleted…) counts as rejected here.
TEMPLATE_EVENTS = {
    "APPROVED": "approved",
    "REINSTATED": "approved",
    "FLAGGED": "approved",  # a quality warning: still sendable until Meta pauses or disables it
    "PENDING": "pending",
    "IN_APPEAL": "pending",
    "REJECTED": "rejected",
    "DISABLED": "rejected",
    "PAUSED": "rejected",
    "PENDING_DELETION": "rejected",
    "DELETED": "rejected",
    "ARCHIVED": "rejected",
    "LIMIT_EXCEEDED": "rejected",
}
TEMPLATE_FIELDS = "name,language,status,category,rejected_reason"
MAX_TEMPLATE_PAGES = 50


def meta_signature(app_secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()


def _inbound_text(message: dict) -> str:
    kind = message.get("type", "")
    if kind == "text":
        return str((message.get("text") or {}).get("body", ""))
    if kind == "button":
        return str((message.get("button") or {}).get("text", ""))
    if kind == "interactive":
        reply = (message.get("interactive") or {}).get("button_reply") or (message.get("interactive") or {}).get(
            "list_reply"
        )
        return str((reply or {}).get("title", ""))
    caption = (message.get(kind) or {}).get("caption", "") if isinstance(message.get(kind), dict) else ""
    return f"[{kind}] {caption}".strip()


class WhatsAppCloud:
    name = "meta"
    simulates_receipts = False

    def __init__(self, config: dict):
        self.config = config

    def send(self, message: OutboundMessage) -> SendResult:
        token, number_id = self.config.get("access_token", ""), self.config.get("phone_number_id", "")
        if not token or not number_id:
            raise ProviderError("The WhatsApp Cloud API is not configured (access_token, phone_number_id).")
        payload: dict = {"messaging_product": "whatsapp", "recipient_type": "individual", "to": message.to.lstrip("+")}
        if message.template_name:
            payload["type"] = "template"
            payload["template"] = {"name": message.template_name, "language": {"code": message.template_language}}
            if message.variables:
                payload["template"]["components"] = [
                    {"type": "body", "parameters": [{"type": "text", "text": v} for v in message.variables]}
                ]
        else:
            payload["type"] = "text"
            payload["text"] = {"preview_url": False, "body": message.body}
        base = self.config.get("base_url", "https://graph.facebook.com").rstrip("/")
        url = f"{base}/{self.config.get('api_version', 'v21.0')}/{number_id}/messages"
        timeout = float(self.config.get("timeout", 5.0))
        try:
            with http_client(timeout) as client:
                response = client.post(url, json=payload, headers={"Authorization": f"Bearer {token}"})
        except httpx.TimeoutException:
            raise ProviderError(f"WhatsApp timed out after {timeout:g} s", retryable=True) from None
        except httpx.TransportError as exc:
            raise ProviderError(f"could not reach WhatsApp ({type(exc).__name__})", retryable=True) from None
        try:
            data = response.json()
        except ValueError:
            data = {}
        if response.status_code >= 500:
            raise ProviderError(f"WhatsApp answered {response.status_code}", retryable=True)
        if response.status_code >= 400 or "error" in data:
            error = data.get("error") or {}
            raise ProviderError(
                str(error.get("message") or f"WhatsApp refused the message ({response.status_code})")[:255],
                code=str(error.get("code") or response.status_code),
            )
        try:
            return SendResult(str(data["messages"][0]["id"]), "sent")
        except (KeyError, IndexError, TypeError):
            raise ProviderError("malformed answer from WhatsApp: no message id") from None

    def _graph_get(self, client: httpx.Client, url: str, params: dict | None, token: str) -> dict:
        timeout = float(self.config.get("timeout", 5.0))
        try:
            response = client.get(url, params=params, headers={"Authorization": f"Bearer {token}"})
        except httpx.TimeoutException:
            raise ProviderError(f"WhatsApp timed out after {timeout:g} s", retryable=True) from None
        except httpx.TransportError as exc:
            raise ProviderError(f"could not reach WhatsApp ({type(exc).__name__})", retryable=True) from None
        try:
            data = response.json()
        except ValueError:
            data = None
        if response.status_code >= 500:
            raise ProviderError(f"WhatsApp answered {response.status_code}", retryable=True)
        if response.status_code >= 400 or not isinstance(data, dict) or "error" in data:
            error = (data.get("error") or {}) if isinstance(data, dict) else {}
            raise ProviderError(
                str(error.get("message") or f"WhatsApp answered {response.status_code}")[:255],
                code=str(error.get("code") or response.status_code),
            )
        return data

    def template_statuses(self) -> list[TemplateStatus]:
        """Every message template of the WhatsApp Business Account with its review status (all pages)."""
        token, account = self.config.get("access_token", ""), self.config.get("business_account_id", "")
        if not token or not account:
            raise ProviderError("The WhatsApp Cloud API is not configured (access_token, business_account_id).")
        base = self.config.get("base_url", "https://graph.facebook.com").rstrip("/")
        url: str | None = f"{base}/{self.config.get('api_version', 'v21.0')}/{account}/message_templates"
        params: dict | None = {"fields": TEMPLATE_FIELDS, "limit": 100}
        host = urlsplit(base).netloc
        statuses: list[TemplateStatus] = []
        with http_client(float(self.config.get("timeout", 5.0))) as client:
            for _ in range(MAX_TEMPLATE_PAGES):
                data = self._graph_get(client, url, params, token)
                for item in data.get("data") or []:
                    status = (
                        TEMPLATE_EVENTS.get(str(item.get("status", "")).upper()) if isinstance(item, dict) else None
                    )
                    if status is None or not item.get("name"):
                        continue
                    reason = str(item.get("rejected_reason") or "")
                    if status == "rejected" and str(item.get("status", "")).upper() != "REJECTED":
                        reason = str(item["status"]).upper()  # paused, disabled…: say which
                    statuses.append(
                        TemplateStatus(
                            str(item["name"]),
                            str(item.get("language", "")),
                            status,
                            "" if reason == "NONE" else reason,
                        )
                    )
                url = (data.get("paging") or {}).get("next") if isinstance(data.get("paging"), dict) else None
                if not url:
                    break
                if urlsplit(url).netloc != host:  # the bearer token goes to the Graph API only
                    raise ProviderError("WhatsApp's next page points to another host.")
                params = None  # the next URL carries the query and the cursor
        return statuses

    def handshake(self, query: dict[str, str]) -> str:
        """The subscription check: the challenge when the verify token matches."""
        if query.get("hub.mode") != "subscribe" or "hub.challenge" not in query:
            raise Invalid("Expected hub.mode=subscribe with hub.challenge.", code="bad_handshake")
        token = self.config.get("verify_token", "")
        if not token:
            raise WebhookNotConfigured()
        if not hmac.compare_digest(token.encode(), query.get("hub.verify_token", "").encode()):
            raise Invalid("The verify token does not match.", code="bad_signature")
        return query["hub.challenge"][:200]

    def verify(self, request: WebhookRequest) -> None:
        secret = self.config.get("app_secret", "")
        if not secret:
            raise WebhookNotConfigured()
        given = request.headers.get("x-hub-signature-256", "")
        if not given:
            raise Invalid("The X-Hub-Signature-256 header is missing.", code="bad_signature")
        if not given.isascii() or not hmac.compare_digest(meta_signature(secret, request.body), given):
            raise Invalid("The signature does not match.", code="bad_signature")

    def parse(self, request: WebhookRequest) -> list:
        try:
            data = json.loads(request.body)
            entries = data["entry"]
            if not isinstance(entries, list):
                raise TypeError
        except (ValueError, KeyError, TypeError):
            raise Invalid("Not a WhatsApp webhook body (no entry list).", code="malformed_event") from None
        events: list = []
        for entry in entries:
            for change in (entry or {}).get("changes") or []:
                value = change.get("value") or {}
                if change.get("field") == "message_template_status_update":
                    status = TEMPLATE_EVENTS.get(str(value.get("event", "")).upper())
                    if status:
                        events.append(
                            TemplateStatus(
                                str(value.get("message_template_name", "")),
                                str(value.get("message_template_language", "")),
                                status,
                                str(value.get("reason") or ""),
                            )
                        )
                    continue
                if change.get("field") != "messages":
                    continue
                to = str((value.get("metadata") or {}).get("display_phone_number", ""))
                names = {c.get("wa_id"): (c.get("profile") or {}).get("name", "") for c in value.get("contacts") or []}
                for message in value.get("messages") or []:
                    if not message.get("id") or not message.get("from"):
                        raise Invalid("A message without id or from.", code="malformed_event")
                    when = None
                    if str(message.get("timestamp", "")).isdigit():
                        when = datetime.fromtimestamp(int(message["timestamp"]), tz=UTC)
                    events.append(
                        Inbound(
                            channel="whatsapp",
                            provider_message_id=str(message["id"]),
                            from_address=str(message["from"]),
                            to_address=to,
                            body=_inbound_text(message),
                            received_at=when,
                            profile_name=str(names.get(message["from"], "")),
                        )
                    )
                for status in value.get("statuses") or []:
                    errors = status.get("errors") or [{}]
                    events.append(
                        StatusUpdate(
                            str(status.get("id", "")),
                            str(status.get("status", "")),
                            str(errors[0].get("code", "") or ""),
                            str(errors[0].get("title", "") or "")[:255],
                        )
                    )
        return events
