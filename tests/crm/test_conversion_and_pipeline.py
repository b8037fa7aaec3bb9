"""Converting leads (idempotent, one transaction, the same person's contact reused) and moving deals along the
pipeline (workflow, timeline, opportunity:updated)."""

from unittest import mock

import pytest
from django.urls import reverse

from apps.accounts.roles import Role
from apps.crm.models import AgentCandidate, LeadStatus, Opportunity, OpportunityEvent
from apps.customers.models import Customer
from tests.conftest import client_for
from tests.factories.accounts import TeamFactory, UserFactory
from tests.factories.crm import ClientLeadFactory, OpportunityFactory, RecruitLeadFactory
from tests.factories.customers import CustomerFactory
from tests.factories.policies import PolicyFactory, ProductLineFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent():
    return UserFactory(role=Role.AGENT, team=TeamFactory())


def test_converting_a_client_lead_makes_a_contact_and_a_deal_once(agent):
    line = ProductLineFactory(code="home")
    lead = ClientLeadFactory(
        assigned_agent=agent,
        team=agent.team,
        first_name="Rita",
        last_name="Nunes",
        email="rita@example.com",
        product_interest=line,
        estimated_value=900,
    )
    client = client_for(agent)
    url = reverse("v1:client-leads-convert", kwargs={"pk": lead.pk})

    first = client.post(url, {}, format="json")
    again = client.post(url, {}, format="json")

    assert first.status_code == 201, first.content
    data = first.json()["data"]
    assert data["created"] is True
    assert data["existing_contact"] is False
    assert data["lead"]["status"] == "Converted"
    assert data["opportunity"]["stage"] == "New"
    assert data["opportunity"]["value"] == "900.00"
    assert data["opportunity"]["product_line"] == "home"
    assert data["opportunity"]["agent"]["id"] == agent.pk
    contact = Customer.objects.get(pk=data["contact"]["id"])
    assert (contact.first_name, contact.email, contact.agent_id) == ("Rita", "rita@example.com", agent.pk)
    assert again.status_code == 200
    assert again.json()["data"]["created"] is False
    assert again.json()["data"]["opportunity"]["id"] == data["opportunity"]["id"]
    assert Customer.objects.filter(email="rita@example.com").count() == 1
    assert Opportunity.objects.count() == 1


def test_the_same_person_converts_into_the_existing_customer(agent):
    existing = CustomerFactory(first_name="Tiago", last_name="Reis", email="tiago@example.com", agent=agent)
    lead = ClientLeadFactory(
        assigned_agent=agent, team=agent.team, first_name="Tiago", last_name="Reis", email="TIAGO@example.com"
    )

    response = client_for(agent).post(reverse("v1:client-leads-convert", kwargs={"pk": lead.pk}), {}, format="json")

    data = response.json()["data"]
    assert data["contact"]["id"] == existing.pk
    assert data["existing_contact"] is True
    assert Customer.objects.count() == 1


def test_a_failed_conversion_leaves_nothing_half_written(agent):
    lead = ClientLeadFactory(assigned_agent=agent, team=agent.team)

    with mock.patch("apps.crm.services.opportunity_create", side_effect=RuntimeError("boom")):
        response = client_for(agent).post(reverse("v1:client-leads-convert", kwargs={"pk": lead.pk}), {}, format="json")

    assert response.status_code == 500  # the deal failed after the contact was made: both are rolled back
    lead.refresh_from_db()
    assert lead.status == LeadStatus.NEW
    assert not Customer.objects.filter(email=lead.email).exists()


def test_a_lost_lead_cannot_be_converted(agent):
    lead = ClientLeadFactory(assigned_agent=agent, team=agent.team, status=LeadStatus.LOST, lost_reason="No budget")

    response = client_for(agent).post(reverse("v1:client-leads-convert", kwargs={"pk": lead.pk}), {}, format="json")

    assert response.status_code == 409
    assert response.json()["error"]["details"]["allowed"] == ["New"]
    assert not Opportunity.objects.exists()


def test_a_recruit_lead_is_not_found_under_client_leads(agent):
    lead = RecruitLeadFactory(assigned_agent=agent, team=agent.team)

    response = client_for(agent).post(reverse("v1:client-leads-convert", kwargs={"pk": lead.pk}), {}, format="json")

    assert response.status_code == 404


