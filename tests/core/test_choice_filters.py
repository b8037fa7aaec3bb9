"""Seed 003 lists `all` among the values of its choice filters (`status: all|new|in_progress|renewed|failed`):
`all` means no filter, on every list endpoint and in the schema (apps/core/api/filters.py FilterBackend)."""

from decimal import Decimal

import pytest
import yaml

from apps.accounts.roles import Role
from apps.billing.models import TransactionType
from tests.factories.billing import TransactionFactory
from tests.factories.renewals import RenewalCaseFactory, UploadBatchFactory

pytestmark = pytest.mark.django_db


def _numbers(response, key: str) -> list:
    assert response.status_code == 200, response.content
    return sorted(row["id"] for row in response.json()["data"][key])


def test_all_means_no_filter_on_case_status_and_priority(auth_client):
    client, _ = auth_client(Role.MANAGER)
    new = RenewalCaseFactory(status="new", priority="high")
    working = RenewalCaseFactory(status="in_progress", priority="low")

    every = _numbers(client.get("/api/v1/cases?status=all&priority=all"), "cases")
    by_status = _numbers(client.get("/api/v1/cases?status=new&priority=all"), "cases")
    by_priority = _numbers(client.get("/api/v1/cases?status=all&priority=low"), "cases")
    unknown = client.get("/api/v1/cases?status=everything")

    assert every == sorted([new.pk, working.pk])
    assert by_status == [new.pk]
    assert by_priority == [working.pk]
    assert unknown.status_code == 400
    assert list(unknown.json()["error"]["details"]) == ["status"]


def test_all_means_no_filter_on_generated_filters_of_upload_batches(auth_client):
    client, manager = auth_client(Role.MANAGER)
    done = UploadBatchFactory(status="completed", uploaded_by=manager)
    failed = UploadBatchFactory(status="failed", uploaded_by=manager)

    assert _numbers(client.get("/api/v1/upload/batches?status=all"), "batches") == sorted([done.pk, failed.pk])
    assert _numbers(client.get("/api/v1/upload/batches?status=failed"), "batches") == [failed.pk]


def test_all_in_a_multiple_choice_filter_means_every_value(auth_client):
    client, _ = auth_client(Role.ADMIN)
    paid = TransactionFactory(type=TransactionType.PREMIUM_PAID)
    refund = TransactionFactory(type=TransactionType.REFUND, policy=paid.policy, amount=Decimal("50.00"))

    every = _numbers(client.get("/api/v1/transactions?type=all"), "transactions")
    refunds = _numbers(client.get("/api/v1/transactions?type=refund"), "transactions")

    assert every == sorted([paid.pk, refund.pk])
    assert refunds == [refund.pk]


def test_schema_lists_all_among_the_choices(auth_client):
    client, _ = auth_client(Role.ADMIN)

    schema = yaml.safe_load(client.get("/api/schema/").content)
    params = {p["name"]: p["schema"] for p in schema["paths"]["/api/v1/cases"]["get"]["parameters"]}
    batches = {p["name"]: p["schema"] for p in schema["paths"]["/api/v1/upload/batches"]["get"]["parameters"]}

    assert params["status"]["enum"] == ["all", "failed", "in_progress", "lapsed", "new", "not_taken", "renewed"]
    assert params["priority"]["enum"] == ["all", "high", "low", "medium", "urgent"]
    assert batches["status"]["enum"] == ["all", "completed", "failed", "processing"]
