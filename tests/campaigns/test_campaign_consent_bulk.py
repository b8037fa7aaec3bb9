"""The set-based consent gate (`messaging.services.consent_bulk.outbound_check_many`) answers exactly what the
one-by-one gate (`outbound_check`) answers, for every rule, in one query for the whole batch."""

import itertools
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.messaging.models import Message, OutboundRefusal
from apps.messaging.services.consent import outbound_check
from apps.messaging.services.consent_bulk import outbound_check_many
from tests.factories.customers import CustomerFactory
from tests.factories.messaging import ConsentRecordFactory, DncEntryFactory, MessageFactory, WhatsAppTemplateFactory

from .conftest import NOON

pytestmark = pytest.mark.django_db

SCENARIOS = [
    "nothing",
    "chose_channel",
    "grant_by_address",
    "grant_by_customer",
    "grant_then_withdrawal",
    "withdrawal_then_grant",
    "dnc_all",
    "dnc_other_channel",
    "dnc_expired",
    "wrote_30_min_ago",
    "wrote_10_hours_ago",
    "wrote_2_days_ago",
    "own_quiet_hours",
    "invalid_address",
]


def _build(scenario: str, channel: str, purpose: str):
    prefs = {"channels": {channel: scenario == "chose_channel"}}
    if scenario == "own_quiet_hours":
        prefs["quiet_hours"] = {"start": "11:00", "end": "13:00", "timezone": "UTC"}
    customer = CustomerFactory(communication_preferences=prefs)
    address = customer.email if channel == "email" else customer.phone
    grant = {"channel": channel, "purpose": purpose}
    if scenario in ("grant_by_address", "own_quiet_hours", "wrote_2_days_ago", "dnc_other_channel", "dnc_expired"):
        ConsentRecordFactory(
            customer=None, address=address, granted=True, recorded_at=NOON - timedelta(days=3), **grant
        )
    if scenario == "grant_by_customer":
        ConsentRecordFactory(
            customer=customer,
            address="other@example.org" if channel == "email" else "+351919999999",
            granted=True,
            recorded_at=NOON - timedelta(days=3),
            **grant,
        )
    if scenario in ("grant_then_withdrawal", "withdrawal_then_grant"):
        first, second = (True, False) if scenario == "grant_then_withdrawal" else (False, True)
        ConsentRecordFactory(
            customer=customer, address=address, granted=first, recorded_at=NOON - timedelta(days=5), **grant
        )
        ConsentRecordFactory(
            customer=customer, address=address, granted=second, recorded_at=NOON - timedelta(days=1), **grant
        )
    if scenario == "dnc_all":
        DncEntryFactory(address=address, channel="")
    if scenario == "dnc_other_channel":
        DncEntryFactory(address=address, channel="sms" if channel != "sms" else "whatsapp")
    if scenario == "dnc_expired":
        DncEntryFactory(address=address, channel=channel, expires_at=NOON - timedelta(days=1))
    ago = {
        "wrote_30_min_ago": timedelta(minutes=30),
        "wrote_10_hours_ago": timedelta(hours=10),
        "wrote_2_days_ago": timedelta(days=2),
    }.get(scenario)
    if ago is not None and channel != "email":
        MessageFactory(
            customer=customer,
            channel=channel,
            direction=Message.Direction.INBOUND,
            from_address=address,
            to_address="+351210000000",
            status="received",
            created_at=NOON - ago,
        )
    if scenario == "invalid_address":
        address = "not-an-address"
    return customer, address


@pytest.mark.parametrize("channel", ["email", "sms", "whatsapp"])
def test_bulk_and_one_by_one_gates_agree_on_every_rule(channel, settings):
    settings.MESSAGING_DEFAULT_QUIET_HOURS = {"start": "21:00", "end": "09:00", "timezone": "UTC"}
    approved = WhatsAppTemplateFactory(status="approved")
    pending = WhatsAppTemplateFactory(status="pending")
    templates = [None, approved, pending] if channel == "whatsapp" else [None]
    answers, reasons = set(), set()
    for purpose, template in itertools.product(["service", "marketing"], templates):
        cases = [_build(scenario, channel, purpose) for scenario in SCENARIOS]
        expected = [
            outbound_check(
                channel=channel,
                address=address,
                purpose=purpose,
                source="test",
                customer=customer,
                template=template,
                now=NOON,
                record=False,
            )
            for customer, address in cases
        ]
        with CaptureQueriesContext(connection) as queries:
            got = outbound_check_many(
                channel=channel,
                purpose=purpose,
                source="test",
                template=template,
                now=NOON,
                recipients=[(c.pk, a) for c, a in cases],
                record=False,
            )

        assert len(queries) == 1
        summary = [(s, e.allowed, e.reason, e.detail, e.address) for s, e in zip(SCENARIOS, expected, strict=True)]
        assert [(s, g.allowed, g.reason, g.detail, g.address) for s, g in zip(SCENARIOS, got, strict=True)] == summary
        answers |= {e.allowed for e in expected}
        reasons |= {e.reason for e in expected}

    assert answers == {True, False}  # the scenarios exercise both answers and every rule on the channel
    assert reasons >= {"", "dnc", "opted_out", "no_consent", "quiet_hours", "invalid_address"}
    if channel == "whatsapp":
        assert "whatsapp_window" in reasons


def test_bulk_refusals_are_counted_like_one_by_one(settings):
    settings.MESSAGING_DEFAULT_QUIET_HOURS = {}
    nobody = CustomerFactory()
    outbound_check_many(
        channel="email",
        purpose="marketing",
        source="campaign 1",
        now=NOON,
        recipients=[(nobody.pk, nobody.email), (nobody.pk, nobody.email)],
    )

    row = OutboundRefusal.objects.get(address=nobody.email, source="campaign 1")
    assert (row.reason, row.count, row.customer_id) == ("no_consent", 2, nobody.pk)
