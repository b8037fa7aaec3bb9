"""The CRM back office: the pipeline board shows deals by stage and a drop moves one through the service."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.accounts.roles import Role
from apps.crm.models import OpportunityEvent
from tests.factories.accounts import TeamFactory, UserFactory
from tests.factories.crm import AppointmentFactory, ClientLeadFactory, OpportunityFactory, TaskFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent_client(client):
    agent = UserFactory(role=Role.AGENT, team=TeamFactory())
    client.force_login(agent)
    client.agent = agent
    return client


def test_the_board_shows_the_agents_deals_by_stage(agent_client):
    mine = OpportunityFactory(agent=agent_client.agent, title="Home for the Matos family", stage="Quoted")
    OpportunityFactory(agent=UserFactory(role=Role.AGENT, team=TeamFactory()), title="Someone else's deal")

    response = agent_client.get(reverse("admin:crm_opportunity_board"))

    assert response.status_code == 200
    quoted = next(c for c in response.context["columns"] if c["stage"] == "Quoted")
    assert [d.pk for d in quoted["deals"]] == [mine.pk]
    assert b"Someone else" not in response.content
    assert b"js/admin_pipeline_board.js" in response.content


def test_a_drop_moves_the_deal_through_the_service(agent_client):
    deal = OpportunityFactory(agent=agent_client.agent)

    moved = agent_client.post(reverse("admin:crm_opportunity_board_move"), {"opportunity": deal.pk, "stage": "Quoted"})
    refused = agent_client.post(reverse("admin:crm_opportunity_board_move"), {"opportunity": deal.pk, "stage": "Lost"})

    assert moved.json() == {"id": deal.pk, "stage": "Quoted"}
    assert refused.status_code == 400
    assert refused.json() == {"error": "Say why the deal was lost."}
    assert list(OpportunityEvent.objects.filter(opportunity=deal).values_list("to_stage", flat=True)) == ["Quoted"]


def test_lead_and_task_screens_list_the_agents_rows(agent_client):
    lead = ClientLeadFactory(assigned_agent=agent_client.agent, score=64)
    TaskFactory(assignee=agent_client.agent, title="Call Carolina")

    leads = agent_client.get(reverse("admin:crm_lead_changelist"))
    lead_page = agent_client.get(reverse("admin:crm_lead_change", args=[lead.pk]))
    tasks = agent_client.get(reverse("admin:crm_task_changelist"))

    assert leads.status_code == 200
    assert lead_page.status_code == 200
    assert b"Call Carolina" in tasks.content


def test_my_day_lists_todays_tasks_and_appointments(agent_client):
    now = timezone.now()
    TaskFactory(assignee=agent_client.agent, title="Overdue call", due_at=now - timedelta(days=1))
    TaskFactory(assignee=agent_client.agent, title="Next week", due_at=now + timedelta(days=7))
    AppointmentFactory(agent=agent_client.agent, title="Review", start=now, end=now + timedelta(minutes=30))

    response = agent_client.get(reverse("admin:crm_my_day"))

    assert [t.title for t in response.context["tasks"]] == ["Overdue call"]
    assert [a.title for a in response.context["appointments"]] == ["Review"]
