"""Recommendations on constructed data where the right answer is known."""

from datetime import date
from decimal import Decimal

import pytest

from apps.accounts.roles import Role
from tests.factories.customers import CustomerFactory
from tests.factories.policies import PolicyFactory, ProductFactory, ProductLineFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalogue():
    lines = {code: ProductLineFactory(code=code) for code in ("auto", "home", "health", "life")}
    return {
        "motor": ProductFactory(code="motor", line=lines["auto"]),
        "home": ProductFactory(code="home", line=lines["home"]),
        "health": ProductFactory(code="health", line=lines["health"], max_age=64),
        "senior-health": ProductFactory(code="senior-health", line=lines["health"], min_age=65),
        "life": ProductFactory(code="life", line=lines["life"], base_premium=Decimal("90")),
    }


def test_ranking_follows_gaps_and_co_ownership(auth_client, catalogue):
    client, agent = auth_client(Role.AGENT)
    customer = CustomerFactory(agent=agent, date_of_birth=date(1990, 5, 1))
    PolicyFactory(customer=customer, product=catalogue["motor"])
    for i in range(10):  # peers: everyone has motor; 8 also home, 2 also life
        peer = CustomerFactory()
        PolicyFactory(customer=peer, product=catalogue["motor"])
        PolicyFactory(customer=peer, product=catalogue["home"] if i < 8 else catalogue["life"])

    data = client.get("/api/v1/recommendations", {"customer_id": customer.pk}).json()["data"]
    ranked = [(r["product"], r["score"]) for r in data["recommendations"]]

    # home: gap 2.0 + 3 × 8/10 = 4.4; life: gap 1.0 + 3 × 2/10 + age 0.5 = 2.1; health: gap 1.5
    assert ranked == [("home", "4.400"), ("life", "2.100"), ("health", "1.500")]
    home = data["recommendations"][0]
    assert "8 of 10 customers with similar cover hold it." in home["reasons"]
    assert "senior-health" not in [r["product"] for r in data["recommendations"]]  # not eligible at 36
    assert "motor" not in [r["product"] for r in data["recommendations"]]  # already held


def test_customer_gets_their_own_and_agent_needs_access(auth_client, catalogue):
    client, user = auth_client(Role.CUSTOMER)
    CustomerFactory(user=user, date_of_birth=date(1950, 1, 1))
    agent_client, _ = auth_client(Role.AGENT)

    mine = client.get("/api/v1/recommendations").json()["data"]["recommendations"]
    stranger = agent_client.get("/api/v1/recommendations", {"customer_id": CustomerFactory().pk})
    missing = agent_client.get("/api/v1/recommendations")

    assert [r["product"] for r in mine][:1] == ["home"]
    assert "senior-health" in [r["product"] for r in mine]
    assert "health" not in [r["product"] for r in mine]  # over 64
    assert stranger.status_code == 404
    assert missing.status_code == 400


def test_the_relationship_moves_the_ranking_with_its_reasons(auth_client, catalogue):
    """Interactions, a priced quote, a deal in progress and a declined one (CRM, through the hook) each count,
    once per line, and say why."""
    from datetime import timedelta

    from django.utils import timezone

    from apps.crm.models import OpportunityStage
    from tests.factories.crm import ActivityFactory, OpportunityFactory
    from tests.factories.customers import InteractionFactory
    from tests.factories.policies import QuoteFactory

    client, agent = auth_client(Role.AGENT)
    customer = CustomerFactory(agent=agent, date_of_birth=date(1990, 5, 1))
    PolicyFactory(customer=customer, product=catalogue["motor"])
    now = timezone.now()
    for days in (3, 10):  # twice about the flat: counts once
        InteractionFactory(
            customer=customer,
            type="call",
            summary="Asked about insuring her new flat",
            occurred_at=now - timedelta(days=days),
        )
    InteractionFactory(customer=customer, type="note", summary="Travel plans", occurred_at=now - timedelta(days=400))
    QuoteFactory(product=catalogue["life"], customer=customer)
    OpportunityFactory(
        customer=customer,
        agent=agent,
        product_line=catalogue["health"].line,
        stage=OpportunityStage.LOST,
        lost_reason="Too dear",
        closed_at=now - timedelta(days=20),
    )
    ActivityFactory(customer=customer, author=agent, kind="meeting", subject="Reviewed household contents", lead=None)

    data = client.get("/api/v1/recommendations", {"customer_id": customer.pk}).json()["data"]
    ranked = {r["product"]: r for r in data["recommendations"]}

    # home: gap 2.0 + interaction 1.0 + CRM activity 0.75; life: gap 1.0 + age 0.5 + quote 1.5;
    # health: gap 1.5 - declined 3.0 → hidden
    assert ranked["home"]["score"] == "3.750"
    assert any(
        r.startswith("You talked to us about home cover on") and r.endswith("(call).")
        for r in ranked["home"]["reasons"]
    )
    assert any(r.startswith("You discussed home cover with your agent on") for r in ranked["home"]["reasons"])
    assert sorted(s["source"] for s in ranked["home"]["signals"]) == ["crm.activity", "interaction"]
    assert ranked["life"]["score"] == "3.000"
    assert any(r.startswith("You priced ") for r in ranked["life"]["reasons"])
    assert "health" not in ranked


def test_a_deal_in_progress_lifts_its_line_but_our_own_unworked_suggestion_does_not(auth_client, catalogue):
    from apps.crm.models import OpportunityStage
    from tests.factories.crm import OpportunityFactory

    client, agent = auth_client(Role.AGENT)
    customer = CustomerFactory(agent=agent, date_of_birth=date(1990, 5, 1))
    OpportunityFactory(
        customer=customer, agent=agent, product_line=catalogue["life"].line, stage=OpportunityStage.QUOTED
    )
    OpportunityFactory(customer=customer, agent=agent, product_line=catalogue["health"].line, suggested=True)

    ranked = {
        r["product"]: r
        for r in client.get("/api/v1/recommendations", {"customer_id": customer.pk}).json()["data"]["recommendations"]
    }

    assert ranked["life"]["score"] == "2.500"  # gap 1.0 + age 0.5 + open deal 1.0
    assert "Your agent is preparing a life offer with you." in ranked["life"]["reasons"]
    assert ranked["health"]["score"] == "1.500"  # the gap only
