"""Email to ticket and back, and SMS/WhatsApp on tickets: mail in the shared inbox opens or joins tickets (thread
headers, the ticket's number in the subject; auto-replies ignored; attachments carried), staff's replies go out by
the customer's channel through messaging's reply path and the consent gate, a refusal is a 422 on record with
nothing written; `ticket:resolved` for the surveys app."""

import io
from email.message import EmailMessage
from email.utils import make_msgid

import pytest
from django.core import mail
from PIL import Image

from apps.accounts.roles import Role
from apps.core import events
from apps.messaging.models import DncEntry, Email, Message, OutboundRefusal
from apps.messaging.providers import sandbox
from apps.messaging.providers.base import Inbound
from apps.messaging.services.email_ingest import emails_ingest
from apps.messaging.services.messages import message_receive
from apps.support import selectors, services
from apps.support.models import Ticket, TicketMessage
from tests.conftest import client_for
from tests.factories.accounts import TeamFactory
from tests.factories.customers import CustomerFactory
from tests.factories.messaging import EmailAccountFactory

pytestmark = pytest.mark.django_db

PHONE = "+351912345678"


@pytest.fixture
def desk(make_user):
    manager = make_user(Role.MANAGER)
    team = TeamFactory(name="Customer service", manager=manager)
    agent = make_user(Role.AGENT, team=team)
    make_user(Role.ADMIN)
    account = make_user(Role.CUSTOMER)
    customer = CustomerFactory(
        user=account,
        agent=agent,
        email="jo@customer.example",
        phone=PHONE,
        communication_preferences={"channels": {"sms": True}},
    )
    inbox = EmailAccountFactory(email="service@broker.example", provider="sandbox")
    sandbox.OUTBOX.clear()
    return {"team": team, "manager": manager, "agent": agent, "account": account, "customer": customer, "inbox": inbox}


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (32, 32), (200, 40, 40)).save(buffer, "PNG")
    return buffer.getvalue()


def _mail(
    *,
    sender="Jo Customer <jo@customer.example>",
    subject="My windscreen is cracked",
    body="Hello, a stone cracked my windscreen. Am I covered?",
    in_reply_to: str = "",
    headers: dict | None = None,
    attachment: bytes | None = None,
) -> tuple[str, bytes]:
    message = EmailMessage()
    message_id = make_msgid(domain="customer.example")
    message["From"] = sender
    message["To"] = "service@broker.example"
    message["Subject"] = subject
    message["Date"] = "Sat, 05 Dec 2026 10:00:00 +0000"
    message["Message-ID"] = message_id
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
        message["References"] = in_reply_to
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(body)
    if attachment is not None:
        message.add_attachment(attachment, maintype="image", subtype="png", filename="windscreen.png")
    return message_id, message.as_bytes()


def _receive(inbox, raw: bytes, capture) -> Email:
    with capture(execute=True):
        (email,) = emails_ingest(account=inbox, messages=[(None, raw)]).created
    return email


def test_a_customers_email_opens_a_ticket_with_their_words_and_attachment(desk, django_capture_on_commit_callbacks):
    _, raw = _mail(attachment=_png())

    email = _receive(desk["inbox"], raw, django_capture_on_commit_callbacks)

    ticket = Ticket.objects.get()
    assert (ticket.customer, ticket.channel, ticket.subject) == (desk["customer"], "email", email.subject)
    assert ticket.assignee == desk["agent"]
    (message,) = ticket.messages.all()
    assert message.email == email
    assert message.body == "Hello, a stone cracked my windscreen. Am I covered?"
    # the customer sees their own file on the request (the ticket's copy, shared with them)
    seen = selectors.ticket_messages(user=desk["account"], ticket=ticket)
    assert [d.original_name for d in seen[0].attachments.all()] == ["windscreen.png"]
    assert seen[0].attachments.get().entity_type == "ticket"


def test_auto_replies_and_bounces_open_nothing(desk, django_capture_on_commit_callbacks):
    _, auto = _mail(subject="Out of office", headers={"Auto-Submitted": "auto-replied"})
    _, bounce = _mail(sender="MAILER-DAEMON@mx.example", subject="Undelivered Mail Returned to Sender")

    with django_capture_on_commit_callbacks(execute=True):
        emails_ingest(account=desk["inbox"], messages=[(None, auto), (None, bounce)])

    assert Ticket.objects.count() == 0


