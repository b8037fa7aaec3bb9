"""Demo policies for the demo customer (a motor and a home policy, active)."""

from datetime import date, timedelta
from decimal import Decimal

from apps.accounts.models import User
from apps.catalog.models import Product
from apps.customers.models import Customer

from .models import Policy
from .services import policy_create

DEMO_VIN = "WVWZZZ1KZMW612305"


def seed(*, stdout, options=None) -> None:
    wanted = int((options or {}).get("policies") or 0)
    existing = Policy.objects.count()
    if wanted > existing:
        policies_bulk_generate(count=wanted - existing, stdout=stdout)
    customer = Customer.objects.filter(user__email="customer@example.com").first()
    agent = User.objects.filter(email="agent@example.com").first()
    if customer is None or agent is None or Policy.objects.filter(customer=customer, vehicles__vin=DEMO_VIN).exists():
        stdout.write("policies: nothing to do")
        return
    if customer.date_of_birth is None:
        Customer.objects.filter(pk=customer.pk).update(date_of_birth=date(1988, 6, 14))
        customer.refresh_from_db()
    start = date.today() - timedelta(days=120)
    policy_create(
        actor=agent,
        customer=customer,
        product=Product.objects.get(code="motor-comprehensive"),
        start_date=start,
        claims_count=0,
        coverages=["glass"],
        activate=True,
        vehicle={
            "vin": "WVWZZZ1KZMW612305",
            "registration": "AA-12-BC",
            "make": "Volkswagen",
            "model": "Golf",
            "year": 2021,
            "value": "21500.00",
        },
    )
    policy_create(
        actor=agent,
        customer=customer,
        product=Product.objects.get(code="home-essentials"),
        start_date=start + timedelta(days=10),
        sum_insured=Decimal("250000"),
        activate=True,
    )
    stdout.write("policies: 2 demo policies issued")


def policies_bulk_generate(*, count: int, stdout) -> None:
    """Synthetic active home/health policies for existing customers, bulk-inserted (audit trigger skipped for
    synthetic data only). Their premium bookings are billing's (`apps.billing.demo`, seeded after this app)."""
    import random

    import pgtrigger
    from django.db import connection, transaction

    from apps.core.bulk import copy_insert

    from .services import policy_numbers_reserve

    rng = random.Random(4242)  # noqa: S311 (demo data)
    products = list(Product.objects.filter(code__in=["home-essentials", "health-plus"]).select_related("line"))
    customer_ids = list(Customer.objects.filter(user__isnull=True).values_list("pk", "agent_id")[: max(1, count)])
    if not products or not customer_ids:
        stdout.write("policies: no products or customers to attach bulk policies to")
        return

    batch, done, today = 20000, 0, date.today()
    policy_fields = [
        "policy_number",
        "customer",
        "product",
        "policy_type",
        "status",
        "premium_amount",
        "currency",
        "start_date",
        "end_date",
        "renewal_date",
        "agent",
        "payment_frequency",
        "sum_insured",
    ]
    with pgtrigger.ignore("policies.Policy:insert_insert"):
        while done < count:
            size = min(batch, count - done)
            rows = []
            for number in policy_numbers_reserve(size):
                product = rng.choice(products)
                customer_id, agent_id = rng.choice(customer_ids)
                start = today - timedelta(days=rng.randint(0, 364))
                end = start + timedelta(days=364)
                premium = (product.base_premium * Decimal(rng.choice(["0.85", "1.00", "1.15", "1.40"]))).quantize(
                    Decimal("0.01")
                )
                home = product.line.code == "home"
                rows.append(
                    (
                        number,
                        customer_id,
                        product.pk,
                        product.line.code,
                        "active",
                        premium,
                        "EUR",
                        start,
                        end,
                        end,
                        agent_id,
                        rng.choice(["annual", "monthly", "quarterly"]),
                        Decimal(rng.choice([120000, 250000, 400000])) if home else None,
                    )
                )
            with transaction.atomic():
                copy_insert(Policy, policy_fields, rows)
            done += size
            stdout.write(f"  policies: {done}/{count}")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE policies_policy")
