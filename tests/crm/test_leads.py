"""Leads: create with scoring, assignment and duplicates; filters; the status workflow; activities rescore."""

import pytest
from django.urls import reverse

from apps.accounts.roles import Role
from apps.crm import services
from apps.crm.models import AssignmentStrategy, Lead, LeadStatus
from tests.conftest import client_for
from tests.factories.accounts import TeamFactory, UserFactory
from tests.factories.crm import ClientLeadFactory, LeadAssignmentRuleFactory, RecruitLeadFactory
from tests.factories.customers import CustomerFactory
from tests.factories.policies import ProductLineFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def team():
    return TeamFactory()


@pytest.fixture
def agent(team):
    return UserFactory(role=Role.AGENT, team=team)


def test_an_agent_creates_a_client_lead_that_is_theirs_scored_with_reasons(
    agent, heard, django_capture_on_commit_callbacks
):
    ProductLineFactory(code="home")
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(agent).post(
            reverse("v1:client-leads"),
            {
                "first_name": "Ana",
                "last_name": "Silva",
                "email": "Ana.Silva@Example.com",
                "phone": "+351912000111",
                "source": "referral",
                "product_interest": "home",
                "estimated_value": "1200.00",
            },
            format="json",
        )

    assert response.status_code == 201, response.content
    data = response.json()["data"]
    assert data["assigned_agent"]["id"] == agent.pk
    assert data["team"]["id"] == agent.team_id
    assert data["email"] == "ana.silva@example.com"
    assert data["status"] == "New"
    factors = {f["factor"]: f for f in data["score_breakdown"]}
    assert set(factors) == {"source", "engagement", "completeness", "recency", "product_fit"}
    assert factors["source"]["points"] == 25
    assert factors["product_fit"]["points"] == 20
    assert factors["engagement"]["points"] == 0
    assert data["score"] == sum(f["points"] for f in data["score_breakdown"])
    assert data["duplicates"] == []
    assert [(name, d["lead_id"], d["fields"]) for name, d, _ in heard] == [("lead:updated", data["id"], ["created"])]
    assert f"user.{agent.pk}" in heard[0][2]


def test_create_reports_likely_duplicates_among_leads_and_contacts(agent):
    contact = CustomerFactory(first_name="Ana", last_name="Silva", email="ana@example.com", phone="+351912000111")
    ClientLeadFactory(first_name="Anna", last_name="Silva", email="other@example.com", phone="+351913999999")

    response = client_for(agent).post(
        reverse("v1:client-leads"),
        {"first_name": "Ana", "last_name": "Silva", "email": "ANA@example.com"},
        format="json",
    )

    duplicates = response.json()["data"]["duplicates"]
    # the contact: email 45 + name 20; the other lead shares only a similar name (19 points, under the threshold)
    assert [(d["kind"], d["id"], d["score"], d["reasons"]) for d in duplicates] == [
        ("contact", contact.pk, 65, ["same email", "same name"])
    ]


def test_a_phone_and_name_match_is_reported_with_its_score(agent):
    earlier = ClientLeadFactory(first_name="Rui", last_name="Costa", email="", phone="+351912555444")

    response = client_for(agent).post(
        reverse("v1:client-leads"), {"first_name": "Rui", "last_name": "Costa", "phone": "+351912555444"}, format="json"
    )

    assert response.json()["data"]["duplicates"] == [
        {
            "kind": "lead",
            "id": earlier.pk,
            "name": "Rui Costa",
            "email": "",
            "phone": "+351912555444",
            "status": "New",
            "score": 55,
            "reasons": ["same phone", "same name"],
        }
    ]


def test_a_managers_lead_for_a_team_goes_round_robin(team):
    manager = UserFactory(role=Role.MANAGER)
    team.manager = manager
    team.save()
    first, second = UserFactory(role=Role.AGENT, team=team), UserFactory(role=Role.AGENT, team=team)
    LeadAssignmentRuleFactory(team=team, strategy=AssignmentStrategy.ROUND_ROBIN)
    client = client_for(manager)

    owners = [
        client.post(reverse("v1:client-leads"), {"first_name": f"P{i}", "team_id": team.pk}, format="json").json()[
            "data"
        ]["assigned_agent"]["id"]
        for i in range(3)
    ]

    assert owners == [first.pk, second.pk, first.pk]


