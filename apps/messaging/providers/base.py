"""One interface for every SMS and WhatsApp provider.

An adapter sends (`send` → `SendResult`, or `ProviderError` with a reason a person can read), and reads its own
webhooks: `verify(request)` raises `Invalid(code="bad_signature")` unless the request is signed with the
configured secret (and `WebhookNotConfigured` when there is none: fail closed), `parse(request)` returns the
inbound messages, delivery receipts and template status changes it carries.
"""

from dataclasses import dataclass, field
from datetime import datetime

import httpx

from apps.core.exceptions import DomainError

# Tests point the adapters' HTTP client at an httpx.MockTransport through this (the HTTP boundary).
transport_override: httpx.BaseTransport | None = None


def http_client(timeout: float) -> httpx.Client:
    return httpx.Client(timeout=timeout, transport=transport_override)


class ProviderError(Exception):
    """The provider refused or could not take the message; `code` is the provider's own error code if any."""

    def __init__(self, message: str, *, code: str = "", retryable: bool = False):
        super().__init__(message)
        self.message, self.code, self.retryable = message, code, retryable


class WebhookNotConfigured(DomainError):
    """Fail closed: without the provider's secret nothing can be verified, so nothing is accepted (a 4xx: the
    provider keeps the event and retries once the secret is configured)."""

    status = 403
    default_code = "webhook_not_configured"
    default_message = "This provider's webhook secret is not configured: the request is refused."


@dataclass(frozen=True)
class SendResult:
    provider_message_id: str
    status: str  # queued | sent


@dataclass(frozen=True)
class WebhookRequest:
    """What a webhook adapter needs from an HTTP request: the exact URL the provider called, the raw body, the
    headers (lower-case names), the form fields (lists) and query parameters."""

    url: str
    method: str
    headers: dict[str, str]
    body: bytes
    form: dict[str, list[str]] = field(default_factory=dict)
    query: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Inbound:
    channel: str
    provider_message_id: str
    from_address: str
    to_address: str
    body: str
    received_at: datetime | None = None
    profile_name: str = ""


@dataclass(frozen=True)
class StatusUpdate:
    provider_message_id: str
    status: str  # sent | delivered | read | failed
    error_code: str = ""
    error_message: str = ""


@dataclass(frozen=True)
class TemplateStatus:
    name: str
    language: str
    status: str  # approved | rejected | pending
    reason: str = ""


@dataclass(frozen=True)
class OutboundMessage:
    channel: str
    to: str  # E.164
    body: str = ""
    template_name: str = ""
    template_language: str = ""
    variables: tuple[str, ...] = ()
