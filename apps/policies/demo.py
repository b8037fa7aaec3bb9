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
    synthetic data only), with their premium-due and payment bookings."""
    import random
    import uuid

    import pgtrigger
    from django.db import connection
    from django.utils import timezone

    from apps.billing.models import Account, Transaction, TransactionType

    from .services import policy_numbers_reserve

    rng = random.Random(4242)  # noqa: S311 (demo data)
    products = list(Product.objects.filter(code__in=["home-essentials", "health-plus"]).select_related("line"))
    customer_ids = list(Customer.objects.filter(user__isnull=True).values_list("pk", "agent_id")[: max(1, count)])
    if not products or not customer_ids:
        stdout.write("policies: no products or customers to attach bulk policies to")
        return
    batch, done, today = 5000, 0, date.today()
    with pgtrigger.ignore("policies.Policy:insert_insert"):
        while done < count:
            size = min(batch, count - done)
            numbers = policy_numbers_reserve(size)
            policies = []
            for number in numbers:
                product = rng.choice(products)
                customer_id, agent_id = rng.choice(customer_ids)
                start = today - timedelta(days=rng.randint(0, 364))
                end = start + timedelta(days=364)
                premium = (product.base_premium * Decimal(rng.choice(["0.85", "1.00", "1.15", "1.40"]))).quantize(
                    Decimal("0.01")
                )
                policies.append(
                    Policy(
                        policy_number=number,
                        customer_id=customer_id,
                        product=product,
                        policy_type=product.line.code,
                        status="active",
                        premium_amount=premium,
                        start_date=start,
                        end_date=end,
                        renewal_date=end,
                        agent_id=agent_id,
                        payment_frequency=rng.choice(["annual", "monthly", "quarterly"]),
                        sum_insured=Decimal(rng.choice([120000, 250000, 400000]))
                        if product.line.code == "home"
                        else None,
                    )
                )
            Policy.objects.bulk_create(policies, batch_size=batch)
            now = timezone.now()
            entries = []
            for policy in policies:
                due = uuid.uuid4()
                entries += [
                    Transaction(
                        booking=due,
                        type=TransactionType.PREMIUM_DUE,
                        account=Account.CUSTOMER,
                        amount=policy.premium_amount,
                        currency="EUR",
                        customer_id=policy.customer_id,
                        policy=policy,
                        occurred_at=now,
                        description=f"Premium {policy.policy_number}",
                    ),
                    Transaction(
                        booking=due,
                        type=TransactionType.PREMIUM_DUE,
                        account=Account.PREMIUM_INCOME,
                        amount=-policy.premium_amount,
                        currency="EUR",
                        customer_id=policy.customer_id,
                        policy=policy,
                        occurred_at=now,
                    ),
                ]
                if rng.random() < 0.7:
                    paid = uuid.uuid4()
                    entries += [
                        Transaction(
                            booking=paid,
                            type=TransactionType.PREMIUM_PAID,
                            account=Account.CASH,
                            amount=policy.premium_amount,
                            currency="EUR",
                            customer_id=policy.customer_id,
                            policy=policy,
                            occurred_at=now,
                        ),
                        Transaction(
                            booking=paid,
                            type=TransactionType.PREMIUM_PAID,
                            account=Account.CUSTOMER,
                            amount=-policy.premium_amount,
                            currency="EUR",
                            customer_id=policy.customer_id,
                            policy=policy,
                            occurred_at=now,
                            description="Payment card",
                        ),
                    ]
            Transaction.objects.bulk_create(entries, batch_size=batch * 2)
            done += size
            stdout.write(f"  policies: {done}/{count}")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE policies_policy")
        cursor.execute("ANALYZE billing_transaction")
