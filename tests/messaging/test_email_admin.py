"""The shared-inbox admin screen: queue, thread view, reply with a template over real SMTP, escalation; template
management and the write-only mailbox password."""

import pytest
from django.test import Client

from apps.accounts.roles import Role
from apps.messaging.models import Email, EmailAccount, EmailTemplate
from apps.messaging.services.email_ingest import emails_ingest
from tests.factories.messaging import EmailFactory, EmailTemplateFactory
from tests.messaging.conftest import raw

pytestmark = pytest.mark.django_db
INLINES = {
    "links-TOTAL_FORMS": "0",
    "links-INITIAL_FORMS": "0",
    "timeline_events-TOTAL_FORMS": "0",
    "timeline_events-INITIAL_FORMS": "0",
}


def _browser(user) -> Client:
    browser = Client()
    browser.force_login(user)
    return browser


def test_inbox_queue_filters_and_assign_to_me(make_user):
    agent = make_user(Role.AGENT)
    email = EmailFactory(subject="Where is my refund?", link_reasons=["sender = customer CUS-0000007"])
    browser = _browser(agent)

    listing = browser.get("/admin/messaging/email/", {"read_status__exact": "0", "status__exact": "new"})
    taken = browser.post("/admin/messaging/email/", {"action": "take", "_selected_action": [email.pk]})

    assert listing.status_code == 200
    page = listing.content.decode()
    assert "Where is my refund?" in page
    assert "sender = customer CUS-0000007" in page
    assert taken.status_code == 302
    assert Email.objects.get(pk=email.pk).assigned_to == agent


def test_agent_answers_from_the_inbox_screen_with_a_template(
    make_user, mailbox, smtp_sink, django_capture_on_commit_callbacks
):
    agent = make_user(Role.AGENT, first_name="Rita", last_name="Agent")
    (email,) = emails_ingest(
        account=mailbox,
        messages=[(1, raw(message_id="<adm@customer.example>", subject="Renewal", body="<b>hi</b> when?"))],
    ).created
    template = EmailTemplateFactory(
        name="Renewal answer", body="Dear {{ customer_name }}, we are on it. {{ agent_name }}"
    )
    browser = _browser(agent)
    url = f"/admin/messaging/email/{email.pk}/change/"

    page = browser.get(url)
    with django_capture_on_commit_callbacks(execute=True):
        saved = browser.post(
            url,
            {
                **INLINES,
                "category": email.category,
                "priority": email.priority,
                "read_status": "on",
                "status": email.status,
                "reply_template": template.pk,
                "reply_body": "",
                "reply_to": "",
            },
        )

    assert page.status_code == 200
    assert "&lt;b&gt;hi&lt;/b&gt; when?" in page.content.decode()  # plain text shown escaped
    assert saved.status_code == 302, saved.content.decode()[:3000]
    assert len(smtp_sink.messages) == 1
    sent = smtp_sink.messages[0]["data"].decode()
    assert "In-Reply-To: <adm@customer.example>" in sent
    assert "Dear Jo Customer, we are on it. Rita Agent" in sent
    reply = Email.objects.get(direction="outbound")
    assert (reply.thread_id, reply.delivery_status) == (email.thread_id, "sent")
    thread_page = browser.get(url).content.decode()
    assert "→ jo@customer.example" in thread_page


def test_escalation_from_the_screen_needs_a_reason(make_user):
    agent, manager = make_user(Role.AGENT), make_user(Role.MANAGER)
    email = EmailFactory(assigned_to=agent)
    browser = _browser(agent)
    url = f"/admin/messaging/email/{email.pk}/change/"
    form = {**INLINES, "category": email.category, "priority": email.priority, "status": email.status}

    missing = browser.post(url, {**form, "escalate_to": manager.pk})
    saved = browser.post(url, {**form, "escalate_to": manager.pk, "escalation_note": "Threatens legal action"})

    assert "Say why the email is escalated." in missing.content.decode()
    assert saved.status_code == 302
    email.refresh_from_db()
    assert (email.escalated_to, email.escalation_reason) == (manager, "Threatens legal action")


def test_templates_refuse_unknown_variables_and_agents_cannot_edit_them(make_user):
    manager, agent = make_user(Role.MANAGER), make_user(Role.AGENT)

    refused = _browser(manager).post(
        "/admin/messaging/emailtemplate/add/",
        {"name": "Bad", "subject": "", "body": "Hi {{ nmae }}", "is_active": "on"},
    )
    created = _browser(manager).post(
        "/admin/messaging/emailtemplate/add/",
        {"name": "Good", "subject": "Re: {{ subject }}", "body": "Hi {{ customer_name }}", "is_active": "on"},
    )
    agent_add = _browser(agent).get("/admin/messaging/emailtemplate/add/")

    assert "Unknown variables: nmae" in refused.content.decode()
    assert created.status_code == 302
    assert list(EmailTemplate.objects.values_list("name", flat=True)) == ["Good"]
    assert agent_add.status_code == 403


def test_mailbox_password_is_write_only(make_user):
    admin_user = make_user(Role.ADMIN)
    browser = _browser(admin_user)
    form = {
        "name": "Claims",
        "email": "claims@broker.example",
        "provider": "imap",
        "imap_server": "imap.broker.example",
        "imap_port": "993",
        "smtp_server": "smtp.broker.example",
        "smtp_port": "465",
        "username": "claims",
        "use_ssl": "on",
        "folder": "INBOX",
        "auto_sync": "on",
        "sync_interval": "5",
        "status": "active",
    }

    browser.post("/admin/messaging/emailaccount/add/", {**form, "new_password": "s3cret-imap"})
    account = EmailAccount.objects.get()
    page = browser.get(f"/admin/messaging/emailaccount/{account.pk}/change/")
    browser.post(f"/admin/messaging/emailaccount/{account.pk}/change/", {**form, "new_password": ""})

    assert "s3cret-imap" not in page.content.decode()
    assert EmailAccount.objects.get().password_encrypted == "s3cret-imap"
    assert _browser(make_user(Role.MANAGER)).get("/admin/messaging/emailaccount/").status_code == 403


def test_a_reply_refused_by_the_consent_gate_saves_nothing_but_keeps_the_refusal(make_user):
    """The screen's save is one transaction (email_work), which the gate's refusal rolls back; the refusal row the
    gate wrote inside it is recorded again outside, so the admin path keeps it like the API does."""
    from apps.messaging.models import OutboundRefusal
    from tests.factories.messaging import DncEntryFactory

    agent = make_user(Role.AGENT)
    email = EmailFactory(assigned_to=agent, from_email="blocked@customer.example", category="renewal")
    DncEntryFactory(address="blocked@customer.example", channel="email", reason="Asked by letter")
    browser = _browser(agent)
    url = f"/admin/messaging/email/{email.pk}/change/"

    response = browser.post(
        url,
        {
            **INLINES,
            "category": "complaint",
            "priority": email.priority,
            "status": email.status,
            "reply_body": "We will call you.",
        },
        follow=True,
    )

    assert response.status_code == 200
    assert "Not sent: DNC entry" in response.content.decode()
    email.refresh_from_db()
    assert email.category == "renewal"  # the save's other changes were rolled back with the reply
    assert not Email.objects.filter(direction="outbound").exists()
    refusal = OutboundRefusal.objects.get()
    assert (refusal.address, refusal.channel, refusal.reason, refusal.source, refusal.count) == (
        "blocked@customer.example",
        "email",
        "dnc",
        "email_reply",
        1,
    )
