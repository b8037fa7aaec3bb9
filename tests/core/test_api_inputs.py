"""Inputs the database cannot take are refused in the shared API layer as a 400 naming the field, never a 500
(issue 14 §1: each input class schemathesis found, one plain test each)."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from apps.accounts.roles import Role
from apps.accounts.services import tokens_issue
from apps.policies.models import Policy
from tests.factories.customers import CustomerFactory
from tests.factories.policies import ProductFactory, ProductLineFactory

pytestmark = pytest.mark.django_db

HUGE = "99999999999999999999"  # > 2**64


def assert_refused(response, field: str):
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["success"] is False
    assert body["error"]["code"] == "validation_error"
    assert list(body["error"]["details"]) == [field]
    return body


@pytest.mark.parametrize(
    ("url", "field"),
    [
        (f"/api/v1/claims?handler={HUGE}", "handler"),
        (f"/api/v1/customers?agent={HUGE}", "agent"),
        (f"/api/v1/contacts?agent=-{HUGE}", "agent"),
        (f"/api/v1/transactions?customer={HUGE}", "customer"),
        (f"/api/v1/cases?assigned_to={HUGE}", "assigned_to"),
        (f"/api/v1/audit/security-events?user={HUGE}", "user"),
    ],
)
def test_integer_filter_beyond_64_bits_is_a_400_naming_it(auth_client, url, field):
    client, _ = auth_client(Role.ADMIN)

    assert_refused(client.get(url), field)


@pytest.mark.parametrize(
    "url", [f"/api/v1/claims/{HUGE}", f"/api/v1/customers/{HUGE}", f"/api/v1/users/{HUGE}", f"/api/v1/cases/{HUGE}"]
)
def test_path_id_beyond_64_bits_is_a_400_naming_it(auth_client, url):
    client, _ = auth_client(Role.ADMIN)

    body = assert_refused(client.get(url), "id")

    assert body["error"]["details"]["id"] == [f"Must be at most {2**63 - 1}."]


def test_second_path_id_beyond_64_bits_is_named(auth_client):
    client, _ = auth_client(Role.ADMIN)
    customer = CustomerFactory()

    assert_refused(client.get(f"/api/v1/customers/{customer.pk}/documents/{HUGE}"), "document_id")


def test_integer_filter_within_range_still_filters(auth_client):
    client, _ = auth_client(Role.ADMIN)

    response = client.get(f"/api/v1/customers?agent={2**63 - 1}")

    assert response.status_code == 200
    assert response.json()["data"]["customers"] == []


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/api/v1/contacts?created_from=2026-01-01T00:00:00%2B20:00", "created_from"),
        ("/api/v1/audit/security-events?occurred_to=2026-01-01T00:00:00-18:30", "occurred_to"),
        ("/api/v1/audit/security-events?occurred_from=0001-01-01T00:00:00%2B05:00", "occurred_from"),
        ("/api/v1/payments?paid_to=9999-12-31T23:00:00-05:00", "paid_to"),
    ],
)
def test_datetime_filter_outside_what_postgresql_takes_is_a_400_naming_it(auth_client, url, field):
    client, _ = auth_client(Role.ADMIN)

    assert_refused(client.get(url), field)


def test_datetime_filter_with_a_real_offset_is_the_same_instant(auth_client):
    client, _ = auth_client(Role.ADMIN)
    CustomerFactory()

    # +14:00 (Kiribati) is the largest offset in use: an hour from now there is still in the past here.
    response = client.get("/api/v1/contacts?created_to=2999-01-01T00:00:00%2B14:00")

    assert response.status_code == 200
    assert response.json()["data"]["pagination"]["total_records"] == 1


def test_nul_in_a_json_field_is_a_400_naming_it(auth_client):
    client, agent = auth_client(Role.ADMIN)
    customer = CustomerFactory(agent=agent)
    ProductFactory(code="home-basic", line=ProductLineFactory(code="home"), base_premium=Decimal("300.00"))

    response = client.post(
        f"/api/v1/contacts/{customer.pk}/policies",
        {"product": "home\x00basic", "start_date": str(date.today() + timedelta(days=1))},
        format="json",
    )

    body = assert_refused(response, "product")
    assert body["error"]["details"]["product"] == ["NUL (0x00) characters are not allowed."]
    assert not Policy.objects.exists()


def test_nul_in_a_nested_json_value_names_its_path(auth_client):
    client, _ = auth_client(Role.ADMIN)
    customer = CustomerFactory()

    response = client.put(
        f"/api/v1/customers/{customer.pk}",
        {"first_name": "Ana", "address": {"line1": "Rua\x00 Augusta"}, "tags": ["ok", "b\x00d"]},
        format="json",
    )

    assert_refused(response, "address.line1")


def test_nul_in_a_json_key_is_refused(auth_client):
    client, _ = auth_client(Role.ADMIN)

    response = client.post("/api/v1/notifications/mark-read", {"ids\x00": [1]}, format="json")

    assert_refused(response, "ids\x00")


def test_nul_in_a_multipart_field_is_a_400_naming_it(auth_client):
    client, _ = auth_client(Role.ADMIN)
    customer = CustomerFactory()

    response = client.post(
        f"/api/v1/customers/{customer.pk}/documents",
        {"category": "id\x00card", "description": "x"},
        format="multipart",
    )

    assert_refused(response, "category")


def test_nul_in_a_query_parameter_is_a_400_naming_it(auth_client):
    client, _ = auth_client(Role.ADMIN)

    assert_refused(client.get("/api/v1/customers?search=jo%00hn"), "search")


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_write_to_an_unknown_api_path_with_a_bearer_token_is_a_404(make_user, method):
    # CSRF checks on, as for a real client (the test clients skip them by default).
    client = APIClient(enforce_csrf_checks=True)
    token = tokens_issue(user=make_user(Role.ADMIN), otp_verified=True)["access_token"]
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")

    response = getattr(client, method)("/api/v1/no-such-thing/1", {"a": 1}, format="json")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
