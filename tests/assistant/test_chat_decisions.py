"""A "yes" (or "no") right after a proposal decides it in the chat, as the Confirm (Cancel) button does: the same
service as the person, on the tool-call trail with `via: chat`. Anything else stays an ordinary turn."""

import pytest

from apps.accounts.roles import Role
from apps.assistant.models import ProposedAction, ToolCallRecord
from apps.claims.models import Claim
from apps.crm.models import Lead
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def copilot(client, text, conversation_id=None, history=None):
    body = {"history": (history or []) + [{"role": "user", "parts": [{"text": text}]}]}
    if conversation_id:
        body["conversation_id"] = conversation_id
    response = client.post("/api/v1/copilot/chat", body, format="json")
    assert response.status_code == 200, response.content
    return response.json()["data"]


def test_a_yes_turn_in_the_copilot_confirms_the_pending_lead(make_user):
    agent = make_user(Role.AGENT)
    client = client_for(agent)
    first_text = "Create a client lead for Maria Santos, maria.santos@example.org"
    first = copilot(client, first_text)
    assert not Lead.objects.exists()
    history = [
        {"role": "user", "parts": [{"text": first_text}]},
        {"role": "model", "parts": [{"text": first["chatResponse"]}]},
    ]

    data = copilot(client, "yes", conversation_id=first["conversation_id"], history=history)

    lead = Lead.objects.get()
    assert (lead.first_name, lead.last_name, lead.assigned_agent) == ("Maria", "Santos", agent)
    assert [(a["tool"], a["status"]) for a in data["actions"]] == [("createClientLead", "confirmed")]
    assert "Maria Santos" in data["chatResponse"]
    record = ToolCallRecord.objects.filter(outcome="confirmed").get()
    assert (record.tool, record.result["via"], record.action_id) == (
        "createClientLead",
        "chat",
        first["actions"][0]["id"],
    )
    # the decision is an issued assistant turn: the client may send it back in the history
    history += [
        {"role": "user", "parts": [{"text": "yes"}]},
        {"role": "model", "parts": [{"text": data["chatResponse"]}]},
    ]
    again = copilot(client, "yes", conversation_id=first["conversation_id"], history=history)
    assert Lead.objects.count() == 1  # nothing pending any more: an ordinary turn, no second lead
    assert again["actions"] == []


def test_a_no_turn_refuses_and_writes_nothing(make_user):
    agent = make_user(Role.AGENT)
    client = client_for(agent)
    first = copilot(client, "Create a client lead for Rui Gomes")

    data = copilot(client, "no", conversation_id=first["conversation_id"])

    assert not Lead.objects.exists()
    assert ProposedAction.objects.get().status == "refused"
    assert data["actions"][0]["status"] == "refused"
    assert ToolCallRecord.objects.filter(outcome="refused").get().result == {"via": "chat"}


def test_a_yes_without_a_proposal_in_the_last_turn_decides_nothing(make_user):
    agent = make_user(Role.AGENT)
    client = client_for(agent)
    first = copilot(client, "Create a client lead for Rui Gomes")
    copilot(client, "What is the cancellation policy?", conversation_id=first["conversation_id"])

    copilot(client, "yes", conversation_id=first["conversation_id"])

    assert not Lead.objects.exists()
    assert ProposedAction.objects.get().status == "pending"  # the Confirm button still decides it


def test_a_yes_in_the_portal_chat_files_the_claim_it_proposed(motor_customer):
    user, customer, policy = motor_customer()
    client = client_for(user)
    conversation = None
    for text in ("My windscreen cracked yesterday", "On the A1 near Coimbra", "yes", "about 300 euros"):
        body = {"message": text, **({"conversation_id": conversation} if conversation else {})}
        data = client.post("/api/v1/assistant/chat", body, format="json").json()["data"]
        conversation = data["conversation_id"]
    assert [a["tool"] for a in data["actions"]] == ["fileClaim"]  # "yes" above answered the photos question
    assert not Claim.objects.exists()

    data = client.post(
        "/api/v1/assistant/chat", {"message": "Yes, go ahead", "conversation_id": conversation}, format="json"
    ).json()["data"]

    claim = Claim.objects.get()
    assert (claim.customer, claim.policy, claim.claim_type) == (customer, policy, "glass")
    assert "is filed" in data["response"]
    assert ToolCallRecord.objects.filter(tool="fileClaim", outcome="confirmed").get().result["via"] == "chat"
