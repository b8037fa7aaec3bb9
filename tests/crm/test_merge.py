"""Merging a duplicate lead into a lead or a contact, and undoing it."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.accounts.roles import Role
from apps.crm import merging
from apps.crm.models import Activity, Appointment, Lead, LeadMerge, Task
from tests.conftest import client_for
from tests.factories.accounts import TeamFactory, UserFactory
from tests.factories.crm import ActivityFactory, AppointmentFactory, ClientLeadFactory, RecruitLeadFactory, TaskFactory
from tests.factories.customers import CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent():
    return UserFactory(role=Role.AGENT, team=TeamFactory())


def _history_count(model) -> int:
    return model.pgh_event_model.objects.count()


def test_a_duplicate_lead_is_merged_with_everything_moved_and_the_undo_puts_it_all_back(agent):
    keep = ClientLeadFactory(assigned_agent=agent, team=agent.team, email="", city="", last_name="Sousa")
    dup = ClientLeadFactory(assigned_agent=agent, team=agent.team, email="ana@example.pt", city="Porto")
    calls = ActivityFactory.create_batch(2, lead=dup, author=agent)
    own = ActivityFactory(lead=keep, author=agent)
    task = TaskFactory(assignee=agent, lead=dup)
    meeting = AppointmentFactory(agent=agent, lead=dup)
    client = client_for(agent)
    audit_before = _history_count(Activity)

    response = client.post(
        reverse("v1:leads-merge", kwargs={"pk": dup.pk}), {"into_lead_id": keep.pk, "reason": "same person"}, "json"
    )

    assert response.status_code == 201, response.content
    data = response.json()["data"]
    assert data["moved"] == {
        "activities": sorted(a.pk for a in calls),
        "tasks": [task.pk],
        "appointments": [meeting.pk],
    }
    assert data["filled"] == ["city", "email"]
    assert data["into_lead"]["id"] == keep.pk
    keep.refresh_from_db()
    assert (keep.email, keep.email_key, keep.city, keep.last_name) == (
        "ana@example.pt",
        "ana@example.pt",
        "Porto",
        "Sousa",
    )
    assert set(Activity.objects.filter(lead=keep).values_list("pk", flat=True)) == {own.pk, *(a.pk for a in calls)}
    assert Task.objects.get(pk=task.pk).lead_id == keep.pk
    assert Appointment.objects.get(pk=meeting.pk).lead_id == keep.pk
    assert Lead.objects.get(pk=dup.pk).merged_at is not None
    listed = client.get(reverse("v1:client-leads")).json()["data"]["client_leads"]
    assert [row["id"] for row in listed] == [keep.pk]  # the duplicate is hidden
    assert client.get(reverse("v1:leads-detail", kwargs={"pk": dup.pk})).status_code == 404
    assert _history_count(Activity) == audit_before + 2  # each move is in the audit trail

    undone = client.post(reverse("v1:leads-merge-undo", kwargs={"pk": data["id"]}))

    assert undone.status_code == 200, undone.content
    assert undone.json()["data"]["kept_fields"] == []
    assert undone.json()["data"]["merge"]["undone_at"] is not None
    keep.refresh_from_db()
    assert (keep.email, keep.email_key, keep.city) == ("", "", "")
    assert set(Activity.objects.filter(lead=dup).values_list("pk", flat=True)) == {a.pk for a in calls}
    assert Activity.objects.filter(lead=keep).count() == 1
    assert Task.objects.get(pk=task.pk).lead_id == dup.pk
    assert Appointment.objects.get(pk=meeting.pk).lead_id == dup.pk
    assert Lead.objects.get(pk=dup.pk).merged_at is None
    again = client.post(reverse("v1:leads-merge-undo", kwargs={"pk": data["id"]}))
    assert again.status_code == 409


def test_an_undo_keeps_a_survivor_field_edited_since_the_merge(agent):
    keep = ClientLeadFactory(assigned_agent=agent, team=agent.team, city="")
    dup = ClientLeadFactory(assigned_agent=agent, team=agent.team, city="Porto")
    merge = merging.lead_merge(lead=dup, into_lead=keep, actor=agent)
    Lead.objects.filter(pk=keep.pk).update(city="Braga")

    merge, kept = merging.lead_merge_undo(merge=merge, actor=agent)

    assert kept == ["city"]
    assert Lead.objects.get(pk=keep.pk).city == "Braga"


def test_a_lead_merged_into_a_contact_hands_its_history_to_the_contact_and_back(agent):
    contact = CustomerFactory(agent=agent)
    dup = ClientLeadFactory(assigned_agent=agent, team=agent.team)
    call = ActivityFactory(lead=dup, author=agent)
    task = TaskFactory(assignee=agent, lead=dup)

    response = client_for(agent).post(
        reverse("v1:leads-merge", kwargs={"pk": dup.pk}), {"into_contact_id": contact.pk}, "json"
    )

    assert response.status_code == 201, response.content
    assert response.json()["data"]["into_contact"]["id"] == contact.pk
    assert (Activity.objects.get(pk=call.pk).customer_id, Activity.objects.get(pk=call.pk).lead_id) == (
        contact.pk,
        None,
    )
    assert Task.objects.get(pk=task.pk).customer_id == contact.pk

    merging.lead_merge_undo(merge=LeadMerge.objects.get(), actor=agent)

    assert (Activity.objects.get(pk=call.pk).customer_id, Activity.objects.get(pk=call.pk).lead_id) == (None, dup.pk)
    assert (Task.objects.get(pk=task.pk).customer_id, Task.objects.get(pk=task.pk).lead_id) == (None, dup.pk)


@pytest.mark.parametrize(
    ("case", "status", "message"),
    [
        ("itself", 400, "A lead cannot be merged into itself."),
        ("recruit", 400, "A client lead and a recruit lead are not the same prospect."),
        ("neither", 400, "Give into_lead_id or into_contact_id (one)."),
        ("converted", 409, "A converted lead is not merged: its contact and deal hang off it."),
        ("into_a_merged_lead", 400, "Not found, or not yours to link."),
    ],
)
def test_bad_merges_are_refused_and_write_nothing(agent, case, status, message):
    lead = ClientLeadFactory(assigned_agent=agent, team=agent.team)
    ActivityFactory(lead=lead, author=agent)
    other = ClientLeadFactory(assigned_agent=agent, team=agent.team)
    body = {"into_lead_id": other.pk}
    if case == "itself":
        body = {"into_lead_id": lead.pk}
    elif case == "recruit":
        body = {"into_lead_id": RecruitLeadFactory(assigned_agent=agent, team=agent.team).pk}
    elif case == "neither":
        body = {"into_lead_id": other.pk, "into_contact_id": CustomerFactory(agent=agent).pk}
    elif case == "converted":
        Lead.objects.filter(pk=lead.pk).update(status="Converted", converted_at=timezone.now())
    elif case == "into_a_merged_lead":
        merging.lead_merge(lead=other, into_lead=ClientLeadFactory(assigned_agent=agent, team=agent.team), actor=agent)
    merges_before = LeadMerge.objects.count()

    response = client_for(agent).post(reverse("v1:leads-merge", kwargs={"pk": lead.pk}), body, "json")

    assert response.status_code == status, response.content
    if message:
        error = response.json()["error"]
        assert message in (error["message"] + str(error.get("details")))
    assert LeadMerge.objects.count() == merges_before
    assert Activity.objects.filter(lead=lead).count() == 1


def test_an_undo_after_the_window_is_refused(agent):
    keep = ClientLeadFactory(assigned_agent=agent, team=agent.team)
    dup = ClientLeadFactory(assigned_agent=agent, team=agent.team)
    merge = merging.lead_merge(lead=dup, into_lead=keep, actor=agent)
    LeadMerge.objects.filter(pk=merge.pk).update(undo_until=timezone.now() - timedelta(minutes=1))

    response = client_for(agent).post(reverse("v1:leads-merge-undo", kwargs={"pk": merge.pk}))

    assert response.status_code == 409
    assert Lead.objects.get(pk=dup.pk).merged_at is not None


def test_another_teams_merge_is_a_404(agent):
    stranger = UserFactory(role=Role.AGENT, team=TeamFactory())
    merge = merging.lead_merge(
        lead=ClientLeadFactory(assigned_agent=stranger),
        into_lead=ClientLeadFactory(assigned_agent=stranger),
        actor=stranger,
    )

    assert client_for(agent).post(reverse("v1:leads-merge-undo", kwargs={"pk": merge.pk})).status_code == 404
    assert LeadMerge.objects.get(pk=merge.pk).undone_at is None
