"""Demo policies: the demo customer's motor and home policies (active), the living book's policies of every line
and lifecycle state issued through the services (billing books each one), and `--policies N` in bulk."""

import random
from datetime import date, timedelta
from decimal import Decimal

from apps.accounts.models import User
from apps.catalog.models import Product
from apps.customers.models import Customer

from .models import Policy
from .services import policy_create, policy_transition

DEMO_VIN = "WVWZZZ1KZMW612305"


def seed(*, stdout, options=None) -> None:
    book_policies_issue(stdout=stdout)
    wanted = max(int((options or {}).get("policies") or 0), BOOK_POLICIES)
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
        payment_frequency="monthly",  # billing's demo leaves the latest past-due instalment unpaid: in arrears
        activate=True,
    )
    stdout.write("policies: 2 demo policies issued")


# The share of the story customers in each lifecycle story.
BOOK_STORY_CUSTOMERS = 80  # their policies go through the services; the rest of the book's are bulk-inserted
BOOK_POLICIES = 400
BOOK_STORIES = ["active"] * 12 + ["two_active"] * 3 + ["quoted", "cancelled", "lapsed", "expired"] + ["renewed"] * 2
MAKES = [("Volkswagen", "Golf"), ("Renault", "Clio"), ("Peugeot", "208"), ("Toyota", "Yaris"), ("BMW", "320d")]


def _book_terms(product: Product, rng: random.Random, i: int) -> dict:
    line = product.line.code
    terms: dict = {"payment_frequency": rng.choice(["annual", "annual", "quarterly", "monthly", "semiannual"])}
    if line == "auto":
        make, model = rng.choice(MAKES)
        year = rng.randint(2012, date.today().year)
        # European VIN: 'Z' as the 9th and 10th characters means no check digit and no coded model year.
        terms["vehicle"] = {
            "vin": f"WVWZZZ1KZZB{i:06d}",
            "registration": f"{rng.randint(10, 99)}-{chr(65 + i % 26)}{chr(65 + i // 26 % 26)}-{rng.randint(10, 99)}",
            "make": make,
            "model": model,
            "year": year,
            "value": str(rng.choice([9500, 14500, 21500, 32000, 48000])),
        }
        terms["claims_count"] = rng.choice([0, 0, 0, 1, 2])
        terms["coverages"] = rng.sample(["glass", "roadside"], rng.randint(0, 2))
    elif line == "home":
        terms["sum_insured"] = Decimal(rng.choice([120000, 250000, 400000]))
        terms["coverages"] = rng.sample(["accidental"], rng.randint(0, 1))
    elif line == "life":
        terms["coverages"] = rng.sample(["disability"], rng.randint(0, 1))
    elif line == "travel":
        terms["coverages"] = rng.sample(["cancellation", "baggage"], rng.randint(0, 2))
    return terms


def book_policies_issue(*, stdout) -> int:
    """Each book customer's story, told through the policy services (billing books premiums on activation): active
    policies started over the past year, a quote, a cancellation, a lapse, an expired term, a term renewed into
    the current one. Customers who already hold a policy are skipped, so a rerun adds nothing."""
    products = list(Product.objects.filter(is_active=True).select_related("line").order_by("code"))
    first = Customer.objects.filter(user__isnull=True, agent__isnull=False).order_by("pk")[:BOOK_STORY_CUSTOMERS]
    customers = list(
        Customer.objects.filter(pk__in=first.values("pk"), policies__isnull=True).select_related("agent").order_by("pk")
    )
    if not products or not customers:
        return 0
    rng = random.Random(1509)  # noqa: S311 (demo data)
    today, issued = date.today(), 0
    for n, customer in enumerate(customers):
        i = customer.pk
        agent = customer.agent
        actor = agent
        story = BOOK_STORIES[n % len(BOOK_STORIES)]  # by position: every story is told whatever the ids
        age = (today - customer.date_of_birth).days // 365
        fits = [p for p in products if (p.min_age or 0) <= age <= (p.max_age or 200)]
        product = fits[n % len(fits)]
        terms = _book_terms(product, rng, i)
        if story == "quoted":
            policy_create(
                actor=actor,
                customer=customer,
                product=product,
                start_date=today + timedelta(days=rng.randint(3, 30)),
                **terms,
            )
        elif story == "expired" or story == "renewed":
            start = today - timedelta(days=365 + rng.randint(5, 120))
            policy = policy_create(
                actor=actor, customer=customer, product=product, start_date=start, activate=True, **terms
            )
            if story == "expired":
                policy_transition(policy=policy, actor=actor, action="expire", note="Term ended, not renewed")
            else:
                policy_transition(policy=policy, actor=actor, action="renew", note="Renewed at term end")
                new_term = Policy.objects.get(renewed_from=policy)
                policy_transition(
                    policy=new_term, actor=actor, action="activate", note=f"Renewal of {policy.policy_number}"
                )
                issued += 1
        else:
            start = today - timedelta(days=rng.randint(5 if story != "lapsed" else 200, 350))
            policy = policy_create(
                actor=actor, customer=customer, product=product, start_date=start, activate=True, **terms
            )
            if story == "cancelled":
                policy_transition(policy=policy, actor=actor, action="cancel", note="Customer sold the insured asset")
            elif story == "lapsed":
                policy_transition(
                    policy=policy, actor=actor, action="lapse", note="Premium unpaid after the grace period"
                )
            elif story == "two_active":
                other = [p for p in products if p.pk != product.pk and p in fits]
                if other:
                    second = other[i % len(other)]
                    policy_create(
                        actor=actor,
                        customer=customer,
                        product=second,
                        start_date=today - timedelta(days=rng.randint(5, 350)),
                        activate=True,
                        **_book_terms(second, rng, i + 1000),
                    )
                    issued += 1
        issued += 1
    stdout.write(f"policies: {issued} book policies issued for {len(customers)} customers")
    return issued


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
