"""A Twilio-compatible SMS API (Twilio's Programmable Messaging REST API, 2010-04-01).

Send: `POST {base}/2010-04-01/Accounts/{AccountSid}/Messages.json`, HTTP basic auth (AccountSid, AuthToken),
form fields To, From (or MessagingServiceSid), Body, StatusCallback; answers 201 {"sid": "SM…", "status":
"queued"}, or 4xx {"code": 21211, "message": …}. Webhooks (inbound messages and status callbacks) are form posts
signed with `X-Twilio-Signature` = base64(HMAC-SHA1(AuthToken, full URL + each POST parameter's name and value
in name order)), as Twilio's RequestValidator computes it.
"""

import base64
import hashlib
import hmac
from urllib.parse import urlsplit, urlunsplit

import httpx

from apps.core.exceptions import Invalid

from .base import (
    Inbound,
    OutboundMessage,
    ProviderError,
    SendResult,
    StatusUpdate,
    WebhookNotConfigured,
    WebhookRequest,
    http_client,
)

STATUS_MAP = {
    "accepted": "queued",
    "queued": "queued",
    "sending": "queued",
    "sent": "sent",
    "delivered": "delivered",
    "read": "read",
    "undelivered": "failed",
    "failed": "failed",
}


def twilio_signature(auth_token: str, url: str, params: dict[str, list[str]]) -> str:
    payload = url
    for name in sorted(params):
        for value in sorted(set(params[name])):
            payload += name + value
    digest = hmac.new(auth_token.encode(), payload.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def _url_variants(url: str) -> list[str]:
    """The URL as received, and with its default port added or removed (Twilio signs either, per its SDKs)."""
    parts = urlsplit(url)
    default = {"https": 443, "http": 80}.get(parts.scheme)
    if default is None or not parts.hostname:
        return [url]
    if parts.port:
        return [url, urlunsplit(parts._replace(netloc=parts.netloc.rsplit(":", 1)[0]))]
    return [url, urlunsplit(parts._replace(netloc=f"{parts.netloc}:{default}"))]


class Twilio:
    name = "twilio"
    simulates_receipts = False

    def __init__(self, config: dict):
        self.config = config

    def send(self, message: OutboundMessage) -> SendResult:
        sid, token = self.config.get("account_sid", ""), self.config.get("auth_token", "")
        if not sid or not token:
            raise ProviderError("Twilio is not configured (account_sid, auth_token).")
        if message.template_name:
            raise ProviderError("WhatsApp templates are sent through the WhatsApp Cloud API provider.")
        prefix = "whatsapp:" if message.channel == "whatsapp" else ""
        data = {"To": prefix + message.to, "Body": message.body}
        if self.config.get("messaging_service_sid"):
            data["MessagingServiceSid"] = self.config["messaging_service_sid"]
        else:
            data["From"] = prefix + self.config.get("from_number", "")
        if self.config.get("status_callback"):
            data["StatusCallback"] = self.config["status_callback"]
        url = f"{self.config.get('base_url', 'https://api.twilio.com').rstrip('/')}/2010-04-01/Accounts/{sid}/Messages.json"
        timeout = float(self.config.get("timeout", 5.0))
        try:
            with http_client(timeout) as client:
                response = client.post(url, data=data, auth=(sid, token))
        except httpx.TimeoutException:
            raise ProviderError(f"Twilio timed out after {timeout:g} s", retryable=True) from None
        except httpx.TransportError as exc:
            raise ProviderError(f"could not reach Twilio ({type(exc).__name__})", retryable=True) from None
        try:
            payload = response.json()
        except ValueError:
            payload = {}
        if response.status_code >= 500:
            raise ProviderError(f"Twilio answered {response.status_code}", retryable=True)
        if response.status_code >= 400:
            raise ProviderError(
                str(payload.get("message") or f"Twilio refused the message ({response.status_code})")[:255],
                code=str(payload.get("code") or response.status_code),
            )
        if not isinstance(payload, dict) or not payload.get("sid"):
            raise ProviderError("malformed answer from Twilio: no sid")
        return SendResult(str(payload["sid"]), STATUS_MAP.get(str(payload.get("status")), "queued"))

    def verify(self, request: WebhookRequest) -> None:
        token = self.config.get("auth_token", "")
        if not token:
            raise WebhookNotConfigured()
        given = request.headers.get("x-twilio-signature", "")
        if not given:
            raise Invalid("The X-Twilio-Signature header is missing.", code="bad_signature")
        if not given.isascii() or not any(
            hmac.compare_digest(twilio_signature(token, url, request.form), given) for url in _url_variants(request.url)
        ):
            raise Invalid("The signature does not match.", code="bad_signature")

    def parse(self, request: WebhookRequest) -> list:
        form = {k: v[-1] for k, v in request.form.items() if v}
        sid = form.get("MessageSid") or form.get("SmsSid") or ""
        if not sid:
            raise Invalid("The callback has no MessageSid.", code="malformed_event")
        status = form.get("MessageStatus") or form.get("SmsStatus") or ""
        if status and status != "received":
            if status not in STATUS_MAP:
                return []
            error = form.get("ErrorCode", "")
            return [StatusUpdate(sid, STATUS_MAP[status], error, f"Twilio error {error}" if error else "")]
        sender, recipient = form.get("From", ""), form.get("To", "")
        channel = "whatsapp" if sender.startswith("whatsapp:") else "sms"
        return [
            Inbound(
                channel=channel,
                provider_message_id=sid,
                from_address=sender,
                to_address=recipient,
                body=form.get("Body", ""),
                profile_name=form.get("ProfileName", ""),
            )
        ]
