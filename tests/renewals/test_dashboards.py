"""Seed 003 dashboards: figures from SQL aggregates, scoped to the user, filtered by period/type/status."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from apps.accounts.roles import Role
from apps.policies.models import Policy
from apps.renewals.models import RenewalCase, UploadBatch
from tests.factories.policies import ProductFactory, ProductLineFactory
from tests.renewals.test_batches import csv_file, upload

pytestmark = pytest.mark.django_db
RENEW = (date.today() + timedelta(days=60)).isoformat()


@pytest.fixture
def cases(auth_client, django_capture_on_commit_callbacks):
    ProductFactory(code="motor", line=ProductLineFactory(code="auto"))
    ProductFactory(code="home", line=ProductLineFactory(code="home"))
    client, _ = auth_client(Role.MANAGER)
    lines = ["Policy No,Customer Name,Expiry Date,Premium,Policy Type"]
    lines += [f"POL-S-{i:04d},Person {i},{RENEW},100,{'auto' if i < 6 else 'home'}" for i in range(8)]
    lines += [f"bad!{i},Bad,{RENEW},1,auto" for i in range(2)]
    with django_capture_on_commit_callbacks(execute=True):
        upload(client, csv_file("\n".join(lines) + "\n"))
    by_number = {c.policy.policy_number: c for c in RenewalCase.objects.select_related("policy")}
    RenewalCase.objects.filter(pk__in=[by_number[f"POL-S-000{i}"].pk for i in (0, 1)]).update(
        status="in_progress", payment_status="partial"
    )
    closed = timezone.now()
    RenewalCase.objects.filter(pk=by_number["POL-S-0002"].pk).update(
        status="renewed", payment_status="completed", closed_at=closed
    )
    RenewalCase.objects.filter(pk=by_number["POL-S-0003"].pk).update(status="lapsed", closed_at=closed)
    old = timezone.now() - timedelta(days=45)
    RenewalCase.objects.filter(pk=by_number["POL-S-0007"].pk).update(created_at=old)
    return by_number


def test_stats_count_and_sum_the_period_cases(auth_client, cases):
    client, _ = auth_client(Role.MANAGER)

    month = client.get("/api/v1/dashboard/stats").json()
    autos = client.get("/api/v1/dashboard/stats", {"policy_type": "auto", "date_range": "week"}).json()["data"]
    resolved = client.get("/api/v1/dashboard/stats", {"case_status": "resolved"}).json()["data"]
    custom = client.get(
        "/api/v1/dashboard/stats",
        {"date_range": "custom", "start_date": date.today() - timedelta(days=60), "end_date": date.today()},
    ).json()["data"]

    assert month["success"] is True
    assert month["data"] == {
        "totalCases": 7,
        "inProgress": 2,
        "renewed": 1,
        "pendingAction": 3,
        "errors": 0,
        "paymentCollected": 100.0,
        "paymentPending": 500.0,
    }
    assert (autos["totalCases"], autos["pendingAction"]) == (6, 2)
    assert (resolved["totalCases"], resolved["renewed"]) == (2, 1)
    assert custom["totalCases"] == 8


def test_agents_see_only_their_cases(auth_client, cases):
    client, agent = auth_client(Role.AGENT)
    _, other = auth_client(Role.AGENT)
    RenewalCase.objects.filter(pk=cases["POL-S-0004"].pk).update(assigned_to=agent)
    RenewalCase.objects.filter(pk=cases["POL-S-0001"].pk).update(assigned_to=other)
    # unassigned cases of policies the agent services count too (the second of the two disjoint parts)
    Policy.objects.filter(pk__in=[cases["POL-S-0005"].policy_id, cases["POL-S-0001"].policy_id]).update(agent=agent)

    stats = client.get("/api/v1/dashboard/stats").json()["data"]
    trends = client.get("/api/v1/dashboard/trends", {"date_range": "week"}).json()["data"]
    batches = client.get("/api/v1/dashboard/batch-status").json()["data"]

    assert (stats["totalCases"], stats["pendingAction"], stats["paymentPending"]) == (2, 2, 200.0)
    assert trends[-1]["newCases"] == 2
    assert batches[0]["status"]["pending"] == 2


def test_closed_at_follows_the_status_on_every_save(cases):
    case = RenewalCase.objects.get(pk=cases["POL-S-0005"].pk)
    assert (case.policy_type, case.closed_at) == ("auto", None)

    case.status = "not_taken"
    case.save()
    closed_at = case.closed_at
    assert closed_at is not None
    case.notes = "customer moved abroad"
    case.save(update_fields=["notes"])
    case.refresh_from_db()
    assert case.closed_at == closed_at  # a later edit keeps the closing time

    case.status = "in_progress"  # e.g. corrected by an admin
    case.save(update_fields=["status"])
    case.refresh_from_db()
    assert case.closed_at is None


def test_trends_one_row_per_day_and_batch_status(auth_client, cases, django_assert_max_num_queries):
    client, _ = auth_client(Role.ADMIN)

    with django_assert_max_num_queries(12):
        week = client.get("/api/v1/dashboard/trends", {"date_range": "week"}).json()["data"]
    month = client.get("/api/v1/dashboard/trends").json()["data"]
    batches = client.get("/api/v1/dashboard/batch-status").json()["data"]

    assert len(week) == 7
    assert len(month) == 30
    today = week[-1]
    assert (today["date"], today["newCases"]) == (date.today().isoformat(), 7)
    assert today["renewals"] == 1
    assert today["successRate"] == 0.5  # one renewed and one lapsed today
    batch = UploadBatch.objects.get()
    assert batches == [
        {
            "id": batch.pk,
            "fileName": "renewals.csv",
            "batchStatus": "completed",
            "status": {"renewed": 1, "inProgress": 2, "pending": 4, "failed": 3},
            "payment": {"received": 100.0, "pending": 600.0},
        }
    ]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"date_range": "year"}, "date_range"),
        ({"date_range": "custom"}, "start_date"),
        ({"date_range": "custom", "start_date": "2026-05-01", "end_date": "2026-04-01"}, "end_date"),
        ({"date_range": "custom", "start_date": "2024-01-01", "end_date": "2026-01-01"}, "end_date"),
        ({"case_status": "closed"}, "case_status"),
        ({"date_range": "custom", "start_date": "yesterday", "end_date": "2026-01-01"}, "start_date"),
    ],
)
def test_bad_parameters_are_400_naming_the_field(auth_client, params, field):
    client, _ = auth_client(Role.VIEWER)

    response = client.get("/api/v1/dashboard/stats", params)

    assert response.status_code == 400
    assert field in str(response.json()["error"])


def test_customers_have_no_dashboard(auth_client):
    client, _ = auth_client(Role.CUSTOMER)

    assert client.get("/api/v1/dashboard/stats").status_code == 403
