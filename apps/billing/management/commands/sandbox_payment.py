"""`manage.py sandbox_payment POL-2026-000001 120.00`: act as the sandbox payment provider.

Builds a signed `payment.succeeded` event and delivers it to the webhook handler, exactly as the provider's
HTTP call would (or, with --print-curl, prints the curl command to send it to a running server)."""

import json
import shlex
import time
import uuid
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from apps.billing.services import payment_webhook_receive, webhook_signature
from apps.core import errors


class Command(BaseCommand):
    help = "Simulate a card payment from the sandbox provider (signed webhook event)."

    def add_arguments(self, parser):
        parser.add_argument("policy_number")
        parser.add_argument("amount")
        parser.add_argument("--event-id", default=None, help="Reuse an id to see replay protection at work.")
        parser.add_argument("--print-curl", action="store_true")
        parser.add_argument("--url", default="http://127.0.0.1:8000/api/v1/billing/webhooks/sandbox")

    def handle(self, *args, policy_number, amount, event_id, print_curl, url, **options):
        secret = settings.PAYMENT_WEBHOOK_SECRETS.get("sandbox")
        if not secret:
            raise CommandError("The sandbox provider is not enabled (SANDBOX_WEBHOOK_SECRET).")
        try:
            amount = str(Decimal(amount).quantize(Decimal("0.01")))
        except InvalidOperation:
            raise CommandError(f"Not an amount: {amount}") from None
        event_id = event_id or f"evt_{uuid.uuid4().hex[:16]}"
        body = json.dumps(
            {
                "id": event_id,
                "type": "payment.succeeded",
                "data": {
                    "policy_number": policy_number.upper(),
                    "amount": amount,
                    "currency": "EUR",
                    "reference": f"sbx_{event_id}",
                    "method": "card",
                },
            }
        ).encode()
        timestamp = int(time.time())
        signature = f"t={timestamp},v1={webhook_signature(secret=secret, timestamp=timestamp, body=body)}"
        if print_curl:
            self.stdout.write(
                f"curl -s -X POST {shlex.quote(url)} -H 'Content-Type: application/json' "
                f"-H {shlex.quote('X-Signature: ' + signature)} --data {shlex.quote(body.decode())}"
            )
            return
        with errors.as_command_error():
            result, payment = payment_webhook_receive(provider="sandbox", body=body, signature_header=signature)
        self.stdout.write(self.style.SUCCESS(f"{result}: payment {payment.pk if payment else '-'} ({event_id})"))