def test_a_recruit_lead_becomes_a_candidate_once(agent):
    lead = RecruitLeadFactory(assigned_agent=agent, team=agent.team, first_name="Luis", licensed=True)
    client = client_for(agent)
    url = reverse("v1:recruit-leads-convert", kwargs={"pk": lead.pk})

    first = client.post(url, {}, format="json")
    again = client.post(url, {}, format="json")

    assert first.status_code == 201
    candidate = first.json()["data"]["candidate"]
    assert (candidate["stage"], candidate["licensed"], candidate["recruiter"]["id"]) == ("Applied", True, agent.pk)
    assert again.status_code == 200
    assert AgentCandidate.objects.count() == 1


def test_moving_a_deal_to_quoted_records_it_and_tells_the_agent(agent, heard, django_capture_on_commit_callbacks):
    opportunity = OpportunityFactory(agent=agent, team=agent.team, customer=CustomerFactory(agent=agent))

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(agent).put(
            reverse("v1:opportunities-detail", kwargs={"pk": opportunity.pk}), {"stage": "Quoted"}, format="json"
        )

    assert response.status_code == 200, response.content
    data = response.json()["data"]
    assert data["stage"] == "Quoted"
    assert [(e["from_stage"], e["to_stage"], e["actor"]["id"]) for e in data["timeline"]] == [
        ("New", "Quoted", agent.pk)
    ]
    assert "Won" in data["allowed_stages"]
    assert "Quoted" not in data["allowed_stages"]
    assert [(n, d["stage"], d["from"]) for n, d, _ in heard] == [("opportunity:updated", "Quoted", "New")]
    assert f"user.{agent.pk}" in heard[0][2]


def test_unknown_stage_and_lost_without_reason_are_refused(agent):
    opportunity = OpportunityFactory(agent=agent, team=agent.team)
    client = client_for(agent)
    url = reverse("v1:opportunities-detail", kwargs={"pk": opportunity.pk})

    unknown = client.put(url, {"stage": "Closed"}, format="json")
    lost = client.put(url, {"stage": "Lost"}, format="json")

    assert unknown.status_code == 400
    assert lost.status_code == 400
    assert lost.json()["error"]["details"] == {"lost_reason": ["Say why the deal was lost."]}
    assert not OpportunityEvent.objects.filter(opportunity=opportunity).exists()


def test_a_won_deal_links_the_contacts_policy_and_is_closed(agent):
    customer = CustomerFactory(agent=agent)
    opportunity = OpportunityFactory(agent=agent, team=agent.team, customer=customer)
    policy = PolicyFactory(customer=customer, agent=agent)
    client = client_for(agent)
    url = reverse("v1:opportunities-detail", kwargs={"pk": opportunity.pk})

    won = client.put(url, {"stage": "Won", "policy_id": policy.pk}, format="json")
    again = client.put(url, {"stage": "Quoted"}, format="json")

    assert won.json()["data"]["policy_id"] == policy.pk
    assert won.json()["data"]["closed_at"] is not None
    assert again.status_code == 409


def test_another_contacts_policy_cannot_be_linked(agent):
    opportunity = OpportunityFactory(agent=agent, team=agent.team, customer=CustomerFactory(agent=agent))
    other = PolicyFactory(customer=CustomerFactory(agent=agent), agent=agent)

    response = client_for(agent).put(
        reverse("v1:opportunities-detail", kwargs={"pk": opportunity.pk}),
        {"stage": "Won", "policy_id": other.pk},
        format="json",
    )

    assert response.status_code == 400
    opportunity.refresh_from_db()
    assert opportunity.stage == "New"


def test_opportunity_filters(agent):
    home = ProductLineFactory(code="home")
    big = OpportunityFactory(agent=agent, team=agent.team, value=5000, product_line=home, stage="Quoted")
    OpportunityFactory(agent=agent, team=agent.team, value=100)
    client = client_for(agent)

    rows = client.get(
        reverse("v1:opportunities-list"), {"stage": "Quoted", "value_min": 1000, "product_line": "home"}
    ).json()["data"]["opportunities"]

    assert [r["id"] for r in rows] == [big.pk]


def test_managers_see_the_deals_of_the_teams_they_manage_only(agent):
    manager = UserFactory(role=Role.MANAGER)
    agent.team.manager = manager
    agent.team.save()
    mine = OpportunityFactory(agent=agent, team=agent.team)
    OpportunityFactory(agent=UserFactory(role=Role.AGENT, team=TeamFactory()))

    rows = client_for(manager).get(reverse("v1:opportunities-list")).json()["data"]["opportunities"]

    assert [r["id"] for r in rows] == [mine.pk]
