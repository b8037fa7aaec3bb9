"""`seed_demo --leads N`: the set-based CRM volumes for benchmarks."""

import io

import pytest
from django.db.models import F

from apps.accounts.models import User
from apps.accounts.roles import Role
from apps.crm.demo import volumes_generate
from apps.crm.models import Activity, Appointment, Lead, Opportunity, Task
from tests.factories.accounts import TeamFactory, UserFactory
from tests.factories.customers import CustomerFactory

pytestmark = pytest.mark.django_db


def test_volumes_are_generated_in_proportion_owned_by_agents_and_only_the_shortfall_twice():
    team = TeamFactory()
    UserFactory(role=Role.AGENT, team=team)
    CustomerFactory.create_batch(3)

    volumes_generate(leads=40, stdout=io.StringIO())
    volumes_generate(leads=40, stdout=io.StringIO())
    volumes_generate(leads=48, stdout=io.StringIO())

    assert Lead.objects.count() == 48
    assert Activity.objects.count() == 48 * 5
    assert Opportunity.objects.count() == 12
    assert Task.objects.filter(assignee__isnull=False).count() == Task.objects.count() > 0
    assert Appointment.objects.filter(end__gt=F("start")).count() == Appointment.objects.count() > 0
    assert User.objects.filter(role=Role.AGENT).count() == 2  # topped up: 500 per 200k leads, at least 2
    assert Lead.objects.filter(assigned_agent__isnull=False).exclude(team_id=F("assigned_agent__team_id")).count() == 0
    assert set(Lead.objects.values_list("status", flat=True)) <= {"New", "Contacted", "Qualified", "Converted", "Lost"}
