"""Service tickets through the API (seed 004 §3.7): opening, the conversation and internal notes, the workflow,
assignment, merge, attachments, and the live `ticket:updated` event."""

import io
import zipfile

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.accounts.roles import Role
from apps.core import events
from apps.customers.services import customer_export
from apps.documents.inspection import EICAR
from apps.notifications.models import Notification
from apps.support import services
from apps.support.models import Ticket, TicketActivity, TicketMessage
from tests.conftest import client_for
from tests.factories.accounts import TeamFactory, UserFactory
from tests.factories.customers import CustomerFactory
from tests.factories.policies import PolicyFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk(make_user):
    manager = make_user(Role.MANAGER)
    team = TeamFactory(name="Customer service", manager=manager)
    agent = make_user(Role.AGENT, team=team)
    account = make_user(Role.CUSTOMER)
    customer = CustomerFactory(user=account, agent=agent)
    return {"team": team, "manager": manager, "agent": agent, "account": account, "customer": customer}


@pytest.fixture
def captured(monkeypatch):
    """Every event delivered after commit (subscribers and sockets alike), with its audience."""
    sent = []
    original = events.deliver

    def record(event, groups):
        sent.append((event, groups))
        original(event, groups)

    monkeypatch.setattr(events, "deliver", record)
    return sent


def _open(client, **body):
    return client.post(
        "/api/v1/tickets", {"subject": "Address change", "description": "I moved.", **body}, format="json"
    )


def test_customer_opens_a_request_assigned_to_their_agent(desk, django_capture_on_commit_callbacks):
    client = client_for(desk["account"])

    with django_capture_on_commit_callbacks(execute=True):
        response = _open(client, category="policy")

    assert response.status_code == 201, response.content
    data = response.json()["data"]
    assert data["ticket_number"].startswith("TKT-")
    assert data["status"] == "new"
    assert data["customer"]["id"] == desk["customer"].pk
    assert data["assignee"]["id"] == desk["agent"].pk
    assert data["sla"] is None  # the desk's SLA is not the customer's business
    assert [m["body"] for m in data["messages"]] == ["I moved."]
    ticket = Ticket.objects.get(pk=data["id"])
    assert ticket.channel == "api"
    assert list(ticket.activities.values_list("kind", flat=True)) == ["created", "assigned"]


def test_customer_cannot_set_priority_or_open_for_someone_else(desk):
    client = client_for(desk["account"])
    other = CustomerFactory()

    assert _open(client, priority="urgent").status_code == 400
    response = _open(client, customer_id=other.pk)

    assert response.status_code == 400
    assert response.json()["error"]["details"]["customer_id"]
    assert Ticket.objects.count() == 0


def test_staff_open_on_a_customers_behalf_and_round_robin_spreads_the_queue(desk, make_user):
    team = desk["team"]
    second = make_user(Role.AGENT, team=team)
    orphans = [CustomerFactory(agent=None) for _ in range(3)]
    client = client_for(desk["manager"])

    assignees = []
    for customer in orphans:
        response = _open(client, customer_id=customer.pk, priority="high", channel="phone")
        assert response.status_code == 201, response.content
        assignees.append(response.json()["data"]["assignee"]["id"])

    assert sorted(assignees[:2]) == sorted([desk["agent"].pk, second.pk])  # one each before anyone gets two
    ticket = Ticket.objects.get(pk=response.json()["data"]["id"])
    assert (ticket.team_id, ticket.priority, ticket.channel) == (team.pk, "high", "phone")
    assert ticket.messages.get().sender == "customer"  # the customer's words, recorded by staff


def test_staff_must_name_a_customer_they_see(desk, make_user):
    stranger_agent = make_user(Role.AGENT)

    assert _open(client_for(desk["agent"])).status_code == 400
    response = _open(client_for(stranger_agent), customer_id=desk["customer"].pk)

    assert response.status_code == 404


def test_policy_must_be_the_customers(desk):
    other_policy = PolicyFactory()

    response = _open(client_for(desk["account"]), policy_id=other_policy.pk)

    assert response.status_code == 404
    assert Ticket.objects.count() == 0


def _ticket(desk) -> Ticket:
    return services.ticket_open(
        actor=desk["account"], customer=desk["customer"], subject="Windscreen", description="It cracked."
    )