def test_least_loaded_picks_the_agent_with_fewest_open_leads(team):
    busy, free = UserFactory(role=Role.AGENT, team=team), UserFactory(role=Role.AGENT, team=team)
    ClientLeadFactory(assigned_agent=busy, team=team)
    ClientLeadFactory(assigned_agent=free, team=team, status=LeadStatus.LOST, lost_reason="x")

    lead, _ = services.lead_create(actor=UserFactory(role=Role.ADMIN), kind="client", first_name="Z", team=team)

    assert lead.assigned_agent == free


def test_an_agent_cannot_assign_a_lead_outside_their_team(agent):
    outsider = UserFactory(role=Role.AGENT, team=TeamFactory())

    response = client_for(agent).post(
        reverse("v1:client-leads"), {"first_name": "X", "assigned_agent_id": outsider.pk}, format="json"
    )

    assert response.status_code == 400
    assert "assigned_agent_id" in response.json()["error"]["details"]
    assert not Lead.objects.exists()


def test_a_recruit_field_on_a_client_lead_is_refused(agent):
    response = client_for(agent).post(reverse("v1:client-leads"), {"first_name": "X", "licensed": True}, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["details"] == {"licensed": ["Not a field of a client lead."]}


def test_lists_filter_by_status_score_and_search_and_scope_by_team(agent, team):
    mine = ClientLeadFactory(assigned_agent=agent, team=team, score=70, last_name="Moreira")
    ClientLeadFactory(assigned_agent=UserFactory(role=Role.AGENT, team=team), team=team, score=20)
    ClientLeadFactory(assigned_agent=UserFactory(role=Role.AGENT, team=TeamFactory()), score=90)  # another team
    RecruitLeadFactory(assigned_agent=agent, team=team)
    client = client_for(agent)

    everything = client.get(reverse("v1:client-leads")).json()["data"]
    scored = client.get(reverse("v1:client-leads"), {"score_min": 50, "status": "New"}).json()["data"]
    found = client.get(reverse("v1:client-leads"), {"search": "moreira"}).json()["data"]

    assert everything["pagination"]["total_records"] == 2
    assert [row["id"] for row in scored["client_leads"]] == [mine.pk]
    assert [row["id"] for row in found["client_leads"]] == [mine.pk]
    assert client.get(reverse("v1:recruit-leads")).json()["data"]["pagination"]["total_records"] == 1


def test_search_is_full_text_by_name_prefixes_email_parts_and_phone_digits(agent, team):
    joana = ClientLeadFactory(
        assigned_agent=agent,
        team=team,
        first_name="Joana",
        last_name="Sousa Marques",
        email="jsm@corretora.pt",
        phone="+351912345678",
    )
    joao = ClientLeadFactory(assigned_agent=agent, team=team, first_name="João", last_name="Marques", email="")
    ClientLeadFactory(assigned_agent=agent, team=team, first_name="Rui", last_name="Costa", email="rui@example.pt")
    client = client_for(agent)

    def ids(term):
        response = client.get(reverse("v1:client-leads"), {"search": term})
        assert response.status_code == 200, response.content
        return sorted(row["id"] for row in response.json()["data"]["client_leads"])

    assert ids("jo marq") == sorted([joana.pk, joao.pk])  # every word as a prefix, AND-ed
    assert ids("sousa jo") == [joana.pk]
    assert ids("corretora") == [joana.pk]  # the email split at @ and dots
    assert ids("+351 912 345 678") == [joana.pk]  # a phone typed with spaces: its digits
    assert ids("costa marques") == []
    assert ids("!!!") == []  # no word at all: nothing, not everything


def test_a_customer_sees_no_leads():
    response = client_for(UserFactory(role=Role.CUSTOMER)).get(reverse("v1:client-leads"))

    assert response.status_code == 403


def test_status_moves_follow_the_workflow_and_lost_needs_a_reason(agent, team):
    lead = ClientLeadFactory(assigned_agent=agent, team=team)
    client = client_for(agent)
    url = reverse("v1:leads-detail", kwargs={"pk": lead.pk})

    no_reason = client.put(url, {"status": "Lost"}, format="json")
    qualified = client.put(url, {"status": "qualified"}, format="json")
    converted = client.put(url, {"status": "Converted"}, format="json")
    lost = client.put(url, {"status": "Lost", "lost_reason": "Bought elsewhere"}, format="json")
    reopen = client.put(url, {"status": "New"}, format="json")

    assert no_reason.status_code == 400
    assert no_reason.json()["error"]["details"] == {"lost_reason": ["Say why the lead was lost."]}
    assert qualified.json()["data"]["status"] == "Qualified"
    assert converted.status_code == 409
    assert lost.json()["data"]["lost_reason"] == "Bought elsewhere"
    assert reopen.status_code == 403  # reopening is for managers
    lead.refresh_from_db()
    assert lead.status == LeadStatus.LOST


def test_an_unknown_status_is_a_clear_400(agent, team):
    lead = ClientLeadFactory(assigned_agent=agent, team=team)

    response = client_for(agent).put(
        reverse("v1:leads-detail", kwargs={"pk": lead.pk}), {"status": "Hot"}, format="json"
    )

    assert response.status_code == 400
    assert "status" in response.json()["error"]["details"]


def test_a_call_contacts_the_lead_and_raises_its_score(agent, team, heard, django_capture_on_commit_callbacks):
    lead, _ = services.lead_create(actor=agent, kind="client", first_name="Maria", last_name="Lopes")
    before = lead.score

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(agent).post(
            reverse("v1:leads-activities", kwargs={"pk": lead.pk}),
            {"kind": "call", "subject": "Intro", "body": "Wants a quote for her flat."},
            format="json",
        )

    assert response.status_code == 201, response.content
    data = response.json()["data"]
    assert data["activity"]["lead_id"] == lead.pk
    assert data["lead"]["status"] == "Contacted"
    engagement = next(f for f in data["lead"]["score_breakdown"] if f["factor"] == "engagement")
    assert engagement == {"factor": "engagement", "points": 7, "max": 25, "reason": "Contact so far: 1 call."}
    assert data["lead"]["score"] == before + 7
    assert data["lead"]["first_contacted_at"] is not None
    assert heard[-1][0] == "lead:updated"
    assert heard[-1][1]["fields"] == ["activities", "score", "status"]


def test_an_empty_activity_is_refused_and_writes_nothing(agent, team):
    lead = ClientLeadFactory(assigned_agent=agent, team=team)

    response = client_for(agent).post(
        reverse("v1:leads-activities", kwargs={"pk": lead.pk}), {"kind": "note"}, format="json"
    )

    assert response.status_code == 400
    assert not lead.activities.exists()


def test_bulk_map_places_known_headers_and_returns_the_rest_unmapped(agent):
    response = client_for(agent).post(
        reverse("v1:leads-bulk-map"),
        {"headers": ["Full Name", "Email Address", "Source", "Phone Numbr", "Favourite colour", "E-mail"]},
        format="json",
    )

    data = response.json()["data"]
    fields = {m["header"]: (m["field"], m["confidence"]) for m in data["mappings"]}
    assert fields == {
        "Full Name": ("full_name", 1.0),
        "Email Address": (None, 0.0),  # "E-mail" is the field's own name: it wins, this one is reported unmapped
        "Source": ("source", 1.0),
        "Phone Numbr": ("phone", 0.76),
        "Favourite colour": (None, 0.0),
        "E-mail": ("email", 1.0),
    }
    reasons = {m["header"]: m["reason"] for m in data["mappings"]}
    assert reasons["Email Address"] == "Would be email, but 'E-mail' fits it better."
    assert data["unmapped"] == ["Email Address", "Favourite colour"]
    assert data["missing_required"] == []


def test_bulk_map_says_when_no_name_column_is_there(agent):
    response = client_for(agent).post(reverse("v1:leads-bulk-map"), {"headers": ["Colour", "Size"]}, format="json")

    assert response.json()["data"]["missing_required"] == ["first_name or full_name"]
    assert response.json()["data"]["unmapped"] == ["Colour", "Size"]
