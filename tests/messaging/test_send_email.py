"""`POST /messages/send` with channel email: the consent gate, the mailbox's SMTP (a real aiosmtpd sink), threading
onto the contact's conversation, and the unified inbox."""

from datetime import timedelta
from email import message_from_bytes, policy

import pytest
from django.utils import timezone

from apps.accounts.roles import Role
from apps.messaging.models import Conversation, DncEntry, Email, EmailEvent, OutboundRefusal
from tests.factories.customers import CustomerFactory
from tests.factories.messaging import EmailAccountFactory, EmailFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/messages/send"


@pytest.fixture
def outbox(smtp_sink):
    """A mailbox that sends through the SMTP sink with the sink's login."""
    login, password = smtp_sink.credentials
    return EmailAccountFactory(
        name="Customer service",
        email=login,
        username=login,
        password_encrypted=password,
        smtp_server="127.0.0.1",
        smtp_port=smtp_sink.port,
        use_ssl=False,
    )


@pytest.fixture
def agent_and_customer(auth_client):
    client, agent = auth_client(Role.AGENT)
    customer = CustomerFactory(
        agent=agent,
        first_name="Ana",
        email="Ana.Silva@Example.org",
        communication_preferences={"channels": {"email": True}},
    )
    return client, agent, customer


def _sent(smtp_sink, index=0):
    return message_from_bytes(smtp_sink.messages[index]["data"], policy=policy.default)


def test_a_new_email_goes_through_the_gate_and_the_mailbox_smtp(
    agent_and_customer, outbox, smtp_sink, django_capture_on_commit_callbacks
):
    client, agent, customer = agent_and_customer

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            URL,
            {"channel": "email", "contact_id": customer.pk, "subject": "Your renewal", "body": "Dear Ana, ..."},
            format="json",
        )

    assert response.status_code == 201, response.content
    data = response.json()["data"]
    assert (data["channel"], data["status"], data["contact_id"], data["sent_by_id"]) == (
        "email",
        "queued",
        customer.pk,
        agent.pk,
    )
    assert (data["to_address"], data["from_address"], data["in_reply_to"]) == (
        "Ana.Silva@Example.org",
        "inbox@insureops.test",
        "",
    )
    email = Email.objects.get(pk=data["id"])
    assert (email.delivery_status, email.thread_id, email.correspondent) == (
        "sent",
        email.message_id,
        "ana.silva@example.org",
    )
    assert smtp_sink.logins == ["inbox@insureops.test"]
    assert smtp_sink.messages[0]["to"] == ["Ana.Silva@Example.org"]
    sent = _sent(smtp_sink)
    assert (sent["Subject"], sent["Message-ID"], sent["In-Reply-To"]) == ("Your renewal", email.message_id, None)
    assert sent.get_content().strip() == "Dear Ana, ..."
    conversation = Conversation.objects.get(customer=customer)
    assert (conversation.last_channel, conversation.last_direction, conversation.unread_count) == (
        "email",
        "outbound",
        0,
    )
    assert list(EmailEvent.objects.filter(email=email).values_list("action", flat=True)) == ["Sent"]
    history = client.get(f"/api/v1/messages/{customer.pk}").json()["data"]["messages"]
    assert [(h["type"], h["id"], h["subject"]) for h in history] == [("email", email.pk, "Your renewal")]


def test_without_a_subject_it_answers_the_contacts_latest_email_in_its_thread(
    agent_and_customer, outbox, smtp_sink, django_capture_on_commit_callbacks
):
    client, _, customer = agent_and_customer
    older = EmailFactory(
        account=outbox,
        from_email="ana.silva@example.org",
        message_id="<first@example.org>",
        subject="Claim photos",
        subject_normalised="claim photos",
        received_at=timezone.now() - timedelta(days=3),
    )
    latest = EmailFactory(
        account=outbox,
        from_email="ana.silva@example.org",
        message_id="<second@example.org>",
        thread_id="<first@example.org>",
        in_reply_to="<first@example.org>",
        references="<first@example.org>",
        subject="Re: Claim photos",
        subject_normalised="claim photos",
        received_at=timezone.now() - timedelta(days=1),
    )
    EmailFactory(from_email="ana.silva@example.org", received_at=timezone.now() - timedelta(days=5))  # other box

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            URL, {"channel": "email", "to": "ana.silva@example.org", "body": "We got them."}, format="json"
        )

    assert response.status_code == 201, response.content
    data = response.json()["data"]
    assert (data["thread_id"], data["in_reply_to"], data["references"], data["subject"]) == (
        older.message_id,
        latest.message_id,
        "<first@example.org> <second@example.org>",
        "Re: Claim photos",
    )
    assert data["account_id"] == outbox.pk
    sent = _sent(smtp_sink)
    assert (sent["In-Reply-To"], sent["References"], sent["Subject"]) == (
        "<second@example.org>",
        "<first@example.org> <second@example.org>",
        "Re: Claim photos",
    )
    assert EmailEvent.objects.filter(email=latest, action="Answered").count() == 1


def test_a_subject_already_used_joins_that_thread_a_new_one_starts_one(
    agent_and_customer, outbox, django_capture_on_commit_callbacks
):
    client, _, customer = agent_and_customer
    renewal = EmailFactory(
        account=outbox, from_email="ana.silva@example.org", subject="Renewal quote", subject_normalised="renewal quote"
    )

    same = client.post(
        URL,
        {"channel": "email", "contact_id": customer.pk, "subject": "RE: renewal  quote", "body": "Attached."},
        format="json",
    )
    new = client.post(
        URL,
        {"channel": "email", "contact_id": customer.pk, "subject": "Your new card", "body": "Enclosed."},
        format="json",
    )

    assert same.json()["data"]["thread_id"] == renewal.message_id
    assert same.json()["data"]["in_reply_to"] == renewal.message_id
    assert new.json()["data"]["thread_id"] == new.json()["data"]["message_id"]


