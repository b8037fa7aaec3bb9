"""Email in the unified inbox (seed 004 §3.4): received and sent mail becomes the last message of the contact's
conversation, and `GET /messages/{id}` lists a contact's — or, with `?type=lead`, a lead's — SMS, WhatsApp and
email in one list."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.accounts.roles import Role
from apps.messaging.models import Conversation, Email
from apps.messaging.services.email import email_reply, email_update
from apps.messaging.services.email_ingest import emails_ingest
from tests.factories.crm import ClientLeadFactory
from tests.factories.customers import CustomerFactory
from tests.factories.messaging import ConversationFactory, EmailAccountFactory, EmailFactory, MessageFactory

from .conftest import raw

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent_customer(auth_client):
    client, agent = auth_client(Role.AGENT)
    customer = CustomerFactory(agent=agent, email="ana.silva@customer.example", phone="+351912345678")
    return client, agent, customer


def test_received_email_puts_the_conversation_on_top_with_one_unread(agent_customer):
    client, agent, customer = agent_customer
    account = EmailAccountFactory()
    earlier = timezone.now() - timedelta(days=1)
    sms = ConversationFactory(customer=customer, last_message_at=earlier, last_channel="sms", unread_count=1)
    MessageFactory(conversation=sms, customer=customer, body="sms text", created_at=earlier)
    stranger = ConversationFactory(customer=None, address="+351919999999", last_message_at=earlier)
    MessageFactory(conversation=stranger, customer=None, created_at=earlier - timedelta(minutes=1))
    messages = [
        (1, raw(message_id="<a1@x>", sender="Ana <ana.silva@customer.example>", subject="My renewal", date="")),
        (2, raw(message_id="<a2@x>", sender="Ana <ana.silva@customer.example>", subject="And my claim", date="")),
        (3, raw(message_id="<u1@x>", sender="nobody@else.example", subject="Quote please", date="")),
        (
            4,
            raw(
                message_id="<b1@x>",
                sender="MAILER-DAEMON@mx.example",
                subject="Undelivered Mail Returned to Sender",
                extra="Auto-Submitted: auto-replied\r\n",
            ),
        ),
    ]

    emails_ingest(account=account, messages=messages)
    listed = client.get("/api/v1/messages").json()["data"]["conversations"]
    emails_only = client.get("/api/v1/messages", {"channel": "email"}).json()["data"]["conversations"]
    sms_only = client.get("/api/v1/messages", {"channel": "sms"}).json()["data"]["conversations"]

    mine = next(c for c in listed if c["id"] == sms.pk)
    assert (mine["last_channel"], mine["last_direction"], mine["unread_count"]) == ("email", "inbound", 3)
    assert mine["last_preview"] == "And my claim"
    unknown = next(c for c in listed if c["address"] == "nobody@else.example")
    assert (unknown["contact"], unknown["unread_count"], unknown["last_preview"]) == (None, 1, "Quote please")
    assert listed[-1]["id"] == stranger.pk  # the emails are newer than both SMS conversations
    assert not Conversation.objects.filter(address__icontains="mailer-daemon").exists()  # bounces stay out
    assert {c["id"] for c in emails_only} == {sms.pk, unknown["id"]}
    assert {c["id"] for c in sms_only} == {sms.pk, stranger.pk}


def test_contact_history_lists_sms_and_email_together_and_reading_it_clears_unread(agent_customer):
    client, agent, customer = agent_customer
    now = timezone.now()
    conversation = ConversationFactory(customer=customer, last_message_at=now, unread_count=2)
    MessageFactory(conversation=conversation, customer=customer, body="sms 1", created_at=now - timedelta(hours=3))
    inbound = EmailFactory(
        customer=customer,
        from_email=customer.email,
        subject="Email 2",
        body_text="about my policy",
        received_at=now - timedelta(hours=2),
    )
    MessageFactory(conversation=conversation, customer=customer, body="sms 3", created_at=now - timedelta(hours=1))
    EmailFactory(customer=customer, automated="bounce", subject="bounce", received_at=now)  # never listed
    EmailFactory(subject="someone else's", received_at=now)

    page = client.get(f"/api/v1/messages/{customer.pk}").json()["data"]
    oldest_first = client.get(f"/api/v1/messages/{customer.pk}", {"sort_order": "asc", "limit": 2}).json()["data"]

    assert [(m["type"], m["channel"], m["subject"] or m["body"]) for m in page["messages"]] == [
        ("message", "sms", "sms 3"),
        ("email", "email", "Email 2"),
        ("message", "sms", "sms 1"),
    ]
    email_row = page["messages"][1]
    assert email_row["id"] == inbound.pk
    assert email_row["provider_message_id"] == inbound.message_id
    assert (email_row["status"], email_row["conversation_id"], email_row["thread_id"]) == (
        "received",
        conversation.pk,
        inbound.thread_id,
    )
    assert page["pagination"]["total_records"] == 3
    assert [m["body"] for m in oldest_first["messages"]] == ["sms 1", "about my policy"]
    inbound.refresh_from_db()
    conversation.refresh_from_db()
    assert inbound.read_status is True
    assert conversation.unread_count == 0


def test_a_reply_becomes_the_last_message_and_reading_in_the_inbox_counts_down(agent_customer, make_user):
    client, agent, customer = agent_customer
    account = EmailAccountFactory(provider="sandbox")
    emails_ingest(account=account, messages=[(1, raw(message_id="<q@x>", sender=customer.email, subject="Q"))])
    email = Email.objects.get(message_id="<q@x>")
    conversation = Conversation.objects.get(customer=customer)
    assert conversation.unread_count == 1

    email_update(email=email, actor=agent, read_status=True)
    conversation.refresh_from_db()
    assert conversation.unread_count == 0
    email_update(email=email, actor=agent, read_status=False)
    email_reply(email=email, actor=agent, body="Here is the answer.")
    conversation.refresh_from_db()
    assert (conversation.last_channel, conversation.last_direction, conversation.last_preview) == (
        "email",
        "outbound",
        "Re: Q",
    )
    assert conversation.unread_count == 0  # answering it read it


def test_lead_history_by_its_addresses_and_only_for_those_who_see_the_lead(auth_client):
    client, agent = auth_client(Role.AGENT)
    other_client, _ = auth_client(Role.AGENT)
    lead = ClientLeadFactory(assigned_agent=agent, email="Prospect@Example.com", phone="+351934444555")
    unknown = ConversationFactory(customer=None, address="+351934444555", unread_count=1)
    MessageFactory(conversation=unknown, customer=None, from_address="+351934444555", body="hi, a quote?")
    EmailFactory(from_email="prospect@example.com", subject="Quote for my car")
    EmailFactory(from_email="someone@example.com", subject="not the lead")

    mine = client.get(f"/api/v1/messages/{lead.pk}", {"type": "lead"})
    not_mine = other_client.get(f"/api/v1/messages/{lead.pk}", {"type": "lead"})
    missing = client.get("/api/v1/messages/999999", {"type": "lead"})
    bad = client.get(f"/api/v1/messages/{lead.pk}", {"type": "ghost"})

    assert mine.status_code == 200, mine.content
    assert sorted(m["subject"] or m["body"] for m in mine.json()["data"]["messages"]) == [
        "Quote for my car",
        "hi, a quote?",
    ]
    assert not_mine.status_code == missing.status_code == 404
    assert bad.status_code == 400
    unknown.refresh_from_db()
    assert unknown.unread_count == 0


def test_a_converted_lead_shows_its_customers_history(auth_client):
    client, agent = auth_client(Role.MANAGER)
    customer = CustomerFactory(email="converted@example.com")
    lead = ClientLeadFactory(email="old@example.com", phone="", converted_customer=customer)
    EmailFactory(customer=customer, from_email="converted@example.com", subject="as a customer")
    EmailFactory(from_email="old@example.com", subject="as a lead")

    rows = client.get(f"/api/v1/messages/{lead.pk}", {"type": "lead"}).json()["data"]["messages"]

    assert sorted(m["subject"] for m in rows) == ["as a customer", "as a lead"]
