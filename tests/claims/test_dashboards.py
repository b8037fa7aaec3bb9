"""Seed 001 claims dashboards: KPIs, alerts, overview and assessment progress — scoped to the user, a fixed
number of queries, and a status change reaching dashboards over the event bus."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from apps.accounts.roles import Role
from apps.claims import services
from apps.claims.models import Assessment, Claim
from apps.core.events import DASHBOARD_GROUP
from tests.conftest import client_for
from tests.factories.accounts import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def book(file_claim, insured, settings):
    settings.CLAIM_PAYMENT_AUTHORITY = {"agent": 100, "manager": 100000}
    settings.CLAIM_LARGE_RESERVE = 1000
    _, agent, _ = insured
    manager = UserFactory(role=Role.MANAGER)
    late = file_claim(claim_type="flood", days_ago=10)
    Claim.objects.filter(pk=late.pk).update(reported_date=timezone.localdate() - timedelta(days=5))
    big = file_claim(claim_type="storm", amount="3000")
    services.claim_transition(claim=big, actor=agent, to="triage")
    services.claim_reserve_set(claim=big, actor=agent, amount=Decimal("2500"), reason="estimate")
    paid = file_claim(claim_type="fire")
    services.claim_transition(claim=paid, actor=agent, to="triage")
    services.claim_transition(claim=paid, actor=manager, to="approved", settlement_amount=Decimal("800"))
    services.claim_payment_request(claim=paid, actor=manager, amount=Decimal("800"), payee_name="Ana")
    services.claim_transition(claim=paid, actor=agent, to="paid")
    services.claim_transition(claim=paid, actor=agent, to="closed")
    services.claim_transition(claim=big, actor=manager, to="approved", settlement_amount=Decimal("2000"))
    services.claim_payment_request(claim=big, actor=agent, amount=Decimal("500"), payee_name="Repairs")  # pending
    Claim.objects.filter(pk=late.pk).update(fraud_score=72, fraud_review="pending")
    Assessment.objects.create(claim=big, status="scheduled", scheduled_for=timezone.now() - timedelta(days=1))
    return manager, late, big, paid


def test_kpis(book, django_assert_max_num_queries):
    manager, *_ = book
    with django_assert_max_num_queries(8):
        data = client_for(manager).get("/api/v1/dashboard/kpi", {"period": "week"}).json()["data"]
    assert data["openClaims"] == 2
    assert (data["newClaims"], data["closedClaims"]) == (3, 1)
    assert data["reserveOutstanding"] == 2000.0  # set to the approved 2,000; the pending 500 is held in it
    assert (data["paidInPeriod"], data["paymentsInPeriod"]) == (800.0, 1)
    assert data["approvalRate"] == 1.0
    assert data["fraudReviewQueue"] == 1
    assert data["slaBreaches"] == {"triage": 1, "open": 0}
    assert data["avgDaysToClose"] == 0.0
    assert client_for(manager).get("/api/v1/dashboard/kpi", {"period": "year"}).status_code == 400


def test_alerts_most_severe_first(book, django_assert_max_num_queries):
    manager, late, big, _ = book
    with django_assert_max_num_queries(10):
        alerts = client_for(manager).get("/api/v1/dashboard/alerts").json()["data"]["alerts"]
    kinds = [(a["type"], a["claimNumber"]) for a in alerts]
    # Both high; among equals an alert with no start date (the fraud score) comes before a dated one.
    assert kinds[:2] == [("fraud", late.claim_number), ("sla_breach", late.claim_number)]
    assert ("large_reserve", big.claim_number) in kinds
    assert ("payment_approval", big.claim_number) in kinds


def test_overview_and_assessments(book, django_assert_max_num_queries):
    manager, *_ = book
    client = client_for(manager)
    with django_assert_max_num_queries(10):
        overview = client.get("/api/v1/dashboard/claims").json()["data"]
        progress = client.get("/api/v1/dashboard/assessments").json()["data"]
    assert overview["byStatus"]["closed"] == 1
    assert overview["byStatus"]["submitted"] == 1
    assert overview["openByAge"] == {"0-7": 2, "8-30": 0, "31-90": 0, "90+": 0}
    assert overview["openByType"] == {"flood": 1, "storm": 1}
    assert progress["byStatus"]["scheduled"] == 1
    assert progress["overdueInspections"] == 1


def test_agents_see_their_scope_only(book):
    other_agent = UserFactory(role=Role.AGENT)
    data = client_for(other_agent).get("/api/v1/dashboard/kpi").json()["data"]
    assert data["openClaims"] == 0


@pytest.mark.django_db(transaction=True)
def test_a_status_change_reaches_the_dashboard_group(home_product):
    """Through the real channel layer, in a thread of its own (see the batch progress socket test)."""
    import asyncio
    import threading

    from asgiref.sync import sync_to_async
    from channels.layers import get_channel_layer

    from tests.claims.conftest import make_insured

    outcome = {}

    def change_status():
        user, agent, policy = make_insured(home_product)
        claim, _ = services.claim_file(
            actor=user,
            policy=policy,
            claim_type="fire",
            claimed_amount=Decimal("100"),
            description="x",
            incident_date=timezone.localdate(),
            incident_place="x",
        )
        services.claim_transition(claim=claim, actor=agent, to="triage")
        return claim.claim_number

    async def scenario():
        layer = get_channel_layer()
        channel = await layer.new_channel()
        await layer.group_add(DASHBOARD_GROUP, channel)
        number = await sync_to_async(change_status)()
        seen = []
        while not seen or seen[-1]["to"] != "triage":
            message = await asyncio.wait_for(layer.receive(channel), 10)
            if message["event"]["event"] == "claim:status_changed":
                seen.append(message["event"]["data"])
        outcome["seen"] = (number, seen)

    def run():
        try:
            asyncio.run(scenario())
        except BaseException as exc:
            outcome["error"] = exc

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(60)
    if "error" in outcome:
        raise outcome["error"]
    number, seen = outcome["seen"]
    assert [(e["claim_number"], e["from"], e["to"]) for e in seen] == [
        (number, None, "submitted"),
        (number, "submitted", "triage"),
    ]
