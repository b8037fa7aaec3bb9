"""The agents' copilot (seed 004 §3.2): tool calls run as the agent; writes wait for the agent's confirmation."""

import pytest
from django.utils import timezone

from apps.accounts.roles import Role
from apps.assistant.models import ProposedAction, ToolCallRecord
from apps.crm.models import Appointment, Lead
from tests.conftest import client_for
from tests.factories.policies import ProductLineFactory

pytestmark = pytest.mark.django_db


def say(client, text, conversation_id=None, history=None):
    body = {"history": (history or []) + [{"role": "user", "parts": [{"text": text}]}], "context": "leads page"}
    if conversation_id:
        body["conversation_id"] = conversation_id
    return client.post("/api/v1/copilot/chat", body, format="json")


def test_copilot_creates_a_lead_only_after_confirmation(make_user):
    ProductLineFactory(code="home")
    agent = make_user(Role.AGENT)
    client = client_for(agent)

    response = say(
        client, "Create a client lead for Maria Santos, maria.santos@example.org, 912 345 678, interested in home"
    )

    assert response.status_code == 200, response.content
    data = response.json()["data"]
    assert data["functionCalls"][0]["name"] == "createClientLead"
    assert data["functionCalls"][0]["args"]["email"] == "maria.santos@example.org"
    assert data["functionCalls"][0]["args"]["phone"] == "+351912345678"
    assert [a["tool"] for a in data["actions"]] == ["createClientLead"]
    assert "confirm" in data["chatResponse"].lower()
    assert not Lead.objects.exists()  # nothing written before the agent confirms

    action_id = data["actions"][0]["id"]
    confirmed = client.post(
        "/api/v1/ai/actions/confirm", {"action_id": action_id, "decision": "confirm"}, format="json"
    )

    assert confirmed.status_code == 200, confirmed.content
    lead = Lead.objects.get()
    assert (lead.first_name, lead.last_name, lead.email, lead.assigned_agent) == (
        "Maria",
        "Santos",
        "maria.santos@example.org",
        agent,
    )
    assert lead.product_interest.code == "home" and lead.phone == "+351912345678"  # noqa: PT018
    assert confirmed.json()["data"]["status"] == "confirmed"
    outcomes = list(ToolCallRecord.objects.filter(user=agent).order_by("id").values_list("tool", "outcome"))
    assert outcomes == [("createClientLead", "proposed"), ("createClientLead", "confirmed")]


def test_copilot_schedules_an_appointment_after_confirmation(make_user):
    agent = make_user(Role.AGENT)
    client = client_for(agent)

    data = say(client, "Schedule a meeting with Maria Santos tomorrow at 3pm for 45 minutes").json()["data"]

    call = data["functionCalls"][0]
    assert call["name"] == "scheduleAppointment"
    start = timezone.localtime(timezone.datetime.fromisoformat(call["args"]["start"]))
    assert (start.date() - timezone.localdate()).days == 1 and start.hour == 15  # noqa: PT018
    assert call["args"]["durationMinutes"] == 45
    assert not Appointment.objects.exists()

    client.post(
        "/api/v1/ai/actions/confirm", {"action_id": data["actions"][0]["id"], "decision": "confirm"}, format="json"
    )

    appointment = Appointment.objects.get()
    assert appointment.agent == agent and appointment.title == "Meeting with Maria Santos"  # noqa: PT018
    assert (appointment.end - appointment.start).total_seconds() == 45 * 60


def test_a_refused_proposal_writes_nothing_but_the_decision(make_user):
    agent = make_user(Role.AGENT)
    client = client_for(agent)
    data = say(client, "Create a client lead for Rui Gomes").json()["data"]

    refused = client.post(
        "/api/v1/ai/actions/confirm", {"action_id": data["actions"][0]["id"], "decision": "refuse"}, format="json"
    )

    assert refused.json()["data"]["status"] == "refused"
    assert not Lead.objects.exists()
    assert ToolCallRecord.objects.filter(outcome="refused").count() == 1
    again = client.post(
        "/api/v1/ai/actions/confirm", {"action_id": data["actions"][0]["id"], "decision": "confirm"}, format="json"
    )
    assert again.status_code == 409


def test_someone_elses_proposal_is_not_found(make_user):
    agent, other = make_user(Role.AGENT), make_user(Role.AGENT)
    data = say(client_for(agent), "Create a client lead for Rui Gomes").json()["data"]

    response = client_for(other).post(
        "/api/v1/ai/actions/confirm", {"action_id": data["actions"][0]["id"], "decision": "confirm"}, format="json"
    )

    assert response.status_code == 404
    assert not Lead.objects.exists()
    assert ProposedAction.objects.get().status == "pending"
