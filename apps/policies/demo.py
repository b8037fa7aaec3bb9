"""Demo policies for the demo customer (a motor and a home policy, active)."""

from datetime import date, timedelta
from decimal import Decimal

from apps.accounts.models import User
from apps.catalog.models import Product
from apps.customers.models import Customer

from .models import Policy
from .services import policy_create


def seed(*, stdout, options=None) -> None:
    customer = Customer.objects.filter(user__email="customer@example.com").first()
    agent = User.objects.filter(email="agent@example.com").first()
    if customer is None or agent is None or Policy.objects.filter(customer=customer).exists():
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
