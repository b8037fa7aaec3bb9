"""The back office home: KPI tiles and charts per role from the dashboard functions, drill-down links to the
filtered lists, team workload for managers, a bounded number of queries, the live-refresh script."""

import json

import pytest
from django.test import Client

from apps.accounts.roles import Role
from apps.claims import services
from tests.factories.accounts import UserFactory

pytestmark = pytest.mark.django_db


def test_manager_sees_claims_and_renewals_tiles_charts_and_workload(file_claim, insured, django_assert_max_num_queries):
    _, agent, _ = insured
    manager = UserFactory(role=Role.MANAGER)
    file_claim()
    services.claim_transition(claim=file_claim(claim_type="flood"), actor=agent, to="triage")
    browser = Client()
    browser.force_login(manager)

    with django_assert_max_num_queries(40):
        response = browser.get("/admin/")
    context = response.context

    assert response.status_code == 200
    titles = {t["title"]: t for t in context["kpi_tiles"]}
    assert titles["Open claims"]["value"] == "2"
    assert titles["Open claims"]["href"].startswith("/admin/claims/claim/?status__in=submitted")
    assert "Renewals to work" in titles
    charts = {c["title"]: json.loads(c["data"]) for c in context["kpi_charts"]}
    chart = charts["Claims by status"]
    by_status = dict(zip(chart["labels"], chart["datasets"][0]["data"], strict=True))
    assert by_status == {"submitted": 1, "triage": 1}
    assert [(row["pk"], row["open_claims"]) for row in context["workload"] if row["pk"] == agent.pk] == [(agent.pk, 2)]
    assert "js/admin_dashboard_live.js" in response.content.decode()
    assert browser.get(titles["Open claims"]["href"]).status_code == 200  # the drill-down list works


def test_assessor_gets_assessment_tiles_and_no_workload():
    browser = Client()
    browser.force_login(UserFactory(role=Role.ASSESSOR))
    context = browser.get("/admin/").context
    titles = [t["title"] for t in context["kpi_tiles"]]
    assert "Inspections overdue" in titles
    assert context["workload"] == []
