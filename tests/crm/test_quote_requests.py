"""From a quote to an agent's pipeline: the quote is stored, a customer or prospect applies for it, it becomes an
opportunity or a lead for the right agent with the quote attached, and the customer is told when it is picked up."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from apps.accounts.roles import Role
from apps.catalog.models import Quote, QuoteStatus
from apps.crm import services
from apps.crm.models import Activity, Lead, LeadSource, LeadStatus, Opportunity, OpportunityStage
from apps.notifications.models import Notification
from tests.conftest import client_for
from tests.factories.accounts import TeamFactory
from tests.factories.crm import LeadAssignmentRuleFactory
from tests.factories.customers import CustomerFactory
from tests.factories.policies import ProductFactory, ProductLineFactory, QuoteFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def home():
    return ProductFactory(code="home-plus", name="Home Plus", line=ProductLineFactory(code="home"))


@pytest.fixture
def home_desk(make_user, home):
    """A team whose assignment rule takes home quotes, with two agents (least loaded picks)."""
    team = TeamFactory(name="Home desk")
    rule = LeadAssignmentRuleFactory(team=team)
    rule.product_lines.add(home.line)
    busy = make_user(Role.AGENT, team=team, email="busy@example.org")
    free = make_user(Role.AGENT, team=team, email="free@example.org")
    Lead.objects.create(kind="client", first_name="Old", assigned_agent=busy, team=team)
    return team, busy, free


def _price(client, product) -> dict:
    response = client.post("/api/v1/quotes", {"product": product.code, "age": 40}, format="json")
    assert response.status_code == 201, response.content
    return response.json()["data"]


def test_a_quote_is_stored_and_readable_by_its_reference(api_client, home):
    data = _price(api_client, home)

    quote = Quote.objects.get(reference=data["id"])
    assert quote.customer is None
    assert quote.annual_premium == Decimal(data["annual_premium"]) == Decimal("300.00")
    assert data["status"] == "quoted"
    assert api_client.get(f"/api/v1/quotes/{data['id']}").json()["data"]["annual_premium"] == "300.00"


def test_a_prospect_applies_and_becomes_a_lead_for_the_least_loaded_agent_of_the_lines_team(
    api_client, home, home_desk, django_capture_on_commit_callbacks
):
    _team, _busy, free = home_desk
    data = _price(api_client, home)

    response = api_client.post(
        f"/api/v1/quotes/{data['id']}/apply",
        {"first_name": "Rita", "last_name": "Lopes", "email": "Rita@Example.com", "message": "Call after 6pm"},
        format="json",
    )

    assert response.status_code == 200, response.content
    assert response.json()["data"]["status"] == "requested"
    lead = Lead.objects.get(quote__reference=data["id"])
    assert (lead.first_name, lead.email, lead.source) == ("Rita", "rita@example.com", LeadSource.QUOTE)
    assert lead.assigned_agent == free
    assert lead.product_interest == home.line
    assert lead.estimated_value == Decimal("300.00")
    assert "Call after 6pm" in lead.notes
    assert "Base premium: 300.00 EUR" in lead.notes
    told = Notification.objects.get(user=free)
    assert told.event == "quote:requested"
    assert "Rita Lopes asks for Home Plus" in told.title

    # the agent picks it up by calling: the quote says so and the prospect gets an email
    with django_capture_on_commit_callbacks(execute=True):
        services.activity_create(actor=free, kind="call", subject="Called Rita", lead=lead)

    quote = Quote.objects.get(reference=data["id"])
    assert quote.status == QuoteStatus.PICKED_UP
    assert quote.picked_up_by == free
    assert api_client.get(f"/api/v1/quotes/{data['id']}").json()["data"]["status"] == "picked_up"
    assert [m.to for m in mail.outbox] == [["rita@example.com"]]
    assert "is now handling your request for Home Plus" in mail.outbox[0].body


def test_a_customer_applies_and_gets_an_opportunity_with_their_own_agent_and_is_notified_on_pick_up(
    make_user, home, home_desk
):
    account = make_user(Role.CUSTOMER, email="ana@example.net")
    own_agent = make_user(Role.AGENT, email="own@example.org")
    customer = CustomerFactory(user=account, agent=own_agent, first_name="Ana", last_name="Reis")
    client = client_for(account)
    data = _price(client, home)
    assert Quote.objects.get(reference=data["id"]).customer == customer

    response = client.post(f"/api/v1/quotes/{data['id']}/apply", {}, format="json")

    assert response.status_code == 200, response.content
    opportunity = Opportunity.objects.get(quote__reference=data["id"])
    assert (opportunity.customer, opportunity.agent, opportunity.value) == (customer, own_agent, Decimal("300.00"))
    assert opportunity.product_line == home.line
    assert opportunity.stage == OpportunityStage.NEW
    assert Activity.objects.get(opportunity=opportunity).subject == "Cover requested from a quote"
    assert not Lead.objects.filter(quote__reference=data["id"]).exists()
    listed = client.get("/api/v1/quotes").json()["data"]["quotes"]
    assert [(q["id"], q["status"]) for q in listed] == [(data["id"], "requested")]

    services.opportunity_update(opportunity=opportunity, actor=own_agent, stage=OpportunityStage.NEEDS_ANALYSIS)

    assert client.get(f"/api/v1/quotes/{data['id']}").json()["data"]["status"] == "picked_up"
    notice = Notification.objects.get(user=account)
    assert notice.event == "quote:picked_up"
    assert "is working on your request for Home Plus" in notice.title
    # a second move does not tell them again
    services.opportunity_update(opportunity=opportunity, actor=own_agent, stage=OpportunityStage.QUOTED)
    assert Notification.objects.filter(user=account).count() == 1


def test_applying_twice_is_a_conflict_and_changes_nothing(api_client, home, home_desk):
    data = _price(api_client, home)
    body = {"first_name": "Rui", "phone": "+351912345678"}
    assert api_client.post(f"/api/v1/quotes/{data['id']}/apply", body, format="json").status_code == 200

    response = api_client.post(f"/api/v1/quotes/{data['id']}/apply", body, format="json")

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "quote_already_requested"
    assert Lead.objects.filter(first_name="Rui").count() == 1


def test_an_expired_quote_cannot_be_applied_for(api_client, home):
    quote = QuoteFactory(product=home, expires_at=timezone.now() - timedelta(minutes=1))

    response = api_client.post(f"/api/v1/quotes/{quote.reference}/apply", {"first_name": "Eva", "email": "e@x.pt"})

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "quote_expired"
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.QUOTED
    assert not Lead.objects.exists()


def test_someone_elses_quote_is_not_found_for_another_customer_or_anonymous(make_user, api_client, home):
    owner = CustomerFactory(user=make_user(Role.CUSTOMER))
    quote = QuoteFactory(product=home, customer=owner)
    other_account = make_user(Role.CUSTOMER)
    CustomerFactory(user=other_account)
    other = client_for(other_account)

    for client in (other, api_client):
        assert client.get(f"/api/v1/quotes/{quote.reference}").status_code == 404
        response = client.post(f"/api/v1/quotes/{quote.reference}/apply", {"first_name": "X", "email": "x@x.pt"})
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.QUOTED
    assert not Lead.objects.exists()
    assert not Opportunity.objects.exists()


def test_a_prospect_must_say_who_they_are(api_client, home):
    quote = QuoteFactory(product=home)

    response = api_client.post(f"/api/v1/quotes/{quote.reference}/apply", {"last_name": "Only"}, format="json")

    assert response.status_code == 400
    assert set(response.json()["error"]["details"]) == {"first_name", "email"}
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.QUOTED


def test_a_refusal_in_the_pipeline_leaves_the_quote_as_it_was(home, monkeypatch):
    """Nothing half-written: the CRM side fails → the quote is not marked requested."""
    from apps.catalog.services import quote_apply
    from apps.crm import quotes

    def broken(quote):
        raise RuntimeError("CRM down")

    monkeypatch.setattr(quotes, "request_owner", broken)
    quote = QuoteFactory(product=home)

    with pytest.raises(RuntimeError):
        quote_apply(quote=quote, actor=None, first_name="Ze", email="z@x.pt")

    quote.refresh_from_db()
    assert quote.status == QuoteStatus.QUOTED
    assert quote.applied_at is None


def test_staff_cannot_list_quotes(make_user):
    response = client_for(make_user(Role.AGENT)).get("/api/v1/quotes")

    assert response.status_code == 403


def test_without_any_rule_the_prospects_lead_waits_for_managers(api_client, home):
    quote = QuoteFactory(product=home)

    api_client.post(f"/api/v1/quotes/{quote.reference}/apply", {"first_name": "Ivo", "email": "i@x.pt"})

    lead = Lead.objects.get(quote=quote)
    assert lead.assigned_agent is None
    assert lead.status == LeadStatus.NEW


def test_converting_a_quote_lead_carries_the_quote_to_the_opportunity(api_client, home, home_desk):
    _team, _busy, free = home_desk
    quote = QuoteFactory(product=home)
    api_client.post(f"/api/v1/quotes/{quote.reference}/apply", {"first_name": "Lia", "email": "lia@x.pt"})
    lead = Lead.objects.get(quote=quote)

    conversion = services.client_lead_convert(lead=lead, actor=free)

    assert conversion.opportunity.quote == quote
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.PICKED_UP


def test_erasure_scrubs_the_applicants_details_of_their_quotes(home):
    from apps.catalog.gdpr import erase_customer_data

    customer = CustomerFactory(email="gone@example.pt")
    as_prospect = QuoteFactory(product=home, applicant_first_name="Gil", applicant_email="gone@example.pt")
    someone_else = QuoteFactory(product=home, applicant_first_name="Ana", applicant_email="ana@example.pt")

    erase_customer_data(customer)

    as_prospect.refresh_from_db()
    someone_else.refresh_from_db()
    assert (as_prospect.applicant_first_name, as_prospect.applicant_email) != ("Gil", "gone@example.pt")
    assert as_prospect.annual_premium == Decimal("300.00")
    assert someone_else.applicant_first_name == "Ana"


def test_a_customer_whose_agent_left_goes_to_the_lines_team(make_user, home, home_desk):
    _team, _busy, free = home_desk
    account = make_user(Role.CUSTOMER)
    CustomerFactory(user=account, agent=make_user(Role.AGENT, is_active=False))
    client = client_for(account)
    data = _price(client, home)

    response = client.post(f"/api/v1/quotes/{data['id']}/apply", {}, format="json")

    assert response.status_code == 200, response.content
    assert Opportunity.objects.get(quote__reference=data["id"]).agent == free
