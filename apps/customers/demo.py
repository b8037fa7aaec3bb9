"""Demo customers for `manage.py seed_demo` (a few named ones, plus `--customers N` generated in bulk)."""

import random

import pgtrigger
from django.db import connection

from apps.accounts.models import User
from apps.accounts.roles import Role

from .models import Customer, Interaction
from .services import customer_codes_reserve, customer_link_or_create_for_user

FIRST = [
    "Ana",
    "João",
    "Maria",
    "Pedro",
    "Inês",
    "Rui",
    "Sofia",
    "Tiago",
    "Marta",
    "Nuno",
    "Carla",
    "Luís",
    "Beatriz",
    "Miguel",
    "Rita",
    "Paulo",
    "Helena",
    "Diogo",
    "Joana",
    "André",
    "Emma",
    "Liam",
    "Olivia",
    "Noah",
    "Mia",
]
LAST = [
    "Silva",
    "Santos",
    "Ferreira",
    "Pereira",
    "Oliveira",
    "Costa",
    "Rodrigues",
    "Martins",
    "Jesus",
    "Sousa",
    "Fernandes",
    "Gonçalves",
    "Gomes",
    "Lopes",
    "Marques",
    "Alves",
    "Almeida",
    "Ribeiro",
    "Pinto",
    "Carvalho",
    "Smith",
    "Johnson",
    "Brown",
    "Taylor",
    "Wilson",
]
CITIES = ["Lisboa", "Porto", "Braga", "Coimbra", "Faro", "Aveiro", "Setúbal", "Funchal", "Évora", "Leiria"]
KYC = ["pending", "in_review", "verified", "verified", "verified", "rejected", "expired"]
BATCH = 5000


def seed(*, stdout, options=None) -> None:
    options = options or {}
    agent = User.objects.filter(email="agent@example.com").first()
    portal = User.objects.filter(email="customer@example.com").first()
    if portal is not None:
        me = customer_link_or_create_for_user(user=portal)
        if me.agent_id is None and agent is not None:
            Customer.objects.filter(pk=me.pk).update(
                agent=agent,
                address={
                    "line1": "Avenida da Liberdade 100",
                    "city": "Lisboa",
                    "postal_code": "1250-146",
                    "country": "PT",
                },
                phone="+351912345678",
                communication_preferences={
                    "channels": {"email": True, "sms": True, "whatsapp": False, "phone": True, "post": False},
                    "quiet_hours": {"start": "21:00", "end": "08:00", "timezone": "Europe/Lisbon"},
                    "language": "pt",
                },
            )
            Interaction.objects.create(
                customer=me,
                type="call",
                direction="outbound",
                channel="phone",
                summary="Welcome call: explained the portal and renewal dates.",
                occurred_at=me.created_at,
                author=agent,
            )
    wanted = int(options.get("customers") or 0)
    existing = Customer.all_objects.count()
    if wanted > existing:
        customers_bulk_generate(count=wanted - existing, stdout=stdout)
    stdout.write(f"customers: {Customer.objects.count()} live customer(s)")


def customers_bulk_generate(*, count: int, stdout) -> None:
    """Synthetic customers in batches of bulk inserts. The audit trigger is skipped for synthetic data only."""
    rng = random.Random(2026)  # noqa: S311 (demo data)
    agents = list(User.objects.filter(role__in=[Role.AGENT, Role.MANAGER], is_active=True).values_list("pk", flat=True))
    done = 0
    with pgtrigger.ignore("customers.Customer:insert_insert"):
        while done < count:
            size = min(BATCH, count - done)
            codes = customer_codes_reserve(size)
            rows = []
            for code in codes:
                first, last, city = rng.choice(FIRST), rng.choice(LAST), rng.choice(CITIES)
                number = int(code[4:])
                rows.append(
                    Customer(
                        customer_code=code,
                        first_name=first,
                        last_name=last,
                        email=f"{first.lower()}.{last.lower()}.{number}@example.net".encode("ascii", "ignore").decode(),
                        phone=f"+3519{rng.randint(10_000_000, 99_999_999)}",
                        address={
                            "line1": f"Rua {rng.choice(LAST)} {rng.randint(1, 300)}",
                            "city": city,
                            "country": "PT",
                        },
                        kyc_status=rng.choice(KYC),
                        agent_id=rng.choice(agents) if agents else None,
                    )
                )
            Customer.objects.bulk_create(rows, batch_size=BATCH)
            done += size
            stdout.write(f"  customers: {done}/{count}")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE customers_customer")
