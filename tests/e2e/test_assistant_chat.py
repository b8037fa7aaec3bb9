"""A customer reports a cracked windscreen through the portal's assistant, confirms the claim it prepared, and finds
it in their claims."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from apps.accounts.roles import Role
from apps.claims.models import Claim
from tests.factories.customers import CustomerFactory
from tests.factories.policies import CoverageFactory, PolicyFactory, ProductFactory, ProductLineFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_customer_reports_a_windscreen_claim_through_the_chat(live_server, page, make_user, password):
    user = make_user(Role.CUSTOMER, email="rita@example.org", first_name="Rita")
    customer = CustomerFactory(user=user, email="rita@example.org", agent=make_user(Role.AGENT))
    product = ProductFactory(name="Motor Comprehensive", line=ProductLineFactory(code="auto"))
    CoverageFactory(product=product, code="glass", name="Glass breakage", perils=["glass"], deductible=Decimal("50"))
    policy = PolicyFactory(
        customer=customer,
        product=product,
        start_date=date.today() - timedelta(days=60),
        coverage_selections=[{"code": "glass", "mandatory": True}],
    )
    errors = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)

    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Email").fill("rita@example.org")
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/")
    page.get_by_role("link", name="Assistant").click()

    def say(text):
        count = page.locator(".chat-assistant").count()
        page.get_by_label("Your message").fill(text)
        page.get_by_role("button", name="Send").click()
        # the first answer loads the intent model and the date parser in the server: give a loaded machine time
        expect(page.locator(".chat-assistant")).to_have_count(count + 1, timeout=30_000)
        return page.locator(".chat-assistant").last

    expect(say("Hello")).to_contain_text("report a claim")
    expect(say("My windscreen cracked yesterday")).to_contain_text("Where did it happen?")
    expect(say("On the A1 near Coimbra")).to_contain_text("photos")
    expect(say("yes")).to_contain_text("how much")
    proposal = say("about 300 euros")
    expect(proposal).to_contain_text(policy.policy_number)
    assert not Claim.objects.exists()
    proposal.get_by_role("button", name="Confirm").click()
    expect(page.locator(".chat-assistant").last).to_contain_text("is filed", timeout=30_000)
    claim = Claim.objects.get()

    page.get_by_role("link", name="Claims", exact=True).click()
    expect(page.get_by_role("main")).to_contain_text(claim.claim_number)
    assert (claim.claim_type, claim.customer_id) == ("glass", customer.pk)
    assert [e for e in errors if "WebSocket" not in e] == []
