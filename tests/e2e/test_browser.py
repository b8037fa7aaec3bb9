"""What people see: the portal sign-in and home, the back office sign-in and the customer screens."""

import pytest
from playwright.sync_api import expect

from apps.accounts.roles import Role
from tests.factories.customers import CustomerFactory, InteractionFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_portal_sign_in_with_a_wrong_then_right_password(live_server, page, make_user, password):
    make_user(Role.CUSTOMER, email="chris@example.org", first_name="Chris")
    errors = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)

    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Email").fill("chris@example.org")
    page.get_by_label("Password").fill("not-my-password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_be_visible()
    assert page.get_by_label("Email").input_value() == "chris@example.org"  # what was typed is kept

    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/")
    expect(page.get_by_role("heading", name="Welcome, Chris")).to_be_visible()
    # no CSP violations or script errors (the live test server speaks WSGI only, so the portal's websocket for
    # live notifications cannot connect here; that path is tested with daphne elsewhere)
    assert [e for e in errors if "WebSocket" not in e] == []


def test_agent_finds_a_customer_in_the_back_office(live_server, page, make_user, password):
    agent = make_user(Role.AGENT, email="agent@example.org")
    customer = CustomerFactory(agent=agent, first_name="Filipa", last_name="Quaresma")
    InteractionFactory(customer=customer, author=agent, summary="Asked about flood cover")

    page.goto(f"{live_server.url}/admin/")
    page.fill("#id_username", "agent@example.org")
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")
    page.goto(f"{live_server.url}/admin/customers/customer/?q=filip+quar")
    page.get_by_role("link", name=customer.customer_code).click()

    expect(page.get_by_text("Asked about flood cover")).to_be_visible()
    expect(page.locator("#id_address_city")).to_have_value("Lisboa")
