"""An agent answers a customer's email from the shared inbox in a real browser (Chromium, the admin on Django's
live server): the reply goes out over real SMTP (an aiosmtpd sink on loopback, signing in as the mailbox) with
the threading headers a mail client needs — In-Reply-To the customer's message, References its whole chain — and
the email's thread on the screen shows it. Screenshot: var/screenshots/email-reply.png."""

import time
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import expect

from apps.accounts.roles import Role
from apps.messaging.models import Email
from apps.messaging.services.email_ingest import emails_ingest
from tests.factories.messaging import EmailAccountFactory, EmailTemplateFactory
from tests.messaging.conftest import raw, smtp_sink  # noqa: F401 (the SMTP sink fixture)

pytestmark = pytest.mark.django_db(transaction=True)


def test_agent_answers_a_customer_email_from_the_admin_inbox(live_server, new_page, make_user, password, smtp_sink):  # noqa: F811
    make_user(Role.AGENT, email="rita@brokerage.example", first_name="Rita", last_name="Agent")
    login, secret = smtp_sink.credentials
    account = EmailAccountFactory(
        name="Customer service",
        email=login,
        smtp_server="127.0.0.1",
        smtp_port=smtp_sink.port,
        username=login,
        password_encrypted=secret,
        use_ssl=False,
    )
    (email,) = emails_ingest(
        account=account,
        messages=[
            (
                1,
                raw(
                    message_id="<second@customer.example>",
                    subject="Re: My renewal",
                    body="Is the new premium final?",
                    extra="In-Reply-To: <first@customer.example>\r\nReferences: <first@customer.example>\r\n",
                ),
            )
        ],
    ).created
    EmailTemplateFactory(name="Premium answer", body="Dear {{ customer_name }}, yes it is final. {{ agent_name }}")
    page = new_page()
    page.goto(f"{live_server.url}/admin/")
    page.fill("#id_username", "rita@brokerage.example")
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")

    page.goto(f"{live_server.url}/admin/messaging/email/")
    page.get_by_role("link", name="Re: My renewal").first.click()
    page.wait_for_url(f"{live_server.url}/admin/messaging/email/{email.pk}/change/")
    expect(page.get_by_text("Is the new premium final?").first).to_be_visible()
    page.select_option("#id_reply_template", label="Premium answer")
    page.locator("button[name=_continue]").click()
    page.wait_for_load_state("load")

    deadline = time.monotonic() + 10
    while not smtp_sink.messages and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(smtp_sink.messages) == 1
    sent = message_from_bytes(smtp_sink.messages[0]["data"], policy=policy.default)
    assert smtp_sink.messages[0]["to"] == ["jo@customer.example"]
    assert sent["In-Reply-To"] == "<second@customer.example>"
    assert sent["References"].split() == ["<first@customer.example>", "<second@customer.example>"]
    assert sent["Subject"] == "Re: My renewal"
    assert "Dear Jo Customer, yes it is final. Rita Agent" in sent.get_content()  # the template, filled in
    reply = Email.objects.get(direction="outbound")
    assert (reply.message_id, reply.delivery_status, reply.thread_id) == (sent["Message-ID"], "sent", email.thread_id)

    page.goto(f"{live_server.url}/admin/messaging/email/{email.pk}/change/")  # the thread, as the agent sees it now
    thread = page.locator("table.email-thread")
    expect(thread.get_by_text("→ jo@customer.example")).to_be_visible()
    expect(thread.get_by_text("yes it is final", exact=False)).to_be_visible()
    screenshots = Path(settings.BASE_DIR) / "var" / "screenshots"
    screenshots.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=screenshots / "email-reply.png", full_page=True)
    assert [e for e in page.console_errors if "WebSocket" not in e] == []