def test_agent_reply_goes_by_email_in_the_thread_and_the_customers_answer_joins_the_ticket(
    desk, django_capture_on_commit_callbacks
):
    first_id, raw = _mail()
    _receive(desk["inbox"], raw, django_capture_on_commit_callbacks)
    ticket = Ticket.objects.get()
    agent = client_for(desk["agent"])

    with django_capture_on_commit_callbacks(execute=True):
        response = agent.post(
            f"/api/v1/tickets/{ticket.pk}/messages", {"body": "Yes, glass is covered. Send a photo?"}, format="json"
        )

    assert response.status_code == 201, response.content
    assert response.json()["data"]["channel"] == "email"
    (sent,) = mail.outbox
    assert sent.to == ["jo@customer.example"]
    assert f"[{ticket.ticket_number}]" in sent.subject
    assert sent.extra_headers["In-Reply-To"] == first_id
    reply = Email.objects.get(direction="outbound")
    assert reply.delivery_status == "sent"
    assert TicketMessage.objects.get(sender="staff").email == reply

    # the customer answers our email (their client quotes ours below)
    _, answer = _mail(
        subject=f"Re: {sent.subject}",
        body=f"Photo attached tomorrow.\n\nOn Sat, 5 Dec 2026, Service wrote:\n> {reply.body_text}\n",
        in_reply_to=reply.message_id,
    )
    _receive(desk["inbox"], answer, django_capture_on_commit_callbacks)

    assert Ticket.objects.count() == 1
    assert list(ticket.messages.values_list("sender", "body")) == [
        ("customer", "Hello, a stone cracked my windscreen. Am I covered?"),
        ("staff", "Yes, glass is covered. Send a photo?"),
        ("customer", "Photo attached tomorrow."),
    ]


def test_the_ticket_number_in_the_subject_joins_only_from_the_tickets_customer(
    desk, django_capture_on_commit_callbacks
):
    ticket = services.ticket_open(
        actor=desk["account"], customer=desk["customer"], subject="Address change", description="I moved."
    )
    _, own = _mail(subject=f"More about [{ticket.ticket_number}]", body="My new postcode is D02 X285.")
    _, stranger = _mail(
        sender="Mallory <mallory@elsewhere.example>", subject=f"[{ticket.ticket_number}]", body="Change the IBAN"
    )
    other = CustomerFactory(email="other@customer.example")
    _, others = _mail(sender="other@customer.example", subject=f"Re: [{ticket.ticket_number}]", body="Mine too")

    for raw in (own, stranger, others):
        _receive(desk["inbox"], raw, django_capture_on_commit_callbacks)

    assert list(ticket.messages.values_list("body", flat=True)) == ["I moved.", "My new postcode is D02 X285."]
    assert not Ticket.objects.filter(customer__email="mallory@elsewhere.example").exists()
    assert Ticket.objects.get(customer=other).messages.get().body == "Mine too"  # their own new request


def test_staff_turn_an_unknown_senders_email_into_a_ticket_once(desk, django_capture_on_commit_callbacks):
    _, raw = _mail(sender="Jo at work <jo.work@office.example>")
    email = _receive(desk["inbox"], raw, django_capture_on_commit_callbacks)
    assert Ticket.objects.count() == 0
    agent = client_for(desk["agent"])

    missing = agent.post("/api/v1/tickets/from-email", {"email_id": email.pk}, format="json")
    opened = agent.post(
        "/api/v1/tickets/from-email", {"email_id": email.pk, "customer_id": desk["customer"].pk}, format="json"
    )
    again = agent.post("/api/v1/tickets/from-email", {"email_id": email.pk}, format="json")

    assert missing.status_code == 400
    assert missing.json()["error"]["details"]["customer_id"]
    assert opened.status_code == 201, opened.content
    assert again.status_code == 200
    assert again.json()["data"]["id"] == opened.json()["data"]["id"]
    assert Ticket.objects.get().customer == desk["customer"]