def test_internal_note_never_reaches_the_customer(desk, captured, django_capture_on_commit_callbacks):
    desk["customer"].communication_preferences = {"channels": {"email": True}}  # they consented to email
    desk["customer"].save(update_fields=["communication_preferences"])
    ticket = _ticket(desk)
    staff = client_for(desk["agent"])
    customer = client_for(desk["account"])

    with django_capture_on_commit_callbacks(execute=True):
        note = staff.post(
            f"/api/v1/tickets/{ticket.pk}/messages", {"body": "SECRET: fraud flag", "internal": True}, format="json"
        )
        reply = staff.post(f"/api/v1/tickets/{ticket.pk}/messages", {"body": "We will call you."}, format="json")

    assert (note.status_code, reply.status_code) == (201, 201)
    # the API: the customer's view of the ticket has the reply, not the note
    seen = customer.get(f"/api/v1/tickets/{ticket.pk}").json()["data"]
    assert [m["body"] for m in seen["messages"]] == ["It cracked.", "We will call you."]
    assert "SECRET" not in str(customer.get(f"/api/v1/tickets/{ticket.pk}").content)
    assert all(e["kind"] != "note" for e in seen["timeline"])
    # staff see both
    assert [m["internal"] for m in staff.get(f"/api/v1/tickets/{ticket.pk}").json()["data"]["messages"]] == [
        False,
        True,
        False,
    ]
    # live events: the note's went to staff only and carries no text
    note_events = [(e, g) for e, g in captured if e["data"].get("change") == "note"]
    assert len(note_events) == 1
    assert f"user.{desk['account'].pk}" not in note_events[0][1]
    assert "SECRET" not in str(captured)
    # notifications (in-app and email): one for the reply, none about the note, no text of either
    notes = Notification.objects.filter(user=desk["account"])
    assert [n.title for n in notes] == [f"New reply on your request {ticket.ticket_number}"]
    assert "SECRET" not in str(list(notes.values()))
    # email: whatever went out by email names neither the note nor its text
    assert mail.outbox, "the reply's notification is emailed"
    assert all("SECRET" not in f"{m.subject} {m.body} {m.alternatives}" for m in mail.outbox)
    # GDPR export made for the customer
    archive = customer_export(customer=desk["customer"], actor=desk["account"])
    export = zipfile.ZipFile(io.BytesIO(archive)).read("data.json").decode()
    assert "SECRET" not in export
    assert "We will call you." in export


def test_customer_cannot_write_an_internal_note_or_on_someone_elses_ticket(desk, make_user):
    ticket = _ticket(desk)
    intruder = make_user(Role.CUSTOMER)
    CustomerFactory(user=intruder)

    note = client_for(desk["account"]).post(
        f"/api/v1/tickets/{ticket.pk}/messages", {"body": "x", "internal": True}, format="json"
    )
    foreign = client_for(intruder).post(f"/api/v1/tickets/{ticket.pk}/messages", {"body": "x"}, format="json")

    assert note.status_code == 400
    assert note.json()["error"]["details"]["internal"]
    assert foreign.status_code == 404
    assert ticket.messages.count() == 1


def test_workflow_moves_and_refusals(desk):
    ticket = _ticket(desk)
    staff = client_for(desk["agent"])
    url = f"/api/v1/tickets/{ticket.pk}"

    assert staff.put(url, {"status": "pending_customer"}, format="json").json()["data"]["status"] == "pending_customer"
    conflict = staff.put(url, {"status": "closed"}, format="json")
    assert conflict.status_code == 409
    assert "resolved" in conflict.json()["error"]["details"]["allowed"]
    resolved = staff.put(url, {"status": "resolved"}, format="json").json()["data"]
    assert resolved["status"] == "resolved"
    assert resolved["resolved_at"]
    assert staff.put(url, {"status": "closed"}, format="json").status_code == 200
    # closed: the agent may not reopen it, a manager may with a reason
    assert staff.put(url, {"status": "reopened"}, format="json").status_code == 403
    manager = client_for(desk["manager"])
    assert manager.put(url, {"status": "reopened"}, format="json").status_code == 400
    assert manager.put(url, {"status": "reopened", "reason": "Wrongly closed"}, format="json").status_code == 200


