"""Renewal and payment reminders reach a customer on SMS or WhatsApp when that is their consented channel, through
the consent gate (customers.contact → the `customers.outbound_gate` hook and the registered senders)."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core import mail

from apps.accounts.roles import Role
from apps.customers.contact import Message as ContactMessage
from apps.customers.contact import customer_contact_channel, customer_message_send
from apps.messaging.models import Message, OutboundRefusal
from apps.policies.services import policy_create
from apps.renewals import services as renewals
from tests.factories.customers import CustomerFactory
from tests.factories.messaging import ConsentRecordFactory, DncEntryFactory, WhatsAppTemplateFactory
from tests.factories.policies import ProductFactory, ProductLineFactory, RatingRuleFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def renewing(make_user, django_capture_on_commit_callbacks):
    product = ProductFactory(code="home", line=ProductLineFactory(code="home"), base_premium=Decimal("300.00"))
    RatingRuleFactory(product=product, factor="sum_insured", multiplier=Decimal("1.0"))

    def make(customer, days=30):
        agent = make_user(Role.AGENT)
        customer.agent = agent
        customer.save()
        with django_capture_on_commit_callbacks(execute=True):
            policy = policy_create(
                actor=agent,
                customer=customer,
                product=product,
                start_date=date.today() + timedelta(days=days) - timedelta(days=364),
                sum_insured=Decimal("100000"),
                activate=True,
            )
        renewals.renewal_cases_open_due()
        return policy

    return make


def test_a_customer_with_sms_only_consent_gets_the_renewal_reminder_by_sms(
    renewing, sandbox_outbox, django_capture_on_commit_callbacks
):
    customer = CustomerFactory(
        email="sms-only@example.org", phone="+351912000111", communication_preferences={"channels": {"sms": True}}
    )
    policy = renewing(customer)

    with django_capture_on_commit_callbacks(execute=True):
        sent = renewals.renewal_reminders_send()

    assert sent == 1
    assert mail.outbox == []
    assert [(m.channel, m.to) for m in sandbox_outbox] == [("sms", "+351912000111")]
    assert policy.policy_number in sandbox_outbox[0].body
    message = Message.objects.get()
    assert (message.direction, message.status, message.customer_id) == ("outbound", "delivered", customer.pk)
    assert message.source == "customer contact"


def test_a_dnc_number_gets_no_reminder_and_the_refusal_is_recorded(
    renewing, sandbox_outbox, django_capture_on_commit_callbacks
):
    customer = CustomerFactory(phone="+351912000222", communication_preferences={"channels": {"sms": True}})
    renewing(customer)
    DncEntryFactory(address="+351912000222", reason="Complaint")

    with django_capture_on_commit_callbacks(execute=True):
        sent = renewals.renewal_reminders_send()

    assert sent == 0
    assert sandbox_outbox == []
    assert Message.objects.count() == 0
    refusal = OutboundRefusal.objects.get()
    assert (refusal.reason, refusal.channel, refusal.customer_id) == ("dnc", "sms", customer.pk)


def test_a_dnc_email_address_is_refused_on_the_email_path_too(mailoutbox, django_capture_on_commit_callbacks):
    customer = CustomerFactory(email="dnc@example.org", communication_preferences={"channels": {"email": True}})
    DncEntryFactory(address="dnc@example.org")

    with django_capture_on_commit_callbacks(execute=True):
        channel = customer_message_send(customer=customer, message=ContactMessage(subject="Hi", body="Renewal"))

    assert channel is None
    assert mailoutbox == []
    assert OutboundRefusal.objects.get().reason == "dnc"


def test_whatsapp_only_consent_gets_the_notice_template_outside_the_window(
    sandbox_outbox, django_capture_on_commit_callbacks
):
    WhatsAppTemplateFactory(name="service_notice", template_data={"body": "Notice: {{1}}. Reply to talk to us."})
    customer = CustomerFactory(phone="+351912000333", communication_preferences={"channels": {"whatsapp": True}})

    with django_capture_on_commit_callbacks(execute=True):
        channel = customer_message_send(
            customer=customer, message=ContactMessage(subject="Your policy renews in 30 days", body="Long text")
        )

    assert channel == "whatsapp"
    assert [(m.channel, m.template_name, m.variables) for m in sandbox_outbox] == [
        ("whatsapp", "service_notice", ("Your policy renews in 30 days",))
    ]
    assert Message.objects.get().body == "Notice: Your policy renews in 30 days. Reply to talk to us."


def test_without_an_approved_template_whatsapp_is_not_chosen_outside_the_window():
    WhatsAppTemplateFactory(name="service_notice", status="pending")
    customer = CustomerFactory(phone="+351912000444", communication_preferences={"channels": {"whatsapp": True}})

    assert customer_contact_channel(customer) is None
    assert OutboundRefusal.objects.get().reason == "whatsapp_window"


def test_stop_on_sms_moves_the_reminder_to_the_next_consented_channel():
    customer = CustomerFactory(
        email="both@example.org",
        phone="+351912000555",
        communication_preferences={"channels": {"sms": True, "email": True}, "preferred_channels": ["sms", "email"]},
    )
    ConsentRecordFactory(customer=customer, channel="sms", purpose="service", granted=False, source="keyword")

    assert customer_contact_channel(customer) == "email"