def test_an_email_reply_refused_by_the_gate_is_a_422_on_record_and_nothing_is_written(
    desk, django_capture_on_commit_callbacks
):
    _, raw = _mail()
    _receive(desk["inbox"], raw, django_capture_on_commit_callbacks)
    ticket = Ticket.objects.get()
    DncEntry.objects.create(address="jo@customer.example", channel="email", reason="asked by phone")

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(desk["agent"]).post(
            f"/api/v1/tickets/{ticket.pk}/messages", {"body": "Yes, covered."}, format="json"
        )

    assert response.status_code == 422
    error = response.json()["error"]
    assert (error["code"], error["details"]["reason"], error["details"]["channel"]) == (
        "message_refused",
        "dnc",
        "email",
    )
    assert ticket.messages.count() == 1
    assert not Email.objects.filter(direction="outbound").exists()
    assert mail.outbox == []
    assert OutboundRefusal.objects.get().source == "ticket reply"


def test_a_note_is_never_sent_and_email_needs_an_email_to_answer(desk):
    ticket = services.ticket_open(
        actor=desk["account"], customer=desk["customer"], subject="Address change", description="I moved."
    )
    agent = client_for(desk["agent"])

    note = agent.post(
        f"/api/v1/tickets/{ticket.pk}/messages", {"body": "VIP", "internal": True, "channel": "email"}, format="json"
    )
    by_email = agent.post(f"/api/v1/tickets/{ticket.pk}/messages", {"body": "Done", "channel": "email"}, format="json")
    by_customer = client_for(desk["account"]).post(
        f"/api/v1/tickets/{ticket.pk}/messages", {"body": "Hi", "channel": "sms"}, format="json"
    )

    assert (note.status_code, by_email.status_code, by_customer.status_code) == (400, 400, 400)
    assert ticket.messages.count() == 1


