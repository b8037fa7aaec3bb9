"""Cross-sell gaps the recommendations find, put in front of the owning agent as suggested opportunities."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from apps.accounts.roles import Role
from apps.crm.models import Opportunity, OpportunityStage
from apps.crm.recommendations import cross_sell_suggest
from tests.conftest import client_for
from tests.factories.crm import OpportunityFactory
from tests.factories.customers import CustomerFactory, InteractionFactory
from tests.factories.policies import PolicyFactory, ProductFactory, ProductLineFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalogue():
    lines = {code: ProductLineFactory(code=code) for code in ("auto", "home", "health", "travel")}
    return {
        "motor": ProductFactory(code="motor", line=lines["auto"]),
        "home": ProductFactory(code="home", line=lines["home"], base_premium=Decimal("240.00")),
        "health": ProductFactory(code="health", line=lines["health"]),
        "travel": ProductFactory(code="travel", line=lines["travel"]),
    }


def test_gaps_become_suggested_deals_for_the_customers_agent_once(make_user, catalogue, settings):
    settings.CRM_SUGGESTION_MIN_SCORE = 1.5
    agent = make_user(Role.AGENT)
    customer = CustomerFactory(agent=agent, date_of_birth=date(1980, 1, 1))
    PolicyFactory(customer=customer, product=catalogue["motor"])
    InteractionFactory(customer=customer, summary="Moving to a new house next month")
    quiet = CustomerFactory(agent=agent)  # nothing happened with them lately: not looked at
    old = PolicyFactory(customer=quiet, product=catalogue["motor"])
    type(old).objects.filter(pk=old.pk).update(updated_at=timezone.now() - timedelta(days=30))

    made = cross_sell_suggest()

    suggested = Opportunity.objects.filter(suggested=True).order_by("product_line__code")
    # home: gap 2.0 + the interaction 1.0; health: gap 1.5 + over 40 0.5; travel 0.5: under the bar
    assert made == 2
    assert [(o.customer, o.agent, o.product_line.code, o.stage) for o in suggested] == [
        (customer, agent, "health", OpportunityStage.NEW),
        (customer, agent, "home", OpportunityStage.NEW),
    ]
    home = suggested.get(product_line__code="home")
    assert home.value == Decimal("240.00")
    assert "You have no home cover yet." in home.suggestion_reasons
    assert any(r.startswith("You talked to us about home cover") for r in home.suggestion_reasons)
    assert cross_sell_suggest() == 0  # a re-run suggests nothing twice

    listed = client_for(agent).get("/api/v1/opportunities", {"suggested": "true"}).json()["data"]["opportunities"]
    assert sorted(o["product_line"] for o in listed) == ["health", "home"]
    assert all(o["suggested"] for o in listed)


def test_no_suggestion_for_a_line_with_a_deal_open_or_just_declined(make_user, catalogue, settings):
    settings.CRM_SUGGESTION_MIN_SCORE = 1.5
    agent = make_user(Role.AGENT)
    customer = CustomerFactory(agent=agent, date_of_birth=date(1980, 1, 1))
    InteractionFactory(customer=customer, summary="Call")
    OpportunityFactory(customer=customer, agent=agent, product_line=catalogue["home"].line, stage="Negotiation")
    OpportunityFactory(
        customer=customer,
        agent=agent,
        product_line=catalogue["health"].line,
        stage=OpportunityStage.LOST,
        lost_reason="Has cover through work",
        closed_at=timezone.now() - timedelta(days=5),
    )

    cross_sell_suggest()

    assert list(Opportunity.objects.filter(suggested=True).values_list("product_line__code", flat=True)) == []
