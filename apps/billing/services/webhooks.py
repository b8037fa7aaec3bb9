"""Payment providers' signed webhooks: verified, recorded once per event, applied through `payment_record`."""

import hashlib
import hmac
import json
import logging
import time
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.core.exceptions import Conflict, Invalid, NotFound
from apps.policies.models import Policy

from ..models import CheckoutSession, Payment, WebhookEvent
from .payments import payment_record

logger = logging.getLogger("insureops.billing")


def webhook_signature(*, secret: str, timestamp: int, body: bytes) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def payment_webhook_receive(*, provider: str, body: bytes, signature_header: str) -> tuple[str, Payment | None]:
    """Verify `t=<unix>,v1=<hex>` over "<t>.<body>" with the provider's secret (5-minute tolerance), then
    process the event once. Returns ("processed" | "duplicate" | "ignored", payment)."""
    secret = settings.PAYMENT_WEBHOOK_SECRETS.get(provider)
    if not secret:
        raise NotFound("Unknown payment provider.", code="unknown_provider")
    parts = dict(part.split("=", 1) for part in (signature_header or "").split(",") if "=" in part)
    try:
        timestamp = int(parts.get("t", ""))
    except ValueError:
        raise Invalid("Missing or malformed signature.", code="bad_signature") from None
    expected = webhook_signature(secret=secret, timestamp=timestamp, body=body)
    given = parts.get("v1", "")
    if not given.isascii() or not hmac.compare_digest(expected, given):
        raise Invalid("The signature does not match.", code="bad_signature")
    if abs(time.time() - timestamp) > settings.PAYMENT_WEBHOOK_TOLERANCE:
        raise Invalid("The signature has expired.", code="stale_signature")
    try:
        event = json.loads(body)
        event_id, event_type, data = str(event["id"]), str(event["type"]), event.get("data") or {}
        if not isinstance(data, dict):
            raise TypeError("data")
    except (ValueError, KeyError, TypeError):
        raise Invalid("The event is not a JSON object with id, type and data.", code="malformed_event") from None
    reference = str(data.get("reference") or event_id)[:100]
    with transaction.atomic():
        try:
            with transaction.atomic():
                record = WebhookEvent.objects.create(provider=provider, event_id=event_id, payload=event)
        except IntegrityError:
            return "duplicate", Payment.objects.filter(provider=provider, provider_reference=reference).first()
        if event_type != "payment.succeeded":
            WebhookEvent.objects.filter(pk=record.pk).update(status=WebhookEvent.Status.IGNORED)
            return "ignored", None
        # A hosted checkout's payment names its session: locked first, so two deliveries of one charge serialise.
        checkout = (
            CheckoutSession.objects.select_for_update()
            .select_related("policy")
            .filter(provider=provider, reference=str(data["checkout"]))
            .first()
            if data.get("checkout")
            else None
        )
        existing = Payment.objects.filter(provider=provider, provider_reference=reference).first()
        if existing is not None:  # the provider retried the same charge under a new event id
            return "duplicate", existing
        policy = (
            checkout.policy
            if checkout is not None
            else Policy.objects.filter(policy_number=str(data.get("policy_number", ""))).first()
        )
        try:
            if data.get("checkout") and checkout is None:
                raise ValidationError("Unknown checkout session.")
            if policy is None:
                raise ValidationError("Unknown policy number.")
            amount = Decimal(str(data["amount"]))
            with transaction.atomic():
                payment = payment_record(
                    policy=policy,
                    amount=amount,
                    currency=data.get("currency"),
                    method=str(data.get("method") or Payment.Method.CARD),
                    provider=provider,
                    provider_reference=reference,
                )
                if checkout is not None:
                    CheckoutSession.objects.filter(pk=checkout.pk).update(
                        status=CheckoutSession.Status.COMPLETED, payment=payment, completed_at=timezone.now()
                    )
        except (ValidationError, Conflict, KeyError, ArithmeticError) as exc:
            # Money arrived that we cannot apply: keep it for someone to resolve; the provider must not retry.
            note = "; ".join(getattr(exc, "messages", [])) or str(getattr(exc, "detail", exc))
            WebhookEvent.objects.filter(pk=record.pk).update(status=WebhookEvent.Status.UNAPPLIED, note=note[:300])
            logger.warning("Unapplied %s payment %s: %s", provider, reference, note)
            return "unapplied", None
        return "processed", payment
