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


def test_the_bulk_scores_are_the_one_customer_scores(make_user, catalogue, settings):
    """`recommend_many` (the daily run) answers what `recommend` (the API) does, reasons in the same order, for
    customers with peers, interactions, quotes, open and declined deals and activities on them and their deals."""
    from apps.policies.recommendations import recommend, recommend_many
    from tests.factories.crm import ActivityFactory
    from tests.factories.policies import QuoteFactory

    agent = make_user(Role.AGENT)
    busy = CustomerFactory(agent=agent, date_of_birth=date(1980, 1, 1))
    PolicyFactory(customer=busy, product=catalogue["motor"])
    InteractionFactory(customer=busy, summary="Planning a holiday in spring")
    QuoteFactory(customer=busy, product=catalogue["health"])
    deal = OpportunityFactory(customer=busy, agent=agent, product_line=catalogue["home"].line, stage="Quoted")
    ActivityFactory(lead=None, opportunity=deal, subject="Flat", body="Went through the flat's contents")
    ActivityFactory(lead=None, customer=busy, subject="Call", body="Asked about travel cover")
    OpportunityFactory(
        customer=busy,
        agent=agent,
        product_line=catalogue["health"].line,
        stage=OpportunityStage.LOST,
        lost_reason="Too dear",
        closed_at=timezone.now() - timedelta(days=3),
    )
    others = [CustomerFactory(agent=agent, date_of_birth=date(1995, 6, 1)) for _ in range(3)]
    PolicyFactory(customer=others[0], product=catalogue["home"])
    PolicyFactory(customer=others[0], product=catalogue["travel"])
    PolicyFactory(customer=others[1], product=catalogue["motor"])
    PolicyFactory(customer=others[1], product=catalogue["health"])
    customers = [busy, *others]

    def shown(recs):
        return [(r.product.code, r.score, r.reasons) for r in recs]

    bulk = recommend_many(customers, limit=10)

    for customer in customers:
        assert shown(bulk[customer.pk]) == shown(recommend(customer, limit=10))
    reasons = [reason for rec in bulk[busy.pk] for reason in rec.reasons]
    assert any("customers with similar cover hold it" in r for r in reasons)
    assert any(r.startswith("You priced") for r in reasons)
    assert any(r.startswith("You decided against health cover") for r in reasons)
    assert "Your agent is preparing a home offer with you." in reasons
    assert any(r.startswith("You discussed home cover with your agent") for r in reasons)


def test_a_run_looks_at_so_many_customers_and_the_next_carries_on(
    make_user, catalogue, settings, django_capture_on_commit_callbacks, monkeypatch
):
    from apps.core import events
    from apps.crm.models import OpportunityEvent

    heard = []
    deliver_many = events.deliver_many
    monkeypatch.setattr(events, "deliver_many", lambda batch: (heard.append(batch), deliver_many(batch)))
    settings.CRM_SUGGESTION_MIN_SCORE = 1.5
    agent = make_user(Role.AGENT)
    customers = [CustomerFactory(agent=agent, date_of_birth=date(1980, 1, 1)) for _ in range(3)]
    for customer in customers:
        InteractionFactory(customer=customer, summary="Call")

    def suggested_to():
        return sorted(set(Opportunity.objects.filter(suggested=True).values_list("customer_id", flat=True)))

    def run():  # a run's cursor moves when it commits
        with django_capture_on_commit_callbacks(execute=True):
            return cross_sell_suggest(limit=2)

    assert run() == 4  # health and home, for the first two
    assert len(heard) == 1  # the run's events, delivered together
    assert (
        sorted((e["event"], e["data"]["fields"], f"user.{agent.pk}" in groups) for e, groups in heard[0])
        == [("opportunity:updated", ["created"], True)] * 4
    )
    assert OpportunityEvent.objects.filter(opportunity__suggested=True, from_stage="", to_stage="New").count() == 4
    assert suggested_to() == [customers[0].pk, customers[1].pk]
    assert run() == 2  # the third; then the end is reached and the next run starts over
    assert suggested_to() == [c.pk for c in customers]
    assert run() == 0  # the first two again: nothing twice
