"""`POST /webhooks/incoming-message`: verify the provider's signature (fail closed without a secret), parse, and
apply every event in one transaction — inbound messages (idempotent on the provider's id), delivery receipts
(forward only), template review results. A replayed or repeated delivery stores nothing new."""

from django.conf import settings
from django.db import IntegrityError, transaction

from apps.core.exceptions import Invalid

from ..hooks import status_elsewhere
from ..providers import provider_named
from ..providers.base import Inbound, StatusUpdate, TemplateStatus, WebhookRequest
from ..providers.sandbox import inbound_payload, sandbox_signature
from .messages import message_receive, message_status_apply
from .whatsapp import whatsapp_template_status_sync

PROVIDER_HEADERS = {"x-twilio-signature": "twilio", "x-hub-signature-256": "meta", "x-sandbox-signature": "sandbox"}


def webhook_provider(*, query_provider: str, headers: dict[str, str]) -> str:
    """The provider a webhook comes from: `?provider=` if given, else the signature header it carries."""
    if query_provider:
        if query_provider not in PROVIDER_HEADERS.values():
            raise Invalid("Unknown provider.", code="unknown_provider", details={"provider": [query_provider[:30]]})
        return query_provider
    for header, name in PROVIDER_HEADERS.items():
        if header in headers:
            return name
    raise Invalid("The request carries no provider signature.", code="bad_signature")


def webhook_receive(*, provider: str, request: WebhookRequest) -> dict:
    adapter = provider_named(provider)
    adapter.verify(request)
    events = adapter.parse(request)
    for attempt in (1, 2):
        try:
            return _apply(provider, events, check_duplicates=attempt == 2)
        except IntegrityError:
            # A message we already have (a provider's retry, a replay, or the same delivery stored by a concurrent
            # request): the first attempt inserts without looking (one statement fewer on the usual path) and the
            # unique constraint refuses the copy; everything rolled back, the second attempt looks each message up
            # and answers the copies as duplicates.
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _apply(provider: str, events: list, *, check_duplicates: bool) -> dict:
    counts = {"received": 0, "duplicates": 0, "statuses": 0, "templates": 0}
    message_ids: list[int] = []
    with transaction.atomic():
        for event in events:
            if isinstance(event, Inbound):
                message, created = message_receive(provider=provider, inbound=event, check_duplicate=check_duplicates)
                counts["received" if created else "duplicates"] += 1
                message_ids.append(message.pk)
            elif isinstance(event, StatusUpdate):
                applied = message_status_apply(provider=provider, update=event) is not None
                if not applied:  # a message sent by a higher app (a campaign's): its receipt is theirs
                    applied = any(fn(provider=provider, update=event) for fn in status_elsewhere.providers())
                counts["statuses"] += applied
            elif isinstance(event, TemplateStatus):
                counts["templates"] += whatsapp_template_status_sync(
                    name=event.name, language=event.language, status=event.status, reason=event.reason
                )
    return {**counts, "message_ids": message_ids}


def webhook_handshake(*, query: dict[str, str]) -> str:
    """Meta's subscription check (GET): the challenge, when the verify token matches."""
    return provider_named("meta").handshake(query)


def sandbox_inject(*, channel: str, from_address: str, body: str, to: str = "", message_id: str = "") -> dict:
    """Inject an inbound message into the sandbox (admin action, `manage.py messaging_inject`), signed and taken
    through the webhook path like a provider's."""
    secret = settings.MESSAGING_PROVIDER_CONFIG.get("sandbox", {}).get("secret", "")
    raw = inbound_payload(channel=channel, from_address=from_address, body=body, to=to, message_id=message_id)
    headers = {"x-sandbox-signature": sandbox_signature(secret, raw) if secret else ""}
    request = WebhookRequest(url="", method="POST", headers=headers, body=raw)
    return webhook_receive(provider="sandbox", request=request)
