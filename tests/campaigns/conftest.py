"""Campaign test helpers: a book of customers who consented to marketing email, the sandbox outbox, a clock
outside quiet hours."""

from datetime import UTC, datetime

import pytest
from django.core import mail

from apps.accounts.roles import Role
from apps.messaging.providers import sandbox
from tests.factories.customers import CustomerFactory
from tests.factories.messaging import ConsentRecordFactory

NOON = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)  # a Tuesday, outside every quiet hour


@pytest.fixture(autouse=True)
def sandbox_outbox():
    sandbox.OUTBOX.clear()
    yield sandbox.OUTBOX
    sandbox.OUTBOX.clear()


@pytest.fixture
def manager(make_user):
    return make_user(Role.MANAGER)


def consenting(n: int, *, channels=("email",), agent=None, **kwargs) -> list:
    """n customers with a marketing grant on each of `channels`."""
    customers = CustomerFactory.create_batch(n, agent=agent, **kwargs)
    for customer in customers:
        for channel in channels:
            ConsentRecordFactory(
                customer=customer,
                channel=channel,
                address=customer.email if channel == "email" else customer.phone,
                purpose="marketing",
                granted=True,
            )
    return customers


@pytest.fixture
def outbox():
    mail.outbox = []
    return mail.outbox
