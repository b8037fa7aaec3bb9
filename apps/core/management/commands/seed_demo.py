"""Load demo data: every app may provide `apps/<app>/demo.py` with `seed(*, stdout) -> None` (idempotent).

Apps are seeded in INSTALLED_APPS order, which is the dependency order of docs/architecture.md, so the core
never imports a higher app by name.
"""

import logging
import time
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
        parser.add_argument("--cases", type=int, default=0, help="Generate renewal cases until there are N.")
        parser.add_argument("--tickets", type=int, default=0, help="Generate service tickets until there are N.")
        parser.add_argument(
            "--leads", type=int, default=0, help="Generate CRM leads (with activities, tasks, deals) until there are N."
        )
        parser.add_argument(
            "--emails", type=int, default=0, help="Generate received emails in the shared inbox until there are N."
        )
        parser.add_argument(
            "--scale",
            type=float,
            default=0,
            help="A coherent data set: at 1, 100k customers, 200k policies (with ~140k payments in the ledger), "
            "50k claims, 1M renewal cases, 100k service tickets, 200k CRM leads (1M activities, 500 agents). "
            "Overrides the counts above.",
        )

    def handle(self, *args, **options):
        if not settings.DEMO_ACCOUNTS_ALLOWED:
            raise CommandError("Demo data is disabled in these settings (DEMO_ACCOUNTS_ALLOWED is False).")
        if settings.CELERY_TASK_ALWAYS_EAGER:
            # tasks run inline while seeding: one "Task … succeeded" line each is noise, not progress
            logging.getLogger("celery.app.trace").setLevel(logging.WARNING)
        if options["scale"]:
            scale = options["scale"]
            options.update(
                customers=int(100_000 * scale),
                policies=int(200_000 * scale),
                claims=int(50_000 * scale),
                cases=int(1_000_000 * scale),
                tickets=int(100_000 * scale),
                leads=int(200_000 * scale),
                emails=int(500_000 * scale),  # 100k at make bench's --scale 0.2 (issue 16: GET /emails at 100k)
            )
        started = time.monotonic()
        for config in apps.get_app_configs():
            if not config.name.startswith("apps."):
                continue
            module_name = f"{config.name}.demo"
            if find_spec(module_name) is None:
                continue
            with transaction.atomic():
                import_module(module_name).seed(stdout=self.stdout, options=options)
        if any(
            options.get(name) for name in ("customers", "policies", "claims", "cases", "tickets", "leads", "emails")
        ):
            # Bulk-loaded tables: build the visibility map (index-only scans) and flush GIN pending lists, so the
            # first queries are as fast as they will be in steady state.
            from django.db import connection

            with connection.cursor() as cursor:
                cursor.execute("VACUUM (ANALYZE)")
        self.stdout.write(self.style.SUCCESS(f"Demo data ready ({time.monotonic() - started:.0f} s)."))
