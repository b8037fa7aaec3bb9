"""A customer's chats with the assistant are in their GDPR export and gone after erasure (hooks `gdpr.export`,
`gdpr.erase`): the turns, the proposed actions, the tool-call trail and the rescinded answers."""

import io
import json
import zipfile

import pytest
from django.db import connection

from apps.accounts.roles import Role
from apps.assistant import services
from apps.assistant.models import Conversation, ProposedAction, RescindedResponse, ToolCallRecord
from apps.customers.services import customer_erase, customer_export
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

MARKER = "Quillfeather"


def export(customer, actor) -> dict:
    return json.loads(zipfile.ZipFile(io.BytesIO(customer_export(customer=customer, actor=actor))).read("data.json"))


@pytest.fixture
def chatted(motor_customer):
    """A customer who told the assistant about a loss (a claim proposed, not confirmed) and got one answer
    rescinded."""
    user, customer, policy = motor_customer()
    client = client_for(user)
    conversation = None
    for text in (
        f"My windscreen cracked yesterday, I am Rita {MARKER}",
        f"At Rua {MARKER} 7, Coimbra",
        "no photos",
        "about 300 euros",
    ):
        body = {"message": text, **({"conversation_id": conversation} if conversation else {})}
        data = client.post("/api/v1/assistant/chat", body, format="json").json()["data"]
        conversation = data["conversation_id"]
    services.rescinded_response_record(
        user=user,
        channel="customer",
        rule="other_customer_data",
        reason=f"named {MARKER}'s neighbour",
        original=f"Your neighbour {MARKER} also claimed.",
        replacement="I can only talk about your own records.",
        provider="local",
        conversation=Conversation.objects.get(pk=conversation),
    )
    assert ProposedAction.objects.filter(user=user, tool="fileClaim").exists()
    return user, customer


def test_the_export_holds_the_chats_actions_and_trail_but_never_a_rescinded_original(chatted, make_user):
    user, customer = chatted

    for actor in (make_user(Role.ADMIN), user):
        data = export(customer, actor)

        (chat,) = data["assistant_conversations"]
        assert chat["channel"] == "customer"
        texts = [m["text"] for m in chat["messages"] if m["role"] == "user"]
        assert texts[0] == f"My windscreen cracked yesterday, I am Rita {MARKER}"
        assert [(a["tool"], a["status"]) for a in chat["actions"]] == [("fileClaim", "pending")]
        assert ("fileClaim", "proposed") in [(r["tool"], r["outcome"]) for r in data["assistant_tool_calls"]]
        (rescinded,) = data["assistant_rescinded_answers"]
        assert rescinded == {
            "channel": "customer",
            "rule": "other_customer_data",
            "replacement": "I can only talk about your own records.",
            "created_at": rescinded["created_at"],
        }
        assert "also claimed" not in json.dumps(data)


def test_erasure_leaves_no_trace_of_the_person_in_the_assistants_tables(chatted, make_user):
    user, customer = chatted
    tables = [m._meta.db_table for m in (Conversation, ProposedAction, ToolCallRecord, RescindedResponse)]
    tables += [ProposedAction.pgh_event_model._meta.db_table, Conversation.pgh_event_model._meta.db_table]

    def mentions() -> dict:
        found = {}
        with connection.cursor() as cursor:
            for table in tables:
                cursor.execute(f"SELECT count(*) FROM {table} AS t WHERE t::text ILIKE %s", [f"%{MARKER}%"])  # noqa: S608
                found[table] = cursor.fetchone()[0]
        return found

    assert sum(mentions().values()) > 0
    records = ToolCallRecord.objects.count()

    customer_erase(customer=customer, actor=make_user(Role.ADMIN), reason="GDPR request #20")

    assert mentions() == dict.fromkeys(tables, 0)
    assert ToolCallRecord.objects.count() == records  # the trail keeps its shape: which tool, what came of it, when
    assert all(r == {} for r in ToolCallRecord.objects.filter(user=user).values_list("arguments", flat=True))
    assert ProposedAction.objects.get(user=user).summary == "[erased]"
    assert Conversation.objects.get(user=user).messages == []
