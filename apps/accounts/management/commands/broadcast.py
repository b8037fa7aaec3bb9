"""Send a live announcement to connected users (e.g. before maintenance)."""

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from apps.accounts.roles import Role
from apps.core.events import publish


class Command(BaseCommand):
    help = "Publish an `announcement:new` event to websocket groups (default: every role)."

    def add_arguments(self, parser):
        parser.add_argument("message")
        parser.add_argument(
            "--audience",
            action="append",
            default=None,
            help="Group, e.g. role.agent, user.42, dashboard. Repeatable. Default: all roles.",
        )
        parser.add_argument("--level", choices=["info", "warning", "critical"], default="info")

    def handle(self, *args, message: str, audience, level: str, **options):
        if not message.strip():
            raise CommandError("The message is empty.")
        groups = audience or [f"role.{role}" for role in Role.values]
        with transaction.atomic():
            try:
                event = publish("announcement:new", {"message": message, "level": level}, audience=groups)
            except ValueError as exc:
                raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(f"Published {event['id']} to {', '.join(groups)}"))
