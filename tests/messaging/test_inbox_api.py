"""The unified inbox (seed 004 §3.4) and the DNC list (§3.8) over the API."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.accounts.roles import Role
from apps.messaging.models import DncEntry, Message, OutboundRefusal
from tests.factories.customers import CustomerFactory
from tests.factories.messaging import (
    ConversationFactory,
    DncEntryFactory,
    MessageFactory,
    WhatsAppTemplateFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent_with_customer(auth_client):
    client, agent = auth_client(Role.AGENT)
    customer = CustomerFactory(
        agent=agent, phone="+351912345678", communication_preferences={"channels": {"sms": True}}
    )
    return client, agent, customer


def test_send_goes_through_the_gate_to_the_sandbox_and_is_delivered(
    agent_with_customer, sandbox_outbox, django_capture_on_commit_callbacks
):
    client, agent, customer = agent_with_customer

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/api/v1/messages/send", {"channel": "sms", "to": "912 345 678", "body": "Olá Ana"}, format="json"
        )

    assert response.status_code == 201, response.content
    data = response.json()["data"]
    assert (data["to_address"], data["contact_id"], data["status"], data["sent_by_id"]) == (
        "+351912345678",
        customer.pk,
        "queued",
        agent.pk,
    )
    assert [(m.to, m.body) for m in sandbox_outbox] == [("+351912345678", "Olá Ana")]
    message = Message.objects.get()
    assert message.status == "delivered"
    assert message.provider_message_id.startswith("SBX")


def test_send_by_contact_id(agent_with_customer, sandbox_outbox, django_capture_on_commit_callbacks):
    client, _, customer = agent_with_customer

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/api/v1/messages/send", {"channel": "sms", "contact_id": customer.pk, "body": "Hi"}, format="json"
        )

    assert response.status_code == 201
    assert sandbox_outbox[0].to == "+351912345678"


def test_a_dnc_number_is_refused_with_its_reason_and_nothing_is_stored(agent_with_customer, sandbox_outbox):
    client, _, customer = agent_with_customer
    DncEntryFactory(address="+351912345678")

    response = client.post(
        "/api/v1/messages/send", {"channel": "sms", "to": "+351912345678", "body": "Hi"}, format="json"
    )

    assert response.status_code == 422
    error = response.json()["error"]
    assert (error["code"], error["details"]["reason"]) == ("message_refused", "dnc")
    assert Message.objects.count() == 0
    assert sandbox_outbox == []
    assert OutboundRefusal.objects.get().source == "agent"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"channel": "sms", "to": "+351912345678\r\nBcc: x", "body": "Hi"}, "address"),
        ({"channel": "sms", "to": "+351912345678", "body": "x" * 1000}, "body"),
        ({"channel": "sms", "to": "+351912345678", "body": "ok\x07"}, "body"),
        ({"channel": "sms", "to": "+351912345678"}, "body"),
        ({"channel": "fax", "to": "+351912345678", "body": "Hi"}, "channel"),
        ({"channel": "sms", "to": "+351912345678", "contact_id": 1, "body": "Hi"}, "to"),
    ],
)
def test_bad_input_is_a_clear_400_and_nothing_is_sent(agent_with_customer, sandbox_outbox, payload, field):
    client, _, _ = agent_with_customer

    response = client.post("/api/v1/messages/send", payload, format="json")

    assert response.status_code == 400, response.content
    assert field in response.json()["error"]["details"]
    assert Message.objects.count() == 0
    assert sandbox_outbox == []


def test_an_oversized_sms_names_its_segments(agent_with_customer):
    client, _, _ = agent_with_customer

    response = client.post(
        "/api/v1/messages/send", {"channel": "sms", "to": "+351912345678", "body": "ç" * 500}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "body_too_long"
    assert "ucs2" in response.json()["error"]["details"]["body"][0]


def test_another_agents_customer_is_not_found(auth_client):
    client, _ = auth_client(Role.AGENT)
    theirs = CustomerFactory(phone="+351912000777", communication_preferences={"channels": {"sms": True}})

    by_number = client.post(
        "/api/v1/messages/send", {"channel": "sms", "to": theirs.phone, "body": "Hi"}, format="json"
    )
    by_id = client.post(
        "/api/v1/messages/send", {"channel": "sms", "contact_id": theirs.pk, "body": "Hi"}, format="json"
    )
    history = client.get(f"/api/v1/messages/{theirs.pk}")

    assert (by_number.status_code, by_id.status_code, history.status_code) == (404, 404, 404)
    assert Message.objects.count() == 0


def test_whatsapp_template_outside_the_window(agent_with_customer, sandbox_outbox, django_capture_on_commit_callbacks):
    client, _, customer = agent_with_customer
    customer.communication_preferences = {"channels": {"whatsapp": True}}
    customer.save()
    pending = WhatsAppTemplateFactory(status="pending")
    approved = WhatsAppTemplateFactory(status="approved", template_data={"body": "Olá {{1}}, renova em {{2}} dias."})

    free = client.post(
        "/api/v1/messages/send", {"channel": "whatsapp", "to": customer.phone, "body": "Hi"}, format="json"
    )
    not_approved = client.post(
        "/api/v1/messages/send",
        {"channel": "whatsapp", "to": customer.phone, "template_id": pending.pk, "variables": ["Ana"]},
        format="json",
    )
    wrong_count = client.post(
        "/api/v1/messages/send",
        {"channel": "whatsapp", "to": customer.phone, "template_id": approved.pk, "variables": ["Ana"]},
        format="json",
    )
    with django_capture_on_commit_callbacks(execute=True):
        sent = client.post(
            "/api/v1/messages/send",
            {"channel": "whatsapp", "to": customer.phone, "template_id": approved.pk, "variables": ["Ana", "30"]},
            format="json",
        )

    assert free.json()["error"]["details"]["reason"] == "whatsapp_window"
    assert (not_approved.status_code, not_approved.json()["error"]["details"]["reason"]) == (422, "whatsapp_window")
    assert wrong_count.status_code == 400
    assert sent.status_code == 201, sent.content
    assert sent.json()["data"]["body"] == "Olá Ana, renova em 30 dias."
    assert sandbox_outbox[0].template_name == approved.name


def test_conversations_list_and_contact_history(agent_with_customer, auth_client):
    client, agent, customer = agent_with_customer
    older = timezone.now() - timedelta(hours=2)
    conversation = ConversationFactory(customer=customer, unread_count=1, last_message_at=timezone.now())
    MessageFactory(conversation=conversation, body="first", created_at=older)
    MessageFactory(conversation=conversation, body="second")
    unknown = ConversationFactory(customer=None, address="+351919999999", last_message_at=older)
    MessageFactory(conversation=unknown, customer=None, from_address="+351919999999")
    ConversationFactory(customer=CustomerFactory())  # another agent's customer

    listed = client.get("/api/v1/messages").json()["data"]
    history = client.get(f"/api/v1/messages/{customer.pk}").json()["data"]

    assert [c["id"] for c in listed["conversations"]] == [conversation.pk, unknown.pk]
    assert listed["conversations"][0]["contact"]["id"] == customer.pk
    assert listed["conversations"][1]["contact"] is None
    assert [m["body"] for m in history["messages"]] == ["second", "first"]
    conversation.refresh_from_db()
    assert conversation.unread_count == 0
    manager_client, _ = auth_client(Role.MANAGER)
    assert manager_client.get("/api/v1/messages").json()["data"]["pagination"]["total_records"] == 3


def test_dnc_list_crud(auth_client):
    agent_client, _ = auth_client(Role.AGENT)
    manager_client, _ = auth_client(Role.MANAGER)
    customer = CustomerFactory(phone="+351912000888")

    created = agent_client.post("/api/v1/dnc-list", {"address": "912 000 888", "reason": "Asked"}, format="json")
    duplicate = agent_client.post("/api/v1/dnc-list", {"address": "+351912000888"}, format="json")
    invalid = agent_client.post("/api/v1/dnc-list", {"address": "nonsense"}, format="json")
    mismatch = agent_client.post("/api/v1/dnc-list", {"address": "a@b.example", "channel": "sms"}, format="json")
    entry_id = created.json()["data"]["id"]
    listed = agent_client.get("/api/v1/dnc-list").json()["data"]
    agent_delete = agent_client.delete(f"/api/v1/dnc-list/{entry_id}")
    patched = manager_client.patch(f"/api/v1/dnc-list/{entry_id}", {"channel": "whatsapp"}, format="json")
    deleted = manager_client.delete(f"/api/v1/dnc-list/{entry_id}")

    assert created.status_code == 201
    assert (created.json()["data"]["address"], created.json()["data"]["contact_id"]) == ("+351912000888", customer.pk)
    assert (duplicate.status_code, duplicate.json()["error"]["details"]["id"]) == (409, entry_id)
    assert invalid.status_code == mismatch.status_code == 400
    assert [e["id"] for e in listed["dnc_list"]] == [entry_id]
    assert agent_delete.status_code == 403
    assert patched.json()["data"]["channel"] == "whatsapp"
    assert deleted.status_code == 204
    assert DncEntry.objects.count() == 0


def test_conversation_list_query_count_is_constant(auth_client, django_assert_max_num_queries):
    client, _ = auth_client(Role.MANAGER)
    ConversationFactory()
    with django_assert_max_num_queries(6):
        one = client.get("/api/v1/messages")
    ConversationFactory.create_batch(55)
    with django_assert_max_num_queries(6):
        many = client.get("/api/v1/messages", {"limit": 50})

    assert len(one.json()["data"]["conversations"]) == 1
    assert len(many.json()["data"]["conversations"]) == 50
