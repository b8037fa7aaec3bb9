"""The scheduled jobs at scale stay set-based: events of a bulk write reach their subscribers in one call each
(`handler.many`), the consent gate answers a batch as it answers one customer at a time, and the reminder job's
query count does not grow with the number of cases."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from apps.accounts.roles import Role
from apps.core import events
from apps.customers.contact import customer_contact_channel, customer_contact_channels
from apps.messaging.models import OutboundRefusal
from apps.policies.services import policy_create
from apps.renewals import services
from apps.renewals.models import CaseEvent
from tests.factories.customers import CustomerFactory
from tests.factories.messaging import ConsentRecordFactory, DncEntryFactory
from tests.factories.policies import ProductFactory, ProductLineFactory, RatingRuleFactory

pytestmark = pytest.mark.django_db


def test_a_bulk_writes_events_reach_a_batching_subscriber_once_and_the_others_per_event(
    monkeypatch, django_capture_on_commit_callbacks
):
    batched: list[list[dict]] = []
    single: list[dict] = []

    def batching(event):  # pragma: no cover - called through .many
        raise AssertionError("a bulk write's events go to .many")

    batching.many = batched.append
    monkeypatch.setitem(events._subscribers, "case:created", [batching, single.append])
    monkeypatch.setitem(events._subscribers, "*", [])

    with django_capture_on_commit_callbacks(execute=True):
        events.publish_many(
            ("case:created", {"case_id": pk, "case_number": f"REN-2026-{pk:06d}"}, []) for pk in (1, 2, 3)
        )

    assert [[e["data"]["case_id"] for e in batch] for batch in batched] == [[1, 2, 3]]
    assert [e["data"]["case_id"] for e in single] == [1, 2, 3]


def _people():
    return [
        CustomerFactory(email="email@example.org", communication_preferences={"channels": {"email": True}}),
        CustomerFactory(phone="+351912000101", communication_preferences={"channels": {"sms": True}}),
        CustomerFactory(email="none@example.org", communication_preferences={"channels": {"email": False}}),
        CustomerFactory(phone="+351912000102", communication_preferences={"channels": {"sms": True}}),  # DNC
        CustomerFactory(
            email="stop@example.org",
            phone="+351912000103",
            communication_preferences={"channels": {"sms": True, "email": True}, "preferred_channels": ["sms"]},
        ),
        CustomerFactory(
            email="quiet@example.org",
            communication_preferences={
                "channels": {"email": True},
                "quiet_hours": {"start": "00:00", "end": "23:59", "timezone": "UTC"},
            },
        ),
    ]


def test_the_batch_gate_answers_and_records_as_one_by_one():
    people = _people()
    DncEntryFactory(address="+351912000102")
    ConsentRecordFactory(customer=people[4], channel="sms", purpose="service", granted=False, source="keyword")

    def refusals():
        return sorted(OutboundRefusal.objects.values_list("address", "channel", "reason", "count", "customer_id"))

    with transaction.atomic():
        one_by_one = {c.pk: customer_contact_channel(c) for c in people}
        recorded_singly = refusals()
        transaction.set_rollback(True)
    assert OutboundRefusal.objects.count() == 0
    with CaptureQueriesContext(connection) as queries:
        batch = customer_contact_channels(people)

    assert batch == one_by_one
    assert refusals() == recorded_singly
    assert one_by_one[people[0].pk] == "email"
    assert one_by_one[people[3].pk] is None
    assert len(queries) <= 12  # per channel and round, not per customer


@pytest.fixture
def renewing(make_user, django_capture_on_commit_callbacks):
    product = ProductFactory(code="home", line=ProductLineFactory(code="home"), base_premium=Decimal("300.00"))
    RatingRuleFactory(product=product, factor="sum_insured", multiplier=Decimal("1.0"))
    agent = make_user(Role.AGENT)

    def make(count):
        for i in range(count):
            customer = CustomerFactory(
                agent=agent,
                email=f"renewing{i}@example.org",
                phone=f"+3519120002{i:02d}",
                communication_preferences={"channels": {"email": i % 2 == 0, "sms": i % 3 == 0}},
            )
            with django_capture_on_commit_callbacks(execute=True):
                policy_create(
                    actor=agent,
                    customer=customer,
                    product=product,
                    start_date=date.today() + timedelta(days=30) - timedelta(days=364),
                    sum_insured=Decimal("100000"),
                    activate=True,
                )
        services.renewal_cases_open_due()

    return make


def test_the_reminder_job_reads_and_writes_in_bulk(renewing, django_capture_on_commit_callbacks):
    renewing(3)
    with transaction.atomic(), CaptureQueriesContext(connection) as few:
        sent_few = services.renewal_reminders_send()
        transaction.set_rollback(True)
    renewing(9)  # 12 cases due
    with django_capture_on_commit_callbacks(execute=True), CaptureQueriesContext(connection) as many:
        sent = services.renewal_reminders_send()

    assert (sent_few, sent) == (2, 8)  # email or SMS consent: 0, 2, 3, 4, 6, 8, 9, 10 of 0..11
    assert len(many) == len(few)
    assert CaseEvent.objects.filter(key="reminder:30").count() == 8
    assert services.renewal_reminders_send() == 0  # once each
