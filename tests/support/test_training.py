"""Training (seed 004 §3.9 /training/modules): modules by role, required per role, progress and completion with a
quiz score, overdue required training for managers."""

import datetime as dt

import pytest
from django.utils import timezone

from apps.accounts.models import User
from apps.accounts.roles import Role
from apps.support.models import TrainingModule, TrainingProgress
from tests.conftest import client_for
from tests.factories.accounts import TeamFactory
from tests.factories.support import TrainingModuleFactory

pytestmark = pytest.mark.django_db


def test_modules_by_role_and_editing_by_managers(make_user):
    for_agents = TrainingModuleFactory(title="Complaints", audience_roles=["agent"], required_for_roles=["agent"])
    for_assessors = TrainingModuleFactory(title="Photo evidence", audience_roles=["assessor"])
    agent = client_for(make_user(Role.AGENT))
    manager = client_for(make_user(Role.MANAGER))

    listed = agent.get("/api/v1/training/modules").json()["data"]["modules"]

    assert [(m["title"], m["required"]) for m in listed] == [("Complaints", True)]
    assert agent.get(f"/api/v1/training/modules/{for_assessors.pk}").status_code == 404
    assert agent.post("/api/v1/training/modules", {"title": "x"}, format="json").status_code == 403
    created = manager.post(
        "/api/v1/training/modules",
        {"title": "GDPR basics", "required_for_roles": ["agent"], "pass_score": 80},
        format="json",
    )
    assert created.status_code == 201
    assert (
        manager.put(f"/api/v1/training/modules/{for_agents.pk}", {"due_days": 10}, format="json").json()["data"][
            "due_days"
        ]
        == 10
    )
    assert client_for(make_user(Role.CUSTOMER)).get("/api/v1/training/modules").status_code == 403


def test_progress_start_and_complete_with_a_quiz(make_user):
    module = TrainingModuleFactory(pass_score=80)
    agent = make_user(Role.AGENT)
    client = client_for(agent)
    url = f"/api/v1/training/modules/{module.pk}/progress"

    assert client.post(url, {"action": "start"}, format="json").json()["data"]["status"] == "in_progress"
    failed = client.post(url, {"action": "complete", "score": 60}, format="json")
    passed = client.post(url, {"action": "complete", "score": 90}, format="json")

    assert failed.status_code == 400
    assert passed.json()["data"]["status"] == "completed"
    progress = TrainingProgress.objects.get(module=module, user=agent)
    assert (progress.score, progress.completed_at is not None) == (90, True)
    mine = client.get(f"/api/v1/training/modules/{module.pk}").json()["data"]["my_progress"]
    assert mine["status"] == "completed"


def test_overdue_required_training_for_the_managers_team(make_user):
    manager = make_user(Role.MANAGER)
    team = TeamFactory(manager=manager)
    late = make_user(Role.AGENT, team=team)
    done = make_user(Role.AGENT, team=team)
    make_user(Role.AGENT)  # another team's
    module = TrainingModuleFactory(title="Complaints", required_for_roles=["agent"], due_days=7)
    long_ago = timezone.now() - dt.timedelta(days=30)
    TrainingModule.objects.filter(pk=module.pk).update(created_at=long_ago)
    User.objects.filter(pk__in=[late.pk, done.pk]).update(date_joined=long_ago)
    TrainingProgress.objects.create(
        module=module, user=done, status="completed", started_at=long_ago, completed_at=long_ago
    )

    rows = client_for(manager).get("/api/v1/training/overdue").json()["data"]

    assert [(r["user_id"], r["module"]) for r in rows] == [(late.pk, "Complaints")]
    assert rows[0]["days_overdue"] == 23
    assert client_for(late).get("/api/v1/training/overdue").status_code == 403


def test_managers_dashboard_shows_overdue_training_and_tickets_past_their_sla(client, make_user):
    manager = make_user(Role.MANAGER)
    team = TeamFactory(manager=manager)
    late = make_user(Role.AGENT, team=team)
    module = TrainingModuleFactory(required_for_roles=["agent"], due_days=1)
    long_ago = timezone.now() - dt.timedelta(days=10)
    TrainingModule.objects.filter(pk=module.pk).update(created_at=long_ago)
    User.objects.filter(pk=late.pk).update(date_joined=long_ago)
    client.force_login(manager)

    page = client.get("/admin/").content.decode()

    assert "Required training overdue" in page
    assert "1 person(s) in your teams" in page
    assert "Tickets past their SLA" in page