def test_dnc_and_missing_consent_are_refused_with_the_reason_recorded_and_nothing_sent(
    agent_and_customer, outbox, smtp_sink
):
    client, _, customer = agent_and_customer
    DncEntry.objects.create(address="ana.silva@example.org", channel="email", reason="Asked by phone")
    stranger = CustomerFactory(agent=customer.agent, email="bo@example.org", communication_preferences={})

    dnc = client.post(
        URL, {"channel": "email", "contact_id": customer.pk, "subject": "Hi", "body": "Hi"}, format="json"
    )
    no_consent = client.post(
        URL, {"channel": "email", "to": stranger.email, "subject": "Hi", "body": "Hi"}, format="json"
    )
    service_only = CustomerFactory(
        agent=customer.agent, email="cleo@example.org", communication_preferences={"channels": {"email": True}}
    )
    marketing = client.post(
        URL,
        {"channel": "email", "to": service_only.email, "subject": "Offer", "body": "Hi", "purpose": "marketing"},
        format="json",
    )

    assert [r.status_code for r in (dnc, no_consent, marketing)] == [422, 422, 422]
    assert [r.json()["error"]["details"]["reason"] for r in (dnc, no_consent, marketing)] == [
        "dnc",
        "no_consent",
        "no_consent",
    ]
    assert Email.objects.count() == 0
    assert smtp_sink.messages == []
    assert sorted(OutboundRefusal.objects.values_list("reason", "source", "count")) == [
        ("dnc", "agent", 1),
        ("no_consent", "agent", 1),
        ("no_consent", "agent", 1),
    ]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"channel": "email", "to": "ana@example.org\r\nBcc: x@evil.example", "subject": "Hi", "body": "Hi"}, "to"),
        (
            {"channel": "email", "to": "ana.silva@example.org", "subject": "Hi\r\nBcc: x@evil.example", "body": "x"},
            "subject",
        ),
        ({"channel": "email", "to": "ana.silva@example.org", "subject": "Hi"}, "body"),
        ({"channel": "email", "to": "ana.silva@example.org", "body": "No thread yet, no subject"}, "subject"),
        ({"channel": "email", "to": "not-an-address", "subject": "Hi", "body": "Hi"}, "to"),
        ({"channel": "email", "to": "ana.silva@example.org", "subject": "Hi", "template_id": 1}, "template_id"),
        (
            {"channel": "email", "to": "ana.silva@example.org", "subject": "Hi", "body": "x", "account_id": 999999},
            "account_id",
        ),
        ({"channel": "sms", "to": "+351912345678", "subject": "Hi", "body": "Hi"}, "subject"),
    ],
)
def test_bad_input_is_a_clear_400_and_nothing_is_stored(agent_and_customer, outbox, smtp_sink, payload, field):
    client, _, _ = agent_and_customer

    response = client.post(URL, payload, format="json")

    assert response.status_code == 400, response.content
    assert field in response.json()["error"]["details"], response.json()
    assert Email.objects.count() == 0
    assert smtp_sink.messages == []


def test_another_agents_customer_is_not_found_by_address_or_id(auth_client, outbox, smtp_sink):
    client, _ = auth_client(Role.AGENT)
    theirs = CustomerFactory(email="theirs@example.org", communication_preferences={"channels": {"email": True}})

    by_address = client.post(
        URL, {"channel": "email", "to": theirs.email, "subject": "Hi", "body": "Hi"}, format="json"
    )
    by_id = client.post(
        URL, {"channel": "email", "contact_id": theirs.pk, "subject": "Hi", "body": "Hi"}, format="json"
    )

    assert (by_address.status_code, by_id.status_code) == (404, 404)
    assert Email.objects.count() == 0


def test_no_mailbox_and_a_paused_mailbox_are_clear_errors(agent_and_customer):
    client, _, customer = agent_and_customer
    payload = {"channel": "email", "contact_id": customer.pk, "subject": "Hi", "body": "Hi"}

    none = client.post(URL, payload, format="json")
    paused = EmailAccountFactory(status="paused")
    chosen_paused = client.post(URL, {**payload, "account_id": paused.pk}, format="json")

    assert none.status_code == 400
    assert none.json()["error"]["details"]["account_id"] == ["No mailbox is configured to send from."]
    assert chosen_paused.json()["error"]["details"]["account_id"] == ["This mailbox is paused."]
    assert Email.objects.count() == 0


@pytest.mark.parametrize("role", [None, Role.CUSTOMER, Role.VIEWER, Role.ASSESSOR])
def test_anonymous_and_wrong_roles_are_refused_and_nothing_is_sent(role, auth_client, api_client, outbox, smtp_sink):
    customer = CustomerFactory(email="ana@example.org", communication_preferences={"channels": {"email": True}})
    client = auth_client(role)[0] if role else api_client
    payload = {"channel": "email", "contact_id": customer.pk, "subject": "Hi", "body": "Hi"}

    response = client.post(URL, payload, format="json")

    assert response.status_code == (401 if role is None else 403)
    assert Email.objects.count() == 0
    assert smtp_sink.messages == []
