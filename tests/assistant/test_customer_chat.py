"""The customer chat: answers from the customer's own policies and the knowledge they may read, a first notice of
loss gathered step by step into a claim the customer confirms, a hand-over to a person."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.assistant.models import RescindedResponse, ToolCallRecord
from apps.claims.models import Claim
from apps.support.models import Ticket
from tests.conftest import client_for
from tests.factories.support import KnowledgeResourceFactory

pytestmark = pytest.mark.django_db


def chat(client, message, conversation_id=None):
    body = {"message": message}
    if conversation_id:
        body["conversation_id"] = conversation_id
    response = client.post("/api/v1/assistant/chat", body, format="json")
    assert response.status_code == 200, response.content
    return response.json()["data"]


def test_a_windscreen_claim_is_gathered_step_by_step_and_filed_on_confirmation(motor_customer):
    user, customer, policy = motor_customer()
    client = client_for(user)

    first = chat(client, "My windscreen cracked yesterday")
    assert "where" in first["response"].lower()
    assert "[claim step" not in first["response"]
    cid = first["conversation_id"]
    assert "photo" in chat(client, "On the A1 near Coimbra", cid)["response"].lower()
    assert "how much" in chat(client, "yes", cid)["response"].lower()
    proposed = chat(client, "about 300 euros", cid)

    assert [a["tool"] for a in proposed["actions"]] == ["fileClaim"]
    assert policy.policy_number in proposed["actions"][0]["summary"]
    assert not Claim.objects.exists()

    done = client.post(
        "/api/v1/ai/actions/confirm", {"action_id": proposed["actions"][0]["id"], "decision": "confirm"}, format="json"
    ).json()["data"]

    claim = Claim.objects.get()
    assert done["status"] == "confirmed" and claim.claim_number in done["message"]  # noqa: PT018
    assert (claim.customer, claim.claim_type, claim.incident_place) == (customer, "glass", "the A1 near Coimbra")
    assert claim.incident_date == timezone.localdate() - timedelta(days=1)
    assert str(claim.claimed_amount) == "300.00" and claim.channel == "portal"  # noqa: PT018
    assert claim.deductible == 50


def test_the_customer_is_answered_from_their_own_policy(motor_customer):
    user, _, policy = motor_customer()

    data = chat(client_for(user), "What is my deductible for glass?")

    assert policy.policy_number in data["response"]
    assert "Glass breakage" in data["response"] and "deductible 50.00" in data["response"]  # noqa: PT018


def test_staff_only_knowledge_never_reaches_a_customer(motor_customer):
    user, _, _ = motor_customer()
    KnowledgeResourceFactory(
        title="Windscreen fraud red flags",
        audience="staff",
        body="Internal: windscreen claims from garages on the watch list get a site visit.",
    )
    KnowledgeResourceFactory(
        title="Windscreen repairs",
        audience="public",
        body="A windscreen chip smaller than a coin is usually repaired rather than replaced.",
    )

    data = chat(client_for(user), "How are windscreen chips repaired?")

    assert [s["title"] for s in data["sources"]] == ["Windscreen repairs"]
    assert "watch list" not in data["response"] and "coin" in data["response"]  # noqa: PT018


def test_asking_for_a_person_opens_a_request_once_confirmed(motor_customer):
    user, customer, _ = motor_customer()
    client = client_for(user)

    data = chat(client, "I want to talk to a real person please")
    client.post(
        "/api/v1/ai/actions/confirm", {"action_id": data["actions"][0]["id"], "decision": "confirm"}, format="json"
    )

    ticket = Ticket.objects.get()
    assert ticket.customer == customer and "talk to a real person" in ticket.messages.get().body  # noqa: PT018


def test_another_customers_policy_is_not_found(motor_customer):
    user, _, _ = motor_customer()
    _, _, other_policy = motor_customer(email="other@example.org")

    data = chat(client_for(user), f"What does policy {other_policy.policy_number} cover?")

    assert other_policy.policy_number not in data["response"] or "No policy" in data["response"]
    assert ToolCallRecord.objects.get(tool="policySummary").outcome == "denied"


def test_a_promise_about_a_claim_is_rescinded_and_logged(motor_customer):
    user, _, _ = motor_customer()
    KnowledgeResourceFactory(
        title="Glass claims",
        audience="public",
        body="Good news about glass: your claim will be paid within a day, we guarantee it.",
    )

    data = chat(client_for(user), "What should I know about glass claims?")

    rescinded = RescindedResponse.objects.get()
    assert rescinded.rule == "claim_promise" and "will be paid" in rescinded.original  # noqa: PT018
    assert data["response"] == rescinded.replacement