def test_customer_reply_reopens_a_resolved_ticket_and_is_refused_on_a_closed_one(desk):
    ticket = _ticket(desk)
    services.ticket_update(ticket=ticket, actor=desk["agent"], status="resolved")
    customer = client_for(desk["account"])

    reply = customer.post(f"/api/v1/tickets/{ticket.pk}/messages", {"body": "Still broken"}, format="json")
    ticket.refresh_from_db()
    assert reply.status_code == 201
    assert ticket.status == "reopened"

    services.ticket_update(ticket=ticket, actor=desk["agent"], status="resolved")
    services.ticket_update(ticket=ticket, actor=desk["agent"], status="closed")
    refused = customer.post(f"/api/v1/tickets/{ticket.pk}/messages", {"body": "Hello?"}, format="json")

    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "ticket_closed"
    assert ticket.messages.count() == 2


def test_customer_reply_resumes_a_ticket_pending_them(desk):
    ticket = _ticket(desk)
    services.ticket_update(ticket=ticket, actor=desk["agent"], status="pending_customer")

    services.ticket_message_add(ticket=ticket, actor=desk["account"], body="Here is the photo.")

    ticket.refresh_from_db()
    assert ticket.status == "open"


def test_customer_may_not_change_priority_or_assignee_but_rates_a_resolved_request(desk):
    ticket = _ticket(desk)
    customer = client_for(desk["account"])
    url = f"/api/v1/tickets/{ticket.pk}"

    assert customer.put(url, {"priority": "urgent"}, format="json").status_code == 403
    assert customer.put(url, {"satisfaction_rating": 5}, format="json").status_code == 409
    services.ticket_update(ticket=ticket, actor=desk["agent"], status="resolved")
    assert customer.put(url, {"satisfaction_rating": 4}, format="json").json()["data"]["satisfaction_rating"] == 4


def test_assignment_and_priority_are_recorded_and_published(
    desk, make_user, captured, django_capture_on_commit_callbacks
):
    ticket = _ticket(desk)
    colleague = make_user(Role.AGENT, team=desk["team"])

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(desk["manager"]).put(
            f"/api/v1/tickets/{ticket.pk}", {"assignee_id": colleague.pk, "priority": "urgent"}, format="json"
        )

    assert response.status_code == 200
    assert response.json()["data"]["assignee"]["id"] == colleague.pk
    kinds = list(TicketActivity.objects.filter(ticket=ticket).values_list("kind", flat=True))
    assert kinds[-2:] == ["priority", "assigned"]
    event, groups = [(e, g) for e, g in captured if e["event"] == "ticket:updated"][-1]
    assert event["data"]["internal"] is True  # assignment and priority are the desk's business
    assert f"user.{colleague.pk}" in groups
    assert f"user.{desk['account'].pk}" not in groups


def test_status_change_reaches_the_customer_and_the_team(desk, captured, django_capture_on_commit_callbacks):
    ticket = _ticket(desk)

    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_update(ticket=ticket, actor=desk["agent"], status="resolved")

    event, groups = next((e, g) for e, g in captured if e["event"] == "ticket:updated")
    assert event["data"]["change"] == "status"
    assert event["data"]["status"] == "resolved"
    assert {f"user.{desk['account'].pk}", f"user.{desk['agent'].pk}", f"user.{desk['manager'].pk}"} <= set(groups)


def test_merge_moves_the_conversation_and_closes_the_duplicate(desk):
    first = _ticket(desk)
    duplicate = _ticket(desk)
    other = services.ticket_open(
        actor=desk["agent"], customer=CustomerFactory(agent=desk["agent"]), subject="x", description="y"
    )
    client = client_for(desk["agent"])

    wrong = client.post(f"/api/v1/tickets/{duplicate.pk}/merge", {"into_ticket_id": other.pk}, format="json")
    response = client.post(f"/api/v1/tickets/{duplicate.pk}/merge", {"into_ticket_id": first.pk}, format="json")

    assert wrong.status_code == 400
    assert response.status_code == 200
    assert len(response.json()["data"]["messages"]) == 2
    duplicate.refresh_from_db()
    assert (duplicate.status, duplicate.merged_into_id) == ("closed", first.pk)
    again = client.post(f"/api/v1/tickets/{duplicate.pk}/merge", {"into_ticket_id": first.pk}, format="json")
    assert again.status_code == 409


