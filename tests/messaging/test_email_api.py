"""Seed 003 /emails endpoints: shapes, filters, full-text search, workflow, reply over real SMTP, escalation."""

from email import message_from_bytes, policy

import pytest
from django.urls import reverse

from apps.accounts.roles import Role
from apps.messaging.models import Email, EmailEvent
from apps.messaging.services.email_ingest import emails_ingest
from apps.notifications.models import Notification
from tests.conftest import client_for
from tests.factories.messaging import EmailFactory, EmailTemplateFactory
from tests.messaging.conftest import raw

pytestmark = pytest.mark.django_db


def test_list_has_the_seed_shape(make_user):
    manager = make_user(Role.MANAGER)
    EmailFactory(
        sentiment_score="-0.65", sentiment_label="negative", ai_intent={"category": "complaint", "confidence": 94.5}
    )

    response = client_for(manager).get(reverse("v1:emails-list"))

    assert response.status_code == 200
    data = response.json()["data"]
    assert data["pagination"] == {"current_page": 1, "total_pages": 1, "total_records": 1, "per_page": 20}
    row = data["emails"][0]
    assert row["sentiment"] == {"score": -0.65, "label": "negative"}
    assert row["ai_intent"] == {"category": "complaint", "confidence": 94.5}
    assert {
        "id",
        "message_id",
        "from_email",
        "subject",
        "category",
        "priority",
        "status",
        "received_at",
        "read_status",
    } <= set(row)


def test_filters_and_full_text_search(make_user):
    manager = make_user(Role.MANAGER)
    agent = make_user(Role.AGENT)
    hit = EmailFactory(subject="Windscreen cracked", body_text="A stone hit it on the motorway", assigned_to=agent)
    EmailFactory(subject="Renewal", body_text="When does it renew?", status="resolved")
    EmailFactory(subject="Old", received_at="2020-01-01T10:00:00Z")
    client = client_for(manager)

    def ids(**params):
        return [e["id"] for e in client.get(reverse("v1:emails-list"), params).json()["data"]["emails"]]

    assert ids(search="motorway") == [hit.pk]
    assert ids(search="windscr") == [hit.pk]
    assert ids(search=hit.from_email.split("@")[0]) == [hit.pk]
    assert ids(assigned_to=agent.pk) == [hit.pk]
    assert len(ids(status="resolved")) == 1
    assert len(ids(status="all")) == 3
    assert len(ids(date_from="2026-01-01")) == 2
    assert len(ids(date_to="2020-12-31")) == 1
    bad = client.get(reverse("v1:emails-list"), {"status": "bogus"})
    assert bad.status_code == 400


def test_agents_see_the_shared_inbox_and_their_own_but_not_a_colleagues(make_user):
    agent, colleague = make_user(Role.AGENT), make_user(Role.AGENT)
    shared, mine, theirs = EmailFactory(), EmailFactory(assigned_to=agent), EmailFactory(assigned_to=colleague)
    client = client_for(agent)

    listed = {e["id"] for e in client.get(reverse("v1:emails-list")).json()["data"]["emails"]}

    assert listed == {shared.pk, mine.pk}
    assert client.get(reverse("v1:emails-detail", kwargs={"pk": theirs.pk})).status_code == 404


def test_detail_marks_read_and_shows_links_thread_and_timeline(make_user):
    manager = make_user(Role.MANAGER)
    email = EmailFactory()

    response = client_for(manager).get(reverse("v1:emails-detail", kwargs={"pk": email.pk}))

    data = response.json()["data"]
    assert response.status_code == 200
    assert data["body_text"] == "When does my policy renew?"
    assert [m["id"] for m in data["thread"]] == [email.pk]
    assert data["links"] == []
    assert data["timeline"] == []
    assert "password" not in str(data)
    assert Email.objects.get(pk=email.pk).read_status is True


