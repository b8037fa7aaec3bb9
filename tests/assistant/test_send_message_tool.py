"""The copilot's `sendMessage` tool: a message to a contact, proposed and sent only on the agent's confirmation,
through messaging's consent gate as every other sending path — a DNC'd number is refused, the refusal recorded with
source `assistant`, nothing sent."""

import pytest

from apps.accounts.roles import Role
from apps.assistant.models import ProposedAction, ToolCallRecord
from apps.assistant.services import action_propose, conversation_for
from apps.messaging.models import Message, OutboundRefusal
from tests.conftest import client_for
from tests.factories.customers import CustomerFactory
from tests.factories.messaging import DncEntryFactory
from tests.messaging.conftest import sandbox_outbox  # noqa: F401 (the sandbox provider's outbox)

pytestmark = pytest.mark.django_db


def _propose(agent, args):
    conversation = conversation_for(user=agent, channel="copilot", pk=None)
    return action_propose(user=agent, conversation=conversation, tool="sendMessage", arguments=args, summary="Send")


def _confirm(agent, action):
    return client_for(agent).post(
        "/api/v1/ai/actions/confirm", {"action_id": action.pk, "decision": "confirm"}, format="json"
    )


def test_a_confirmed_message_goes_out_through_the_gate(make_user, sandbox_outbox, django_capture_on_commit_callbacks):  # noqa: F811
    agent = make_user(Role.AGENT)
    customer = CustomerFactory(
        agent=agent, phone="+351912345678", communication_preferences={"channels": {"sms": True}}
    )
    action = _propose(agent, {"contactId": customer.pk, "channel": "sms", "body": "Your renewal is ready."})

    with django_capture_on_commit_callbacks(execute=True):
        response = _confirm(agent, action)

    assert response.status_code == 200, response.content
    assert response.json()["data"]["status"] == "confirmed"
    message = Message.objects.get()
    assert (message.to_address, message.source, message.sent_by) == ("+351912345678", "assistant", agent)
    assert [(m.to, m.body) for m in sandbox_outbox] == [("+351912345678", "Your renewal is ready.")]


def test_a_dnc_number_is_refused_and_the_refusal_kept(make_user, sandbox_outbox):  # noqa: F811
    agent = make_user(Role.AGENT)
    customer = CustomerFactory(
        agent=agent, phone="+351912345678", communication_preferences={"channels": {"sms": True}}
    )
    DncEntryFactory(address="+351912345678")
    action = _propose(agent, {"contactId": customer.pk, "channel": "sms", "body": "Hi"})

    response = _confirm(agent, action)

    assert response.status_code == 200, response.content
    action = ProposedAction.objects.get(pk=action.pk)
    assert action.status == "failed"
    assert action.result["details"]["reason"] == "dnc"
    assert Message.objects.count() == 0
    assert sandbox_outbox == []
    refusal = OutboundRefusal.objects.get()
    assert (refusal.reason, refusal.source, refusal.address) == ("dnc", "assistant", "+351912345678")
    assert ToolCallRecord.objects.filter(tool="sendMessage", outcome="failed").count() == 1


def test_someone_elses_contact_is_not_found(make_user, sandbox_outbox):  # noqa: F811
    agent = make_user(Role.AGENT)
    theirs = CustomerFactory(phone="+351912000777", communication_preferences={"channels": {"sms": True}})
    action = _propose(agent, {"contactId": theirs.pk, "channel": "sms", "body": "Hi"})

    _confirm(agent, action)

    assert ProposedAction.objects.get(pk=action.pk).status == "failed"
    assert Message.objects.count() == 0