def test_attachments_go_through_the_documents_pipeline(desk, settings):
    ticket = _ticket(desk)
    customer = client_for(desk["account"])
    pdf = SimpleUploadedFile("quote.pdf", b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n", "application/pdf")

    response = customer.post(
        f"/api/v1/tickets/{ticket.pk}/messages", {"body": "The quote", "files": [pdf]}, format="multipart"
    )

    assert response.status_code == 201, response.content
    attachment = response.json()["data"]["attachments"][0]
    assert attachment["name"].endswith(".pdf")
    message = TicketMessage.objects.get(pk=response.json()["data"]["id"])
    document = message.attachments.get()
    assert (document.entity_type, document.entity_id, document.visibility) == ("ticket", ticket.pk, "customer")


def test_malware_attachment_is_refused_with_nothing_written(desk):
    ticket = _ticket(desk)
    bad = SimpleUploadedFile("eicar.txt", EICAR, "text/plain")

    response = client_for(desk["account"]).post(
        f"/api/v1/tickets/{ticket.pk}/messages", {"body": "see file", "files": [bad]}, format="multipart"
    )

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "malware_detected"
    assert ticket.messages.count() == 1


def test_internal_note_attachment_is_hidden_from_the_customer(desk):
    ticket = _ticket(desk)
    pdf = SimpleUploadedFile("internal.pdf", b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n", "application/pdf")
    services.ticket_message_add(ticket=ticket, actor=desk["agent"], body="note", internal=True, files=[pdf])

    documents = client_for(desk["account"]).get(f"/api/v1/customers/{desk['customer'].pk}/documents").json()

    assert "internal.pdf" not in str(documents)


def test_list_filters_and_scoping(desk, make_user):
    mine = _ticket(desk)
    services.ticket_update(ticket=mine, actor=desk["agent"], status="resolved")
    other_customer = CustomerFactory(agent=None)
    elsewhere = services.ticket_open(
        actor=desk["manager"],
        customer=other_customer,
        subject="s",
        description="d",
        priority="urgent",
        assignee=desk["manager"],
    )
    staff = client_for(desk["manager"])

    def numbers(client, **params):
        response = client.get("/api/v1/tickets", params)
        assert response.status_code == 200, response.content
        return {t["ticket_number"] for t in response.json()["data"]["tickets"]}

    assert numbers(staff) == {mine.ticket_number, elsewhere.ticket_number}
    assert numbers(staff, status="all") == {mine.ticket_number, elsewhere.ticket_number}
    assert numbers(staff, status="active") == {elsewhere.ticket_number}
    assert numbers(staff, priority="urgent") == {elsewhere.ticket_number}
    assert numbers(staff, assignee="me") == {elsewhere.ticket_number}
    assert numbers(staff, assignee=str(desk["agent"].pk)) == {mine.ticket_number}
    assert numbers(staff, sla_state="met") == {mine.ticket_number}
    assert numbers(client_for(desk["account"])) == {mine.ticket_number}
    assert numbers(client_for(desk["agent"])) == {mine.ticket_number}
    assert client_for(desk["manager"]).get("/api/v1/tickets", {"assignee": "x"}).status_code == 400
    row = staff.get("/api/v1/tickets", {"priority": "urgent"}).json()["data"]["tickets"][0]
    assert row["sla"]["state"] in ("on_track", "none")


def test_assessors_have_no_service_desk(make_user):
    response = client_for(make_user(Role.ASSESSOR)).get("/api/v1/tickets")

    assert response.status_code == 403


def test_customer_without_a_record_gets_a_clear_answer(make_user):
    response = _open(client_for(UserFactory(role=Role.CUSTOMER)))

    assert response.status_code == 409


def test_erasure_scrubs_subjects_and_messages_and_the_staff_export_marks_notes(desk, make_user):
    from apps.customers.services import customer_erase

    ticket = _ticket(desk)
    services.ticket_message_add(ticket=ticket, actor=desk["agent"], body="Called Mr X at home", internal=True)
    staff_export = customer_export(customer=desk["customer"], actor=desk["manager"])
    data = zipfile.ZipFile(io.BytesIO(staff_export)).read("data.json").decode()
    assert '"internal": true' in data

    customer_erase(customer=desk["customer"], actor=make_user(Role.ADMIN), reason="Art. 17 request")

    ticket.refresh_from_db()
    assert "Windscreen" not in ticket.subject
    assert not TicketMessage.objects.filter(ticket=ticket, body__contains="Mr X").exists()
    assert not TicketMessage.objects.filter(ticket=ticket, body__contains="cracked").exists()
