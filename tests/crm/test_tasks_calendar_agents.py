"""Tasks, appointments (conflicts, the ICS feed), agents with stats, team membership, the contact's CRM records."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from apps.accounts.roles import Role
from apps.crm import services
from apps.crm.models import Appointment, LeadStatus, Task
from tests.conftest import client_for
from tests.factories.accounts import TeamFactory, UserFactory
from tests.factories.crm import ActivityFactory, AppointmentFactory, ClientLeadFactory, OpportunityFactory, TaskFactory
from tests.factories.customers import CustomerFactory
from tests.factories.policies import PolicyFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent():
    return UserFactory(role=Role.AGENT, team=TeamFactory())


def test_tasks_filter_by_assignee_in_either_spelling_and_status(agent):
    teammate = UserFactory(role=Role.AGENT, team=agent.team)
    theirs = TaskFactory(assignee=teammate)
    TaskFactory(assignee=agent)
    TaskFactory(assignee=teammate, status="Completed")
    client = client_for(agent)

    camel = client.get(reverse("v1:tasks-list"), {"assigneeId": teammate.pk, "status": "Pending"}).json()["data"]
    snake = client.get(reverse("v1:tasks-list"), {"assignee_id": teammate.pk, "status": "Pending"}).json()["data"]

    assert [t["id"] for t in camel["tasks"]] == [theirs.pk]
    assert [t["id"] for t in snake["tasks"]] == [theirs.pk]


def test_a_task_for_a_teammate_is_created_and_announced(agent, heard, django_capture_on_commit_callbacks):
    teammate = UserFactory(role=Role.AGENT, team=agent.team)
    lead = ClientLeadFactory(assigned_agent=agent, team=agent.team)
    due = timezone.now() + timedelta(days=2)

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(agent).post(
            reverse("v1:tasks-list"),
            {"title": "Send quote", "assignee_id": teammate.pk, "lead_id": lead.pk, "due_at": due.isoformat()},
            format="json",
        )

    assert response.status_code == 201, response.content
    data = response.json()["data"]
    assert (data["assignee"]["id"], data["lead_id"], data["status"]) == (teammate.pk, lead.pk, "Pending")
    assert heard[0][0] == "task:created"
    assert f"user.{teammate.pk}" in heard[0][2]


def test_a_task_outside_the_callers_team_is_refused(agent):
    outsider = UserFactory(role=Role.AGENT, team=TeamFactory())

    response = client_for(agent).post(
        reverse("v1:tasks-list"), {"title": "x", "assignee_id": outsider.pk}, format="json"
    )

    assert response.status_code == 400
    assert "assignee_id" in response.json()["error"]["details"]
    assert not Task.objects.exists()


def test_a_task_cannot_link_a_record_the_caller_cannot_see(agent):
    hidden = ClientLeadFactory(assigned_agent=UserFactory(role=Role.AGENT, team=TeamFactory()))

    response = client_for(agent).post(reverse("v1:tasks-list"), {"title": "x", "lead_id": hidden.pk}, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["details"] == {"lead_id": ["Not found, or not yours to link."]}


def test_completing_a_task_stamps_it(agent, heard, django_capture_on_commit_callbacks):
    task = TaskFactory(assignee=agent)

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(agent).put(
            reverse("v1:tasks-detail", kwargs={"pk": task.pk}), {"status": "completed"}, format="json"
        )

    assert response.json()["data"]["status"] == "Completed"
    assert response.json()["data"]["completed_at"] is not None
    assert heard[0][0] == "task:updated"


def test_an_overlapping_appointment_is_booked_and_its_conflict_reported(
    agent, heard, django_capture_on_commit_callbacks
):
    start = timezone.now().replace(microsecond=0) + timedelta(days=1)
    existing = AppointmentFactory(agent=agent, start=start, end=start + timedelta(hours=1))
    AppointmentFactory(agent=agent, start=start, end=start + timedelta(hours=1), status="Cancelled")

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(agent).post(
            reverse("v1:appointments-list"),
            {
                "title": "Policy review",
                "start": (start + timedelta(minutes=30)).isoformat(),
                "end": (start + timedelta(minutes=90)).isoformat(),
            },
            format="json",
        )

    assert response.status_code == 201, response.content
    assert [c["id"] for c in response.json()["data"]["conflicts"]] == [existing.pk]
    assert heard[0][0] == "appointment:created"


def test_an_appointment_ending_before_it_starts_is_refused(agent):
    start = timezone.now() + timedelta(days=1)

    response = client_for(agent).post(
        reverse("v1:appointments-list"),
        {"title": "x", "start": start.isoformat(), "end": (start - timedelta(hours=1)).isoformat()},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["error"]["details"] == {"end": ["An appointment must end after it starts."]}
    assert not Appointment.objects.exists()


def test_appointments_in_a_range(agent):
    start = timezone.now() + timedelta(days=3)
    inside = AppointmentFactory(agent=agent, start=start, end=start + timedelta(hours=1))
    AppointmentFactory(agent=agent, start=start + timedelta(days=10), end=start + timedelta(days=10, hours=1))

    rows = (
        client_for(agent)
        .get(
            reverse("v1:appointments-list"),
            {"start": (start - timedelta(days=1)).isoformat(), "end": (start + timedelta(days=1)).isoformat()},
        )
        .json()["data"]["appointments"]
    )

    assert [r["id"] for r in rows] == [inside.pk]


def test_the_ics_feed_is_signed_and_revocable(agent, api_client):
    appointment = AppointmentFactory(agent=agent, title="Home review", location="Porto office")
    client = client_for(agent)

    url = client.post(reverse("v1:calendar-feed")).json()["data"]["url"]
    feed = api_client.get(url)
    forged = api_client.get(url.replace(".ics", "x.ics"))
    renewed = client.post(reverse("v1:calendar-feed")).json()["data"]["url"]
    old_after_renewal = api_client.get(url)
    client.delete(reverse("v1:calendar-feed"))
    revoked = api_client.get(renewed)

    assert feed.status_code == 200
    assert feed["Content-Type"].startswith("text/calendar")
    events = Calendar.from_ical(feed.content).walk("VEVENT")
    assert [(str(e["summary"]), str(e["location"]), str(e["uid"])) for e in events] == [
        ("Home review", "Porto office", f"appointment-{appointment.pk}@insureops")
    ]
    assert forged.status_code == 404
    assert old_after_renewal.status_code == 404
    assert revoked.status_code == 404


def test_agents_with_stats_in_one_query(agent):
    other = UserFactory(role=Role.AGENT, team=agent.team)
    ClientLeadFactory(assigned_agent=agent)
    ClientLeadFactory(assigned_agent=agent, status=LeadStatus.CONVERTED, converted_at=timezone.now())
    OpportunityFactory(agent=agent, value=Decimal("1500.00"))
    OpportunityFactory(agent=agent, value=Decimal("99.00"), stage="Lost", lost_reason="x", closed_at=timezone.now())
    PolicyFactory(agent=agent, status="active", start_date=timezone.localdate(), premium_amount=Decimal("700.00"))
    TaskFactory(assignee=agent, due_at=timezone.now() - timedelta(days=1))
    services.agent_book_stats_refresh()  # the beat job: the book's figures from policies, renewals, commissions
    client = client_for(UserFactory(role=Role.ADMIN))
    client.get(reverse("v1:agents-list"))

    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("v1:agents-list"), {"team": agent.team_id})

    rows = {r["id"]: r["stats"] for r in response.json()["data"]["agents"]}
    assert rows[agent.pk] == {
        "open_leads": 1,
        "conversion_rate": 50.0,
        "pipeline_value": "1500.00",
        "open_opportunities": 1,
        "premium_written": "700.00",
        "policies_in_force": 1,
        "renewals_due": 0,
        "tasks_overdue": 1,
        "avg_first_response_minutes": None,
        "commission_this_period": "0.00",
    }
    assert rows[other.pk]["open_leads"] == 0
    as_of = {r["id"]: r["book_as_of"] for r in response.json()["data"]["agents"]}
    assert as_of[agent.pk] is not None
    stats_queries = [q["sql"] for q in queries.captured_queries if "crm_lead" in q["sql"]]
    assert len(stats_queries) == 1  # every figure of every agent on the page in one statement


def test_the_book_figures_are_those_of_the_last_refresh_and_the_crm_figures_are_live(agent):
    client = client_for(UserFactory(role=Role.ADMIN))
    services.agent_book_stats_refresh()
    PolicyFactory(agent=agent, status="active", start_date=timezone.localdate(), premium_amount=Decimal("250.00"))
    ClientLeadFactory(assigned_agent=agent)

    def stats():
        rows = client.get(reverse("v1:agents-list"), {"team": agent.team_id}).json()["data"]["agents"]
        return next(r["stats"] for r in rows if r["id"] == agent.pk)

    before = stats()
    services.agent_book_stats_refresh()
    after = stats()

    assert (before["open_leads"], before["policies_in_force"], before["premium_written"]) == (1, 0, "0.00")
    assert (after["open_leads"], after["policies_in_force"], after["premium_written"]) == (1, 1, "250.00")


def test_an_agent_sees_themself_and_their_team_only(agent):
    teammate = UserFactory(role=Role.AGENT, team=agent.team)
    UserFactory(role=Role.AGENT, team=TeamFactory())

    rows = client_for(agent).get(reverse("v1:agents-list")).json()["data"]["agents"]

    assert sorted(r["id"] for r in rows) == sorted([agent.pk, teammate.pk])


def test_a_manager_adds_an_agent_to_their_team():
    manager = UserFactory(role=Role.MANAGER)
    team = TeamFactory(manager=manager)
    newcomer = UserFactory(role=Role.AGENT, team=TeamFactory())
    admin = UserFactory(role=Role.ADMIN)

    added = client_for(manager).put(reverse("v1:teams-members", kwargs={"pk": team.pk}), {"user_id": newcomer.pk})
    refused = client_for(manager).put(reverse("v1:teams-members", kwargs={"pk": team.pk}), {"user_id": admin.pk})

    assert added.status_code == 200, added.content
    assert [m["id"] for m in added.json()["data"]["members"]] == [newcomer.pk]
    assert refused.status_code == 400
    newcomer.refresh_from_db()
    assert newcomer.team_id == team.pk


def test_the_contact_detail_carries_its_crm_records_and_policies(agent):
    customer = CustomerFactory(agent=agent)
    policy = PolicyFactory(customer=customer, agent=agent)
    opportunity = OpportunityFactory(customer=customer, agent=agent)
    ActivityFactory(lead=None, customer=customer, author=agent, subject="Called about renewal")
    ActivityFactory(lead=None, opportunity=opportunity, author=agent, subject="Sent quote")
    TaskFactory(assignee=agent, customer=customer)
    AppointmentFactory(agent=agent, customer=customer)

    data = client_for(agent).get(reverse("v1:contacts-detail", kwargs={"pk": customer.pk})).json()["data"]

    assert data["id"] == customer.pk
    assert [p["id"] for p in data["policies"]] == [policy.pk]
    assert sorted(a["subject"] for a in data["activities"]) == ["Called about renewal", "Sent quote"]
    assert [o["id"] for o in data["opportunities"]] == [opportunity.pk]
    assert len(data["tasks"]) == 1
    assert len(data["appointments"]) == 1
