"""A customer with an overdue instalment pays it from the portal through the sandbox provider's hosted page."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from apps.accounts.roles import Role
from apps.billing.models import Instalment, Payment
from apps.core.formatting import format_money
from apps.policies.services import policy_create
from tests.factories.customers import CustomerFactory
from tests.factories.policies import ProductFactory, ProductLineFactory, RatingRuleFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_customer_pays_an_overdue_instalment_with_pay_now(live_server, page, make_user, password):
    product = ProductFactory(code="home-e2e", line=ProductLineFactory(code="home"), base_premium=Decimal("1200.00"))
    RatingRuleFactory(product=product, factor="sum_insured", multiplier=Decimal("1.0"))
    agent = make_user(Role.AGENT)
    user = make_user(Role.CUSTOMER, email="dana@example.org", first_name="Dana")
    customer = CustomerFactory(agent=agent, user=user, email="dana@example.org")
    policy = policy_create(
        actor=agent,
        customer=customer,
        product=product,
        start_date=date.today() - timedelta(days=10),
        sum_insured=Decimal("100000"),
        payment_frequency="monthly",
        activate=True,
    )
    overdue = policy.instalments.get(sequence=1)
    errors = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)

    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Email").fill("dana@example.org")
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/")
    expect(page.get_by_role("heading", name="Payment overdue")).to_be_visible()
    page.goto(f"{live_server.url}/payments")
    overdue_panel = page.locator("section", has=page.get_by_role("heading", name="Overdue"))
    expect(overdue_panel).to_contain_text(policy.policy_number)
    overdue_panel.get_by_role("button", name="Pay now").click()
    page.get_by_role("button", name=f"Pay {overdue.amount} EUR").click()
    page.wait_for_url(f"{live_server.url}/payments?paid=*")

    expect(page.get_by_role("status")).to_contain_text(f"Thank you — {format_money(overdue.amount, 'EUR')} received")
    expect(page.get_by_role("heading", name="Overdue")).to_have_count(0)
    receipts = page.locator("section", has=page.get_by_role("heading", name="Receipts"))
    expect(receipts).to_contain_text(format_money(overdue.amount, "EUR"))
    assert Payment.objects.get().amount == overdue.amount
    assert Instalment.objects.get(pk=overdue.pk).status == Instalment.Status.PAID
    assert [e for e in errors if "WebSocket" not in e] == []
