"""Load demo data: every app may provide `apps/<app>/demo.py` with `seed(*, stdout) -> None` (idempotent).

Apps are seeded in INSTALLED_APPS order, which is the dependency order of DESIGN.md, so the core
never imports a higher app by name.
"""

from importlib import import_module
from importlib.util import find_spec

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction


class Command(BaseCommand):
    help = "Create demo accounts and sample data (idempotent). Refused in production settings."

    def add_arguments(self, parser):
        parser.add_argument("--customers", type=int, default=0, help="Generate customers until there are N.")
        parser.add_argument(
            "--policies", type=int, default=0, help="Generate active policies (with ledger entries) until there are N."
        )
        parser.add_argument("--claims", type=int, default=0, help="Generate claims (COPY) until there are N.")

    def handle(self, *args, **options):
        if not settings.DEMO_ACCOUNTS_ALLOWED:
            raise CommandError("Demo data is disabled in these settings (DEMO_ACCOUNTS_ALLOWED is False).")
        for config in apps.get_app_configs():
            if not config.name.startswith("apps."):
                continue
            module_name = f"{config.name}.demo"
            if find_spec(module_name) is None:
                continue
            with transaction.atomic():
                import_module(module_name).seed(stdout=self.stdout, options=options)
        self.stdout.write(self.style.SUCCESS("Demo data ready."))
