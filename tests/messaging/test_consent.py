"""The consent gate: DNC, opt-outs, consent per channel and purpose, quiet hours, the WhatsApp window; every
refusal recorded with its reason."""

from datetime import UTC, datetime, timedelta

import pytest

from apps.core.exceptions import Invalid
from apps.messaging.models import ConsentRecord, OutboundRefusal
from apps.messaging.services.addresses import phone_normalise
from apps.messaging.services.consent import inbound_keyword_apply, keyword_of, outbound_check
from tests.factories.customers import CustomerFactory
from tests.factories.messaging import (
    ConsentRecordFactory,
    DncEntryFactory,
    MessageFactory,
    WhatsAppTemplateFactory,
)

pytestmark = pytest.mark.django_db
NOON = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def sms_customer(**prefs):
    return CustomerFactory(phone="+351912345678", communication_preferences={"channels": {"sms": True}, **prefs})


def check(address="+351912345678", channel="sms", purpose="service", **kwargs):
    return outbound_check(channel=channel, address=address, purpose=purpose, source="test", now=NOON, **kwargs)


def test_phone_numbers_are_normalised_to_e164():
    assert phone_normalise("912 345 678") == "+351912345678"  # national, default region PT
    assert phone_normalise("00351 912345678") == "+351912345678"
    assert phone_normalise("whatsapp:+351912345678") == "+351912345678"
    assert phone_normalise("351912345678") == "+351912345678"  # WhatsApp Cloud's form
    assert phone_normalise("+44 20 7946 0958") == "+442079460958"
    for bad in ["12", "+351 912\r\n345678", "call me", ""]:
        with pytest.raises(Invalid):
            phone_normalise(bad)


def test_a_service_message_goes_on_the_customers_chosen_channel():
    customer = sms_customer()

    decision = check(address="912 345 678")

    assert decision.allowed
    assert decision.address == "+351912345678"
    assert decision.customer_id == customer.pk
    assert OutboundRefusal.objects.count() == 0


def test_dnc_wins_over_consent_and_the_refusal_is_recorded_and_counted():
    customer = sms_customer()
    ConsentRecordFactory(customer=customer, purpose="service", granted=True)
    entry = DncEntryFactory(address="+351912345678", reason="Asked by phone")

    first = check()
    second = check()

    assert (first.allowed, first.reason) == (False, "dnc")
    assert f"DNC entry #{entry.pk}" in first.detail
    assert not second.allowed
    refusal = OutboundRefusal.objects.get()
    assert (refusal.reason, refusal.count, refusal.customer_id, refusal.source) == ("dnc", 2, customer.pk, "test")


def test_a_dnc_entry_for_one_channel_leaves_the_others():
    sms_customer()
    CustomerFactory(phone="+351912000999")
    DncEntryFactory(address="+351912345678", channel="whatsapp")

    assert check().allowed
    assert check(channel="whatsapp").reason == "dnc"


def test_an_expired_dnc_entry_no_longer_refuses():
    sms_customer()
    DncEntryFactory(address="+351912345678", expires_at=NOON - timedelta(days=1))

    assert check().allowed


def test_stop_withdraws_every_purpose_and_start_restores_service_only():
    customer = sms_customer()
    ConsentRecordFactory(customer=customer, purpose="marketing", granted=True, recorded_at=NOON - timedelta(days=9))

    assert inbound_keyword_apply(channel="sms", address="+351912345678", text=" stop! ", now=NOON - timedelta(days=2))
    stopped = (check(), check(purpose="marketing"))
    inbound_keyword_apply(channel="sms", address="+351912345678", text="START", now=NOON - timedelta(days=1))
    started = (check(), check(purpose="marketing"))

    assert [d.reason for d in stopped] == ["opted_out", "opted_out"]
    assert started[0].allowed
    assert started[1].reason == "opted_out"  # marketing needs a fresh opt-in
    assert ConsentRecord.objects.filter(source="keyword").count() == 3


def test_local_stop_words_and_whole_message_only():
    assert keyword_of("Parar") == "stop"
    assert keyword_of("BAJA.") == "stop"
    assert keyword_of("começar") == "start"
    assert keyword_of("please stop calling me at work") is None


def test_marketing_needs_an_explicit_grant_in_the_ledger():
    customer = sms_customer()

    before = check(purpose="marketing")
    ConsentRecordFactory(customer=customer, purpose="marketing", granted=True, recorded_at=NOON - timedelta(hours=3))
    after = check(purpose="marketing")

    assert before.reason == "no_consent"
    assert after.allowed


def test_no_consent_for_an_unknown_number_unless_it_wrote_to_us():
    refused = check(address="+351919999999")
    MessageFactory(
        conversation__customer=None,
        conversation__address="+351919999999",
        customer=None,
        from_address="+351919999999",
        created_at=NOON - timedelta(hours=2),
    )
    replied = check(address="+351919999999")

    assert refused.reason == "no_consent"
    assert replied.allowed


def test_a_withdrawal_in_the_ledger_beats_the_preference_flag():
    customer = sms_customer()
    ConsentRecordFactory(customer=customer, purpose="service", granted=False)

    assert check().reason == "opted_out"


def test_quiet_hours_hold_a_message_unless_the_person_just_wrote():
    customer = sms_customer(quiet_hours={"start": "11:00", "end": "13:00", "timezone": "UTC"})

    held = check()
    MessageFactory(
        conversation__customer=customer, from_address="+351912345678", created_at=NOON - timedelta(minutes=5)
    )
    reply = check()

    assert held.reason == "quiet_hours"
    assert reply.allowed


def test_marketing_keeps_the_default_quiet_hours(settings):
    customer = sms_customer()
    ConsentRecordFactory(customer=customer, purpose="marketing", granted=True, recorded_at=NOON - timedelta(days=1))
    settings.MESSAGING_DEFAULT_QUIET_HOURS = {"start": "11:00", "end": "13:00", "timezone": "UTC"}

    assert check(purpose="marketing").reason == "quiet_hours"
    assert check().allowed  # a service message has only the person's own quiet hours


def test_whatsapp_outside_the_window_needs_an_approved_template():
    customer = CustomerFactory(phone="+351912345678", communication_preferences={"channels": {"whatsapp": True}})
    approved = WhatsAppTemplateFactory(status="approved")
    pending = WhatsAppTemplateFactory(status="pending")

    free = check(channel="whatsapp")
    with_pending = check(channel="whatsapp", template=pending)
    with_approved = check(channel="whatsapp", template=approved)
    MessageFactory(
        conversation__customer=customer,
        channel="whatsapp",
        from_address="+351912345678",
        created_at=NOON - timedelta(hours=23),
    )
    in_window = check(channel="whatsapp")

    assert free.reason == "whatsapp_window"
    assert with_pending.reason == "whatsapp_window"
    assert "pending" in with_pending.detail
    assert with_approved.allowed
    assert in_window.allowed


def test_an_invalid_address_is_refused_and_recorded():
    decision = check(address="+351 91\r\n2")

    assert decision.reason == "invalid_address"
    assert OutboundRefusal.objects.get().reason == "invalid_address"


def test_asking_without_recording_leaves_no_trace():
    decision = check(address="+351919999999", record=False)

    assert decision.reason == "no_consent"
    assert OutboundRefusal.objects.count() == 0
