"""The service desk in a real browser against daphne (HTTP and the websocket) on the test database: a customer
opens a request in the portal; an agent answers it and adds an internal note in the back office (a second
browser); the customer's request page shows the answer live (ticket:updated over the socket, no reload) and never
the note — not live, not after a reload."""

import pytest
from playwright.sync_api import expect

from apps.accounts.roles import Role
from apps.support.models import Ticket, TicketMessage
from tests.e2e.test_walkthroughs import LIVE_TIMEOUT, SocketWatch, shot, sign_in_to_admin
from tests.factories.accounts import TeamFactory
from tests.factories.customers import CustomerFactory

pytestmark = pytest.mark.django_db(transaction=True)

ANSWER = "Yes — windscreen repairs are covered with no excess. Book any approved glass repairer."
NOTE = "Customer is VIP-flagged by finance; check the arrears before promising anything."


def test_customer_opens_a_request_and_sees_the_answer_live_but_never_the_note(
    asgi_server, new_page, make_user, password
):
    server = asgi_server
    team = TeamFactory(name="Customer service")
    agent = make_user(Role.AGENT, email="sam.agent@example.org", first_name="Sam", last_name="Reis", team=team)
    account = make_user(Role.CUSTOMER, email="ines.costa@example.org", first_name="Inês", last_name="Costa")
    customer = CustomerFactory(user=account, agent=agent, first_name="Inês", last_name="Costa")

    # The customer signs in to the portal and opens a request with "Contact us".
    page = new_page()
    sockets = SocketWatch(page)
    page.goto(f"{server.url}/login")
    page.get_by_label("Email").fill(account.email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{server.url}/")
    page.goto(f"{server.url}/support/new")
    page.get_by_label("What is it about").select_option("policy")
    page.get_by_label("Subject").fill("Is a cracked windscreen covered?")
    page.get_by_label("Your message").fill("A stone hit my windscreen on the motorway. Am I covered?")
    page.get_by_role("button", name="Send").click()
    ticket = Ticket.objects.get(customer=customer)
    page.wait_for_url(f"{server.url}/support/requests/{ticket.pk}")
    expect(page.get_by_text(f"your request {ticket.ticket_number} is with our team")).to_be_visible()
    assert (ticket.assignee_id, ticket.channel, ticket.status) == (agent.pk, "portal", "new")
    conversation = page.locator("[data-live-part=conversation]")
    expect(conversation).to_contain_text("A stone hit my windscreen")
    shot(page, "desk-01-customer-opened-a-request")

    # From here on the customer's page must not reload.
    sockets.wait_until_listening()
    page.evaluate("window.__sameDocument = true")
    heard_before = len(sockets.events)

    # The agent answers in the back office...
    desk = new_page()
    sign_in_to_admin(desk, server, agent.email, password)
    desk.goto(f"{server.url}/admin/support/ticket/{ticket.pk}/change/")
    expect(desk.get_by_text(ticket.ticket_number).first).to_be_visible()
    desk.fill("#id_reply", ANSWER)
    shot(desk, "desk-02-agent-answers")
    desk.get_by_role("button", name="Save", exact=True).click()
    desk.wait_for_url(f"{server.url}/admin/support/ticket/")
    shot(desk, "desk-02b-saved")
    assert TicketMessage.objects.filter(ticket=ticket, sender="staff", body=ANSWER).exists(), server.errors()

    # ...and the customer sees the answer arrive, and the request move to open.
    for _ in range(LIVE_TIMEOUT // 100):
        if "ticket:updated" in sockets.events[heard_before:]:
            break
        page.wait_for_timeout(100)
    assert "ticket:updated" in sockets.events[heard_before:], sockets.events
    expect(conversation).to_contain_text(ANSWER, timeout=LIVE_TIMEOUT)
    expect(page.locator("[data-ticket-status]")).to_have_text("Open", timeout=LIVE_TIMEOUT)
    assert page.evaluate("window.__sameDocument") is True, "the request page reloaded"
    shot(page, "desk-03-customer-sees-the-answer-live")
    heard_after_answer = len(sockets.events)
    assert "ticket:updated" in sockets.events[heard_before:]

    # The agent adds an internal note.
    desk.goto(f"{server.url}/admin/support/ticket/{ticket.pk}/change/")
    desk.fill("#id_reply", NOTE)
    desk.check("#id_internal")
    desk.get_by_role("button", name="Save", exact=True).click()
    desk.wait_for_url(f"{server.url}/admin/support/ticket/")
    desk.goto(f"{server.url}/admin/support/ticket/{ticket.pk}/change/")
    expect(desk.get_by_text(NOTE)).to_be_visible()  # staff see it, marked as a note
    assert "· INTERNAL NOTE" in desk.content()
    shot(desk, "desk-04-agent-sees-the-note")
    assert TicketMessage.objects.filter(ticket=ticket, internal=True, body=NOTE).exists()

    # The customer never sees it: no event reaches their socket for it, the page stays as it was, and a reload of
    # the page (or their request list) does not show it either.
    page.wait_for_timeout(1500)  # time for a message, if one were (wrongly) coming
    assert len(sockets.events) == heard_after_answer, sockets.events[heard_after_answer:]
    expect(conversation).not_to_contain_text(NOTE)
    page.reload()
    expect(page.locator("[data-live-part=conversation]")).to_contain_text(ANSWER)
    expect(page.locator("body")).not_to_contain_text(NOTE)
    expect(page.locator("body")).not_to_contain_text("VIP")
    shot(page, "desk-05-customer-never-sees-the-note")

    assert page.console_errors == []
    assert desk.console_errors == []
    assert server.errors() == []
