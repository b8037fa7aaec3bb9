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


def test_two_duplicates_merge_from_the_leads_list_and_the_merge_is_undone_from_lead_merges(agent_client):
    from apps.crm.models import Activity, Lead, LeadMerge
    from tests.factories.crm import ActivityFactory

    agent = agent_client.agent
    older = ClientLeadFactory(first_name="Rui", last_name="Matos", assigned_agent=agent, email="")
    newer = ClientLeadFactory(first_name="Rui", last_name="Matos", assigned_agent=agent, email="rui@matos.pt")
    call = ActivityFactory(lead=newer, author=agent)

    agent_client.post(
        reverse("admin:crm_lead_changelist"), {"action": "merge_duplicates", "_selected_action": [older.pk, newer.pk]}
    )

    merge = LeadMerge.objects.get()
    assert (merge.lead_id, merge.into_lead_id) == (newer.pk, older.pk)
    assert Activity.objects.get(pk=call.pk).lead_id == older.pk
    listing = agent_client.get(reverse("admin:crm_leadmerge_changelist")).content.decode()
    assert "can undo until" in listing

    agent_client.post(
        reverse("admin:crm_leadmerge_changelist"), {"action": "undo_selected", "_selected_action": [merge.pk]}
    )

    merge.refresh_from_db()
    assert merge.undone_at is not None
    assert Activity.objects.get(pk=call.pk).lead_id == newer.pk
    assert Lead.objects.get(pk=newer.pk).merged_at is None
    assert "undone" in agent_client.get(reverse("admin:crm_leadmerge_changelist")).content.decode()


def test_merging_needs_exactly_two_leads(agent_client):
    from apps.crm.models import LeadMerge

    lead = ClientLeadFactory(assigned_agent=agent_client.agent)

    response = agent_client.post(
        reverse("admin:crm_lead_changelist"), {"action": "merge_duplicates", "_selected_action": [lead.pk]}, follow=True
    )

    assert "Select exactly two leads" in response.content.decode()
    assert not LeadMerge.objects.exists()


def test_an_import_shows_its_outcome_and_its_failed_rows_download(agent_client):
    from tests.factories.crm import LeadImportFactory

    mine = LeadImportFactory(actor=agent_client.agent, file_name="fair-2026.csv")
    theirs = LeadImportFactory(file_name="someone-else.csv")

    listing = agent_client.get(reverse("admin:crm_leadimport_changelist")).content.decode()
    detail = agent_client.get(reverse("admin:crm_leadimport_change", args=[mine.pk])).content.decode()
    csv = agent_client.get(reverse("admin:crm_leadimport_failed_rows", args=[mine.pk, "csv"]))
    xlsx = agent_client.get(reverse("admin:crm_leadimport_failed_rows", args=[mine.pk, "xlsx"]))
    other = agent_client.get(reverse("admin:crm_leadimport_failed_rows", args=[theirs.pk, "csv"]))

    assert "fair-2026.csv" in listing
    assert "someone-else.csv" not in listing
    assert "1 new, 1 failed" in listing
    assert "row 3: No name" in detail
    assert reverse("admin:crm_leadimport_failed_rows", args=[mine.pk, "xlsx"]) in detail
    assert csv.status_code == 200
    assert "No name" in csv.content.decode()
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")
    assert other.status_code == 404


def test_the_board_marks_deals_requested_from_a_quote_and_suggested_cross_sells(
    agent_client, django_assert_max_num_queries
):
    from tests.factories.policies import QuoteFactory

    OpportunityFactory(agent=agent_client.agent, title="From the portal", quote=QuoteFactory())
    OpportunityFactory(agent=agent_client.agent, title="Gap", suggested=True, suggestion_reasons=["No home cover."])
    for _ in range(5):
        OpportunityFactory(agent=agent_client.agent, quote=QuoteFactory())

    with django_assert_max_num_queries(12):
        page = agent_client.get(reverse("admin:crm_opportunity_board")).content.decode()

    assert page.count("Requested from a quote") == 6
    assert 'title="No home cover."' in page
    assert "Suggested cross-sell" in page


def test_board_cards_carry_plain_ids_that_the_drop_can_post_back(agent_client):
    """USE_THOUSAND_SEPARATOR would print deal 1761 as "1,761"; the drop would then post an id that matches nothing."""
    from apps.crm.models import Opportunity

    deal = OpportunityFactory(agent=agent_client.agent)
    Opportunity.objects.filter(pk=deal.pk).update(id=123456)

    page = agent_client.get(reverse("admin:crm_opportunity_board")).content.decode()

    assert 'data-deal="123456"' in page