def test_put_moves_status_through_the_workflow_and_refuses_an_impossible_move(make_user):
    agent = make_user(Role.AGENT)
    email = EmailFactory(assigned_to=agent)
    client = client_for(agent)
    url = reverse("v1:emails-detail", kwargs={"pk": email.pk})

    ok = client.put(url, {"status": "resolved", "priority": "high"}, format="json")
    refused = client.put(url, {"status": "new"}, format="json")

    assert ok.status_code == 200
    assert (ok.json()["data"]["status"], ok.json()["data"]["priority"]) == ("resolved", "high")
    assert refused.status_code == 409
    assert refused.json()["error"]["details"]["allowed"] == ["in_progress"]
    assert Email.objects.get(pk=email.pk).status == "resolved"


def test_agents_take_unassigned_mail_only_for_themselves(make_user):
    agent, colleague, manager = make_user(Role.AGENT), make_user(Role.AGENT), make_user(Role.MANAGER)
    email = EmailFactory()
    url = reverse("v1:emails-detail", kwargs={"pk": email.pk})

    refused = client_for(agent).put(url, {"assigned_to": colleague.pk}, format="json")
    taken = client_for(agent).put(url, {"assigned_to": agent.pk}, format="json")
    moved = client_for(manager).put(url, {"assigned_to": colleague.pk}, format="json")

    assert refused.status_code == 403
    assert taken.status_code == 200
    assert moved.json()["data"]["assigned_to"]["id"] == colleague.pk


def test_reply_goes_out_through_smtp_with_threading_headers(
    make_user, mailbox, imap_server, smtp_sink, django_capture_on_commit_callbacks
):
    agent = make_user(Role.AGENT, first_name="Rita", last_name="Agent")
    (email,) = emails_ingest(
        account=mailbox,
        messages=[
            (
                1,
                raw(
                    message_id="<orig@customer.example>",
                    subject="Policy renewal inquiry",
                    extra="References: <older@customer.example>\r\n",
                ),
            )
        ],
    ).created
    template = EmailTemplateFactory(body="Dear {{ customer_name }},\n\nThanks.\n\n{{ agent_name }}")

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(agent).post(
            reverse("v1:emails-reply", kwargs={"pk": email.pk}), {"template_id": template.pk}, format="json"
        )

    assert response.status_code == 201, response.content
    data = response.json()["data"]
    assert (data["direction"], data["delivery_status"]) == ("outbound", "queued")
    assert Email.objects.get(pk=data["id"]).delivery_status == "sent"
    assert len(smtp_sink.messages) == 1
    assert smtp_sink.logins == ["inbox@insureops.test"]
    sent = message_from_bytes(smtp_sink.messages[0]["data"], policy=policy.default)
    assert smtp_sink.messages[0]["to"] == ["jo@customer.example"]
    assert sent["Subject"] == "Re: Policy renewal inquiry"
    assert sent["In-Reply-To"] == "<orig@customer.example>"
    assert sent["References"] == "<older@customer.example> <orig@customer.example>"
    assert sent["Message-ID"] == data["message_id"]
    assert sent.get_content().startswith("Dear Jo Customer,")
    assert "Rita Agent" in sent.get_content()
    email.refresh_from_db()
    assert (email.status, email.assigned_to) == ("in_progress", agent)
    assert [m["id"] for m in data["thread"]] == [email.pk, data["id"]]


def test_reply_refuses_header_injection_and_sends_nothing(make_user, mailbox, smtp_sink):
    manager = make_user(Role.MANAGER)
    email = EmailFactory(account=mailbox)
    url = reverse("v1:emails-reply", kwargs={"pk": email.pk})

    subject = client_for(manager).post(url, {"subject": "Hi\r\nBcc: x@evil.example", "body": "x"}, format="json")
    to = client_for(manager).post(url, {"to": "a@b.example\nBcc: x@evil.example", "body": "x"}, format="json")

    assert subject.status_code == 400
    assert "subject" in subject.json()["error"]["details"]
    assert to.status_code == 400
    assert Email.objects.filter(direction="outbound").count() == 0
    assert smtp_sink.messages == []


def test_automatic_mail_is_never_answered(make_user, mailbox, smtp_sink):
    manager = make_user(Role.MANAGER)
    bounce = EmailFactory(account=mailbox, automated="bounce")

    response = client_for(manager).post(
        reverse("v1:emails-reply", kwargs={"pk": bounce.pk}), {"body": "Hello"}, format="json"
    )

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "automated_email"
    assert smtp_sink.messages == []


