"""Inject an inbound SMS or WhatsApp message into the sandbox provider, as a signed webhook.

manage.py messaging_inject --from +351912000001 --body "STOP"
manage.py messaging_inject --channel whatsapp --from 912000001 --body "When does my policy renew?"
"""

from django.core.management.base import BaseCommand

from apps.core import errors
from apps.messaging.services.webhooks import sandbox_inject


class Command(BaseCommand):
    help = "Inject an inbound message into the messaging sandbox (as a signed provider webhook)."

    def add_arguments(self, parser):
        parser.add_argument("--channel", choices=["sms", "whatsapp"], default="sms")
        parser.add_argument("--from", dest="from_address", required=True)
        parser.add_argument("--body", required=True)
        parser.add_argument("--to", default="")

    def handle(self, *args, channel, from_address, body, to, **options):
        with errors.as_command_error():
            result = sandbox_inject(channel=channel, from_address=from_address, body=body, to=to)
        self.stdout.write(
            f"received {result['received']}, duplicates {result['duplicates']}: message(s) {result['message_ids']}"
        )
