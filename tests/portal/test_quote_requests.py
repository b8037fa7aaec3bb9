"""The portal's side of "I'd like this cover": a priced quote is kept, applied for from its page (a visitor gives
their details, a customer nothing), and its status follows the request."""

import re

import pytest
from django.test import Client

from apps.accounts.roles import Role
from apps.catalog.models import Quote, QuoteStatus
from apps.crm.models import Lead, Opportunity
from tests.factories.accounts import UserFactory
from tests.factories.customers import CustomerFactory
from tests.factories.policies import QuoteFactory

pytestmark = pytest.mark.django_db


def _quote_link(page: str) -> str:
    return re.search(r'href="(/quotes/[0-9a-f-]{36})"', page).group(1)


def test_a_visitor_prices_applies_and_follows_the_request(home_product):
    client = Client()
    priced = client.post(f"/products/{home_product.code}/quote", {"sum_insured": "200000"}).content.decode()
    link = _quote_link(priced)
    assert "I&#x27;d like this cover" in priced or "I'd like this cover" in priced

    missing = client.post(link, {"last_name": "Only"}).content.decode()
    assert "Tell us your name" in missing
    assert Quote.objects.get().status == QuoteStatus.QUOTED

    response = client.post(link, {"first_name": "Vera", "email": "vera@example.pt", "message": "Flat in Porto"})

    assert response.status_code == 302
    assert response["Location"] == link
    page = client.get(link).content.decode()
    assert 'data-quote-status="requested"' in page
    lead = Lead.objects.get()
    assert (lead.first_name, lead.quote.channel) == ("Vera", "portal")


def test_a_customer_applies_in_one_click_and_sees_it_in_my_quotes(home_product):
    account = UserFactory(role=Role.CUSTOMER)
    customer = CustomerFactory(user=account)
    client = Client()
    client.force_login(account)
    link = _quote_link(client.post(f"/products/{home_product.code}/quote", {"sum_insured": "200000"}).content.decode())

    client.post(link, {})

    opportunity = Opportunity.objects.get()
    assert opportunity.customer == customer
    assert opportunity.quote.customer == customer
    listing = client.get("/quotes").content.decode()
    assert "Requested" in listing
    assert home_product.name in listing


def test_another_customers_quote_page_is_not_found(home_product):
    owner = CustomerFactory(user=UserFactory(role=Role.CUSTOMER))
    quote = QuoteFactory(product=home_product, customer=owner)
    client = Client()
    client.force_login(UserFactory(role=Role.CUSTOMER))

    assert client.get(f"/quotes/{quote.reference}").status_code == 404
    assert client.post(f"/quotes/{quote.reference}", {}).status_code == 404
    assert Client().get(f"/quotes/{quote.reference}").status_code == 404
