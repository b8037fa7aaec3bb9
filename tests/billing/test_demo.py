"""Demo data: bulk policies come from policies, their premium bookings from billing (the ledger is billing's)."""

import io

import pytest
from django.db.models import Sum

from apps.billing.demo import premiums_bulk_book
from apps.billing.models import Transaction, TransactionType
from apps.policies.demo import policies_bulk_generate
from apps.policies.models import Policy
from tests.factories.customers import CustomerFactory
from tests.factories.policies import ProductFactory

pytestmark = pytest.mark.django_db


def test_bulk_policies_are_booked_by_billing_once_and_balanced():
    ProductFactory(code="home-essentials")
    CustomerFactory.create_batch(3)
    out = io.StringIO()

    policies_bulk_generate(count=12, stdout=out)
    unbooked = Transaction.objects.count()
    booked = premiums_bulk_book(stdout=out)
    again = premiums_bulk_book(stdout=out)

    policies = Policy.objects.filter(status="active")
    assert policies.count() == 12
    assert unbooked == 0
    assert (booked, again) == (12, 0)
    due = Transaction.objects.filter(type=TransactionType.PREMIUM_DUE)
    assert due.values("policy").distinct().count() == 12
    assert (
        due.filter(amount__gt=0).aggregate(total=Sum("amount"))["total"]
        == policies.aggregate(total=Sum("premium_amount"))["total"]
    )
    assert Transaction.objects.aggregate(total=Sum("amount"))["total"] == 0
