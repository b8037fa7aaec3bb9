"""The local sandbox provider, the default in `make run` and tests, for SMS and WhatsApp alike.

It records every message it is asked to send (`OUTBOX`, like Django's locmem mailbox, and the `Message` rows),
answers with an id like a real provider, and simulates the delivery receipt (the message service applies a
"delivered" status after commit, through the same code as a real receipt). Inbound messages are injected from the
admin or `manage.py messaging_inject`, as a webhook signed with the sandbox secret (`X-Sandbox-Signature`: hex
HMAC-SHA256 of the body), so they take the same path as a provider's. Numbers ending in 0000 fail delivery, to
show a failed receipt in the demo.
"""

import hashlib
import hmac
import json
import uuid
from datetime import UTC, datetime

from apps.core.exceptions import Invalid

from .base import Inbound, OutboundMessage, SendResult, StatusUpdate, WebhookNotConfigured, WebhookRequest

OUTBOX: list[OutboundMessage] = []


def sandbox_signature(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class Sandbox:
    name = "sandbox"
    simulates_receipts = True

    def __init__(self, config: dict):
        self.config = config

    def send(self, message: OutboundMessage) -> SendResult:
        OUTBOX.append(message)
        return SendResult(f"SBX{uuid.uuid4().hex}", "sent")

    def receipt_for(self, to: str) -> tuple[str, str]:
        """(status, error) of the simulated delivery receipt."""
        return ("failed", "sandbox: unreachable number") if to.endswith("0000") else ("delivered", "")

    def verify(self, request: WebhookRequest) -> None:
        secret = self.config.get("secret", "")
        if not secret:
            raise WebhookNotConfigured()
        given = request.headers.get("x-sandbox-signature", "")
        if not given:
            raise Invalid("The X-Sandbox-Signature header is missing.", code="bad_signature")
        if not given.isascii() or not hmac.compare_digest(sandbox_signature(secret, request.body), given):
            raise Invalid("The signature does not match.", code="bad_signature")

    def parse(self, request: WebhookRequest) -> list:
        try:
            data = json.loads(request.body)
            items = data["events"] if isinstance(data, dict) and "events" in data else [data]
            events: list = []
            for item in items:
                if item["type"] == "message":
                    when = datetime.fromtimestamp(int(item["timestamp"]), tz=UTC) if item.get("timestamp") else None
                    events.append(
                        Inbound(
                            channel=str(item["channel"]),
                            provider_message_id=str(item["id"]),
                            from_address=str(item["from"]),
                            to_address=str(item.get("to", "")),
                            body=str(item.get("body", "")),
                            received_at=when,
                        )
                    )
                elif item["type"] == "status":
                    events.append(StatusUpdate(str(item["id"]), str(item["status"]), str(item.get("error", ""))))
            return events
        except (ValueError, KeyError, TypeError):
            raise Invalid(
                'Expected {"type": "message", "channel", "id", "from", "body"} or {"type": "status", "id", "status"}.',
                code="malformed_event",
            ) from None


def inbound_payload(*, channel: str, from_address: str, body: str, to: str = "", message_id: str = "") -> bytes:
    return json.dumps(
        {
            "type": "message",
            "channel": channel,
            "id": message_id or f"SBXIN{uuid.uuid4().hex}",
            "from": from_address,
            "to": to,
            "body": body,
            "timestamp": int(datetime.now(tz=UTC).timestamp()),
        }
    ).encode()
