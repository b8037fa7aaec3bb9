"""`manage.py gdpr_export CUS-0000001 [--output file.zip]`: a customer's personal data as a zip."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from apps.customers.models import Customer
from apps.customers.services import customer_export


class Command(BaseCommand):
    help = "Export everything held about a customer (GDPR access/portability) to a zip file."

    def add_arguments(self, parser):
        parser.add_argument("customer_code")
        parser.add_argument("--output", help="Zip path (default: ./<code>-personal-data.zip)")

    def handle(self, *args, customer_code: str, output: str | None, **options):
        customer = Customer.all_objects.filter(customer_code__iexact=customer_code.strip()).first()
        if customer is None:
            raise CommandError(f"No customer with code {customer_code!r}.")
        target = Path(output or f"{customer.customer_code}-personal-data.zip")
        if target.exists():
            raise CommandError(f"{target} already exists; choose another --output.")
        target.write_bytes(customer_export(customer=customer, actor=None))
        self.stdout.write(self.style.SUCCESS(f"Wrote {target} ({target.stat().st_size} bytes)"))
