"""Demo customers for `manage.py seed_demo`: the portal's demo customer, the living book (at least BOOK_SIZE
customers of the demo agents and managers), and `--customers N` generated in bulk."""

import random
import unicodedata
from datetime import date, timedelta

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
BOOK_SIZE = 300


def _ascii(text: str) -> str:
    """ "Luís" → "luis" (accents dropped, not the letters), for the demo's email addresses."""
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def demo_mobile_number(n: int) -> str:
    """A valid Portuguese mobile number (91, 92, 93 or 96 …) from one random draw, so the consent gate and the SMS
    senders accept the demo customers' phones."""
    return f"+3519{'1236'[n // 10_000_000 % 4]}{n % 10_000_000:07d}"


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
    wanted = max(int(options.get("customers") or 0), BOOK_SIZE)
    existing = Customer.all_objects.count()
    if wanted > existing:
        customers_bulk_generate(count=wanted - existing, stdout=stdout)
    stdout.write(f"customers: {Customer.objects.count()} live customer(s)")


def customers_bulk_generate(*, count: int, stdout) -> None:
    """Synthetic customers written by COPY in batches. The audit trigger is skipped for synthetic data only."""
    from django.db import transaction
    from psycopg.types.json import Jsonb

    from apps.core.bulk import copy_insert

    rng = random.Random(2026)  # noqa: S311 (demo data)
    agents = list(User.objects.filter(role__in=[Role.AGENT, Role.MANAGER], is_active=True).values_list("pk", flat=True))
    done = 0
    fields = ["customer_code", "first_name", "last_name", "email", "phone", "address", "kyc_status", "agent"]
    fields += ["date_of_birth", "communication_preferences"]  # products are rated (and some only sold) by age
    today = date.today()
    with pgtrigger.ignore("customers.Customer:insert_insert"):
        while done < count:
            size = min(BATCH * 5, count - done)
            rows = []
            for code in customer_codes_reserve(size):
                first, last, city = rng.choice(FIRST), rng.choice(LAST), rng.choice(CITIES)
                number = int(code[4:])
                rows.append(
                    (
                        code,
                        first,
                        last,
                        _ascii(f"{first.lower()}.{last.lower()}.{number}@example.net"),
                        demo_mobile_number(rng.randint(10_000_000, 99_999_999)),
                        Jsonb(
                            {"line1": f"Rua {rng.choice(LAST)} {rng.randint(1, 300)}", "city": city, "country": "PT"}
                        ),
                        rng.choice(KYC),
                        rng.choice(agents) if agents else None,
                        today - timedelta(days=rng.randint(19 * 365, 74 * 365)),
                        # About half the book agreed to email (recorded at onboarding): notices and reminders reach
                        # them; the rest are reached by their agent.
                        Jsonb({"channels": {"email": True}} if number % 2 else {}),
                    )
                )
            with transaction.atomic():
                copy_insert(Customer, fields, rows)
            done += size
            stdout.write(f"  customers: {done}/{count}")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE customers_customer")
