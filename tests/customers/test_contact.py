"""Reaching a customer: consented channels only, their order, an address on file, a sender, quiet hours."""

from datetime import UTC, datetime

import pytest

from apps.customers import contact
from apps.customers.contact import Message, customer_contact_channel, customer_in_quiet_hours, customer_message_send
from tests.factories.customers import CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def sms_outbox(monkeypatch):
    sent = []
    monkeypatch.setitem(contact._senders, "sms", (lambda c: c.phone, lambda address, m: sent.append((address, m))))
    monkeypatch.delitem(contact._senders, "whatsapp", raising=False)  # a channel without a sender
    return sent


def prefs(**kwargs):
    return {"channels": {"email": False, "sms": False, "whatsapp": False}, **kwargs}


def test_channel_follows_consent_order_address_and_registered_senders(sms_outbox):
    both = CustomerFactory(email="a@example.org", phone="+351912000001")
    both.communication_preferences = prefs(channels={"email": True, "sms": True})
    assert customer_contact_channel(both) == "email"  # default order: email first
    both.communication_preferences["preferred_channels"] = ["sms", "email"]
    assert customer_contact_channel(both) == "sms"
    both.communication_preferences["preferred_channels"] = ["whatsapp"]  # no sender for it: default order
    assert customer_contact_channel(both) == "email"

    no_email = CustomerFactory(email="", phone="+351912000002")
    no_email.communication_preferences = prefs(channels={"email": True, "sms": True})
    assert customer_contact_channel(no_email) == "sms"

    silent = CustomerFactory(email="s@example.org")
    silent.communication_preferences = {}  # absent consent means no
    assert customer_contact_channel(silent) is None


def test_quiet_hours_across_midnight_in_the_customers_timezone():
    customer = CustomerFactory()
    customer.communication_preferences = prefs(
        quiet_hours={"start": "21:00", "end": "08:00", "timezone": "Europe/Lisbon"}
    )
    winter = datetime(2026, 1, 15, tzinfo=UTC)
    assert customer_in_quiet_hours(customer, now=winter.replace(hour=22))
    assert customer_in_quiet_hours(customer, now=winter.replace(hour=7, minute=59))
    assert not customer_in_quiet_hours(customer, now=winter.replace(hour=8))
    summer = datetime(2026, 7, 15, 7, 30, tzinfo=UTC)  # 08:30 in Lisbon (UTC+1)
    assert not customer_in_quiet_hours(customer, now=summer)


def test_send_queues_on_the_chosen_channel_after_commit(sms_outbox, django_capture_on_commit_callbacks, mailoutbox):
    customer = CustomerFactory(email="a@example.org", phone="+351912000001")
    customer.communication_preferences = prefs(channels={"sms": True, "email": True}, preferred_channels=["sms"])
    message = Message(subject="Renewal", body="Your policy renews soon")

    with django_capture_on_commit_callbacks(execute=True):
        channel = customer_message_send(customer=customer, message=message)
    customer.communication_preferences["preferred_channels"] = ["email"]
    with django_capture_on_commit_callbacks(execute=True):
        customer_message_send(customer=customer, message=message)
    customer.communication_preferences["quiet_hours"] = {"start": "00:00", "end": "23:59", "timezone": "UTC"}
    quiet = customer_message_send(customer=customer, message=message, now=datetime(2026, 1, 1, 12, tzinfo=UTC))

    assert channel == "sms"
    assert sms_outbox == [("+351912000001", message)]
    assert [m.to for m in mailoutbox] == [["a@example.org"]]
    assert quiet is None
