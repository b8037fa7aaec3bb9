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
