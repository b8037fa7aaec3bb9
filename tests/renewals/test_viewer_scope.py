"""Seed 003 Role-Based Permissions, viewer: "Read-only dashboard access, View assigned cases" — the case list and
detail hold only the cases assigned to the viewer; the dashboards keep the book's figures; no write."""

import pytest

from apps.accounts.roles import Role
from apps.renewals.models import RenewalCase
from tests.factories.renewals import RenewalCaseFactory

pytestmark = pytest.mark.django_db


def test_a_viewer_lists_and_opens_only_the_cases_assigned_to_them(auth_client, make_user):
    client, viewer = auth_client(Role.VIEWER)
    own = RenewalCaseFactory(assigned_to=viewer)
    someone_elses = RenewalCaseFactory(assigned_to=make_user(Role.AGENT))
    unassigned = RenewalCaseFactory()

    listed = client.get("/api/v1/cases?status=all")
    opened = client.get(f"/api/v1/cases/{own.pk}")

    assert [c["id"] for c in listed.json()["data"]["cases"]] == [own.pk]
    assert listed.json()["data"]["pagination"]["total_records"] == 1
    assert opened.status_code == 200
    assert client.get(f"/api/v1/cases/{someone_elses.pk}").status_code == 404
    assert client.get(f"/api/v1/cases/{unassigned.pk}").status_code == 404


def test_a_viewers_dashboard_counts_the_whole_book_and_they_change_nothing(auth_client, make_user):
    client, viewer = auth_client(Role.VIEWER)
    own = RenewalCaseFactory(assigned_to=viewer)
    RenewalCaseFactory(assigned_to=make_user(Role.AGENT))
    RenewalCaseFactory()

    stats = client.get("/api/v1/dashboard/stats")
    update = client.put(f"/api/v1/cases/{own.pk}", {"notes": "seen"}, format="json")

    assert stats.status_code == 200
    assert stats.json()["data"]["totalCases"] == 3
    assert update.status_code == 403
    assert RenewalCase.objects.get(pk=own.pk).notes == ""