def test_sms_reply_passes_the_gate_and_the_customers_text_joins_the_ticket(desk, django_capture_on_commit_callbacks):
    ticket = services.ticket_open(
        actor=desk["account"], customer=desk["customer"], subject="Address change", description="I moved."
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(desk["agent"]).post(
            f"/api/v1/tickets/{ticket.pk}/messages",
            {"body": "What is the new address?", "channel": "sms"},
            format="json",
        )
    assert response.status_code == 201, response.content
    assert [m.body for m in sandbox.OUTBOX] == ["What is the new address?"]
    staff = TicketMessage.objects.get(sender="staff")
    assert (staff.channel, staff.channel_message.to_address) == ("sms", PHONE)

    with django_capture_on_commit_callbacks(execute=True):
        message_receive(
            provider="sandbox",
            inbound=Inbound(
                channel="sms", provider_message_id="SM1", from_address=PHONE, to_address="", body="1 Main St"
            ),
        )
    with django_capture_on_commit_callbacks(execute=True):  # a STOP is consent, not conversation
        message_receive(
            provider="sandbox",
            inbound=Inbound(channel="sms", provider_message_id="SM2", from_address=PHONE, to_address="", body="STOP"),
        )

    latest = ticket.messages.order_by("-created_at", "-id").first()
    assert (latest.sender, latest.body, latest.channel) == ("customer", "1 Main St", "sms")
    assert latest.channel_message == Message.objects.get(provider_message_id="SM1")
    assert ticket.messages.count() == 3


def test_a_text_from_a_customer_we_never_texted_stays_in_the_inbox(desk, django_capture_on_commit_callbacks):
    ticket = services.ticket_open(
        actor=desk["account"], customer=desk["customer"], subject="Address change", description="I moved."
    )

    with django_capture_on_commit_callbacks(execute=True):
        message_receive(
            provider="sandbox",
            inbound=Inbound(channel="sms", provider_message_id="SM9", from_address=PHONE, to_address="", body="Hello"),
        )

    assert ticket.messages.count() == 1


def test_whatsapp_outside_the_window_and_sms_without_consent_are_refused_on_record(desk):
    ticket = services.ticket_open(
        actor=desk["account"], customer=desk["customer"], subject="Address change", description="I moved."
    )
    agent = client_for(desk["agent"])
    desk["customer"].communication_preferences = {}
    desk["customer"].save(update_fields=["communication_preferences"])

    whatsapp = agent.post(f"/api/v1/tickets/{ticket.pk}/messages", {"body": "Hi", "channel": "whatsapp"}, format="json")
    sms = agent.post(f"/api/v1/tickets/{ticket.pk}/messages", {"body": "Hi", "channel": "sms"}, format="json")

    assert whatsapp.status_code == sms.status_code == 422
    assert whatsapp.json()["error"]["code"] == "message_refused"
    assert sms.json()["error"]["details"]["reason"] == "no_consent"
    assert sorted(OutboundRefusal.objects.values_list("channel", flat=True)) == ["sms", "whatsapp"]
    assert ticket.messages.count() == 1
    assert not Message.objects.exists()
    assert sandbox.OUTBOX == []


def test_resolving_publishes_ticket_resolved_for_the_surveys_app(desk, monkeypatch, django_capture_on_commit_callbacks):
    heard = []
    monkeypatch.setitem(events._subscribers, "ticket:resolved", [heard.append])
    ticket = services.ticket_open(
        actor=desk["account"], customer=desk["customer"], subject="Address change", description="I moved."
    )

    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_update(ticket=ticket, actor=desk["agent"], status="resolved")

    (event,) = heard
    ticket.refresh_from_db()
    assert event["data"] == {
        "ticket_id": ticket.pk,
        "ticket_number": ticket.ticket_number,
        "customer_id": desk["customer"].pk,
        "customer_user_id": desk["account"].pk,
        "assignee_id": desk["agent"].pk,
        "category": "general",
        "channel": "portal",
        "resolved_at": ticket.resolved_at.isoformat(),
    }


def test_a_customers_list_hides_the_team_and_the_sla_as_the_detail_does(desk):
    services.ticket_open(
        actor=desk["account"], customer=desk["customer"], subject="Address change", description="I moved."
    )

    mine = client_for(desk["account"]).get("/api/v1/tickets").json()["data"]["tickets"][0]
    staff = client_for(desk["agent"]).get("/api/v1/tickets").json()["data"]["tickets"][0]

    assert (mine["team"], mine["sla"]) == (None, None)
    assert staff["team"] == {"id": desk["team"].pk, "name": "Customer service"}
    assert staff["sla"]["state"]


def test_an_email_the_agent_may_not_see_is_a_404_and_opens_nothing(desk, make_user, django_capture_on_commit_callbacks):
    _, raw = _mail(sender="Jo at work <jo.work@office.example>")
    email = _receive(desk["inbox"], raw, django_capture_on_commit_callbacks)
    Email.objects.filter(pk=email.pk).update(assigned_to=make_user(Role.AGENT))  # another agent's email

    response = client_for(desk["agent"]).post(
        "/api/v1/tickets/from-email", {"email_id": email.pk, "customer_id": desk["customer"].pk}, format="json"
    )

    assert response.status_code == 404
    assert Ticket.objects.count() == 0


def test_an_email_placed_on_a_ticket_leaves_the_inbox_new_list_and_resolves_with_the_ticket(
    desk, django_capture_on_commit_callbacks
):
    from apps.messaging.models import Conversation

    first_id, raw = _mail()
    email = _receive(desk["inbox"], raw, django_capture_on_commit_callbacks)
    email.refresh_from_db()
    ticket = Ticket.objects.get()

    # worked on the ticket now: in progress and read in the inbox, the conversation has nothing unread
    assert (email.status, email.read_status) == ("in_progress", True)
    assert Conversation.objects.get(customer=desk["customer"]).unread_count == 0
    assert email.timeline_events.get().details == f"status new → in_progress; placed on ticket {ticket.ticket_number}"
    new_in_inbox = client_for(desk["manager"]).get("/api/v1/emails?status=new").json()["data"]["emails"]
    assert email.pk not in [row["id"] for row in new_in_inbox]

    # a second email in the thread joins the ticket and moves too; resolving the ticket resolves both
    _, again = _mail(subject="Re: My windscreen is cracked", body="Any news?", in_reply_to=first_id)
    second = _receive(desk["inbox"], again, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_update(ticket=ticket, actor=desk["agent"], status="resolved")

    assert sorted(Email.objects.filter(pk__in=[email.pk, second.pk]).values_list("status", flat=True)) == [
        "resolved",
        "resolved",
    ]
    # an email staff already resolved in the inbox is not reopened by the ticket
    assert services.ticket_update(ticket=ticket, actor=desk["agent"], status="reopened").status == "reopened"
    assert Email.objects.get(pk=email.pk).status == "resolved"