def test_failed_smtp_is_recorded_not_lost(make_user, mailbox, django_capture_on_commit_callbacks):
    manager = make_user(Role.MANAGER)
    mailbox.smtp_port = 1  # nothing listens there
    mailbox.save()
    email = EmailFactory(account=mailbox)

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(manager).post(
            reverse("v1:emails-reply", kwargs={"pk": email.pk}), {"body": "Hi"}, format="json"
        )

    assert response.status_code == 201
    reply = Email.objects.get(direction="outbound")
    assert reply.delivery_status == "failed"
    assert reply.delivery_error != ""


def test_escalation_notifies_the_manager(make_user, django_capture_on_commit_callbacks):
    agent, manager = make_user(Role.AGENT), make_user(Role.MANAGER)
    email = EmailFactory(assigned_to=agent, subject="Legal threat")

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(agent).post(
            reverse("v1:emails-escalate", kwargs={"pk": email.pk}),
            {"escalated_to": manager.pk, "reason": "Complex issue requiring supervisor attention"},
            format="json",
        )

    assert response.status_code == 200
    data = response.json()["data"]
    assert data["escalated_to"]["id"] == manager.pk
    assert data["priority"] == "high"
    notification = Notification.objects.get(user=manager)
    assert notification.title == "Email escalated to you: Legal threat"
    assert notification.message == "Complex issue requiring supervisor attention"
    assert EmailEvent.objects.filter(email=email, action="Escalated").count() == 1


def test_escalation_needs_a_manager_and_a_reason(make_user):
    agent, colleague, manager = make_user(Role.AGENT), make_user(Role.AGENT), make_user(Role.MANAGER)
    email = EmailFactory(assigned_to=agent)
    url = reverse("v1:emails-escalate", kwargs={"pk": email.pk})

    to_agent = client_for(agent).post(url, {"escalated_to": colleague.pk, "reason": "x"}, format="json")
    no_reason = client_for(agent).post(url, {"escalated_to": manager.pk, "reason": "  "}, format="json")

    assert to_agent.status_code == 400
    assert no_reason.status_code == 400
    assert Email.objects.get(pk=email.pk).escalated_to is None


def test_reply_passes_the_consent_gate_dnc_refused_and_recorded(make_user, mailbox, smtp_sink):
    from apps.messaging.models import DncEntry, OutboundRefusal

    manager = make_user(Role.MANAGER)
    email = EmailFactory(account=mailbox, from_email="Jo.Customer@Customer.example")
    DncEntry.objects.create(address="jo.customer@customer.example", channel="email", reason="Asked by phone")
    url = reverse("v1:emails-reply", kwargs={"pk": email.pk})

    response = client_for(manager).post(url, {"body": "Hello"}, format="json")

    assert response.status_code == 422
    error = response.json()["error"]
    assert (error["code"], error["details"]["reason"]) == ("message_refused", "dnc")
    assert Email.objects.filter(direction="outbound").count() == 0
    assert smtp_sink.messages == []
    refusal = OutboundRefusal.objects.get()
    assert (refusal.channel, refusal.address) == ("email", "jo.customer@customer.example")
    assert refusal.source == "email_reply"


def test_reply_to_a_correspondent_without_email_consent_goes_out(
    make_user, mailbox, django_capture_on_commit_callbacks
):
    """Answering someone who wrote to us needs no channel consent (they started it); only DNC or an opt-out stop it."""
    manager = make_user(Role.MANAGER)
    email = EmailFactory(account=mailbox, from_email="prospect@example.org")

    with django_capture_on_commit_callbacks(execute=False):
        response = client_for(manager).post(
            reverse("v1:emails-reply", kwargs={"pk": email.pk}), {"body": "Thanks, we will call you."}, format="json"
        )

    assert response.status_code == 201
    assert Email.objects.filter(direction="outbound", to_email="prospect@example.org").count() == 1
