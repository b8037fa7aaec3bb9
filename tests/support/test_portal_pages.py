"""The portal's help centre and support requests: contact us opens a ticket, the conversation never shows an
internal note, a reply and reopen go through the same services, a closed request takes no reply."""

import pytest
from django.test import Client

from apps.accounts.roles import Role
from apps.support import services
from apps.support.models import FaqSearchMiss, FaqVote, Ticket
from tests.factories.accounts import TeamFactory
from tests.factories.customers import CustomerFactory
from tests.factories.support import FaqFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(make_user):
    agent = make_user(Role.AGENT, team=TeamFactory())
    account = make_user(Role.CUSTOMER)
    customer = CustomerFactory(user=account, agent=agent)
    client = Client()
    client.force_login(account)
    return agent, account, customer, client


def test_contact_us_opens_a_request(people):
    agent, account, customer, client = people

    response = client.post("/support/new", {"category": "billing", "subject": "Receipt", "description": "Please."})

    ticket = Ticket.objects.get(customer=customer)
    assert response.status_code == 302
    assert response["Location"] == f"/support/requests/{ticket.pk}"
    assert (ticket.channel, ticket.category, ticket.assignee_id) == ("portal", "billing", agent.pk)
    assert ticket.ticket_number in client.get("/support/requests").content.decode()


def test_request_page_shows_replies_never_notes_and_takes_a_reply(people):
    agent, account, customer, client = people
    ticket = services.ticket_open(actor=account, customer=customer, subject="Cover", description="Start date?")
    services.ticket_message_add(ticket=ticket, actor=agent, body="Internal: check fraud list", internal=True)
    services.ticket_message_add(ticket=ticket, actor=agent, body="It starts on 1 March.")

    page = client.get(f"/support/requests/{ticket.pk}").content.decode()
    client.post(f"/support/requests/{ticket.pk}", {"body": "Thanks!"})

    assert "It starts on 1 March." in page
    assert "fraud list" not in page
    assert list(ticket.messages.values_list("body", flat=True))[-1] == "Thanks!"


def test_resolved_request_can_be_reopened_and_a_closed_one_takes_no_reply(people):
    agent, account, customer, client = people
    ticket = services.ticket_open(actor=account, customer=customer, subject="Cover", description="x")
    services.ticket_update(ticket=ticket, actor=agent, status="resolved")

    client.post(f"/support/requests/{ticket.pk}/reopen")
    ticket.refresh_from_db()
    assert ticket.status == "reopened"

    services.ticket_update(ticket=ticket, actor=agent, status="resolved")
    services.ticket_update(ticket=ticket, actor=agent, status="closed")
    page = client.get(f"/support/requests/{ticket.pk}").content.decode()
    response = client.post(f"/support/requests/{ticket.pk}", {"body": "Hello?"})

    assert "Open a new request" in page
    assert "open a new request" in response.content.decode().lower()
    assert ticket.messages.count() == 1


def test_someone_elses_request_is_not_found(people, make_user):
    _, account, customer, _ = people
    ticket = services.ticket_open(actor=account, customer=customer, subject="Cover", description="x")
    stranger = make_user(Role.CUSTOMER)
    CustomerFactory(user=stranger)
    client = Client()
    client.force_login(stranger)

    assert client.get(f"/support/requests/{ticket.pk}").status_code == 404
    assert Client().get("/support/new").status_code == 302  # signed out: to the sign-in page


def test_help_centre_search_and_votes():
    faq = FaqFactory(question="How do I file a claim?", answer="Open Claims.")
    client = Client()

    found = client.get("/help", {"q": "claim"}).content.decode()
    client.get("/help", {"q": "pet insurance"})
    client.post(f"/help/faqs/{faq.pk}/vote", {"helpful": "yes"})

    assert "How do I file a claim?" in found
    assert FaqSearchMiss.objects.get().query == "pet insurance"
    assert FaqVote.objects.get().helpful is True
