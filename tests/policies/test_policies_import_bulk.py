"""policies_import_bulk: the policies app records an insurer's policies in force, by COPY, with one event."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from apps.core import events
from apps.policies.models import Policy
from apps.policies.selectors import PolicyRef
from apps.policies.services import POLICY_IMPORTED, PolicyRecord, policies_import_bulk
from tests.factories.customers import CustomerFactory
from tests.factories.policies import PolicyFactory, ProductFactory, ProductLineFactory

pytestmark = pytest.mark.django_db
RENEWS = date.today() + timedelta(days=40)


@pytest.fixture
def imported():
    got: list[dict] = []

    def handler(event):
        got.append(event)

    events.subscribe(POLICY_IMPORTED, handler)
    yield got
    events._subscribers[POLICY_IMPORTED].remove(handler)


@pytest.fixture
def motor():
    line = ProductLineFactory(code="auto")
    ProductFactory(code="motor-old", line=line, is_active=False)
    return ProductFactory(code="motor", line=line, currency="GBP")


def test_new_policies_are_recorded_existing_ones_left_alone_and_one_event_follows_the_commit(
    motor, make_user, imported, django_capture_on_commit_callbacks
):
    agent = make_user()
    customer = CustomerFactory()
    held = PolicyFactory(policy_number="POL-I-0001", customer=customer, premium_amount=Decimal("100.00"))
    records = [
        PolicyRecord("POL-I-0001", customer.pk, "auto", Decimal("999.00"), RENEWS),
        PolicyRecord("POL-I-0002", customer.pk, "auto", Decimal("420.50"), RENEWS, agent_id=agent.pk),
        PolicyRecord("POL-I-0003", customer.pk, "auto", Decimal("300.00"), RENEWS),
        PolicyRecord("POL-I-0002", customer.pk, "auto", Decimal("1.00"), RENEWS),  # a repeat: the first wins
    ]

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        refs = policies_import_bulk(policies=records, source="renewal-batch:9")
        assert imported == []  # nothing before the commit

    second, third = Policy.objects.get(policy_number="POL-I-0002"), Policy.objects.get(policy_number="POL-I-0003")
    assert refs == {
        "POL-I-0001": PolicyRef(held.pk, "active", held.agent_id, held.policy_type),
        "POL-I-0002": PolicyRef(second.pk, "active", agent.pk, "auto"),
        "POL-I-0003": PolicyRef(third.pk, "active", None, "auto"),
    }
    held.refresh_from_db()
    assert held.premium_amount == Decimal("100.00")
    assert (second.product, second.currency, second.premium_amount, second.origin, second.status) == (
        motor,
        "GBP",
        Decimal("420.50"),
        "imported",
        "active",
    )
    assert (second.start_date, second.end_date, second.renewal_date) == (
        RENEWS - timedelta(days=365),
        RENEWS - timedelta(days=1),
        RENEWS,
    )
    assert Policy.objects.count() == 3
    assert len(callbacks) == 1
    assert [(e["event"], e["data"]) for e in imported] == [
        (POLICY_IMPORTED, {"policy_ids": [second.pk, third.pk], "count": 2, "source": "renewal-batch:9"})
    ]


def test_a_second_import_of_the_same_policies_inserts_and_publishes_nothing(
    motor, imported, django_capture_on_commit_callbacks
):
    customer = CustomerFactory()
    records = [PolicyRecord(f"POL-J-{i:04d}", customer.pk, "auto", Decimal("50.00"), RENEWS) for i in range(3)]
    with django_capture_on_commit_callbacks(execute=True):
        first = policies_import_bulk(policies=records)

    with django_capture_on_commit_callbacks(execute=True):
        again = policies_import_bulk(policies=records)

    assert again == first
    assert Policy.objects.count() == 3
    assert len(imported) == 1
    assert imported[0]["data"]["count"] == 3


def test_a_line_without_an_active_product_is_refused_and_nothing_is_written(motor, imported):
    customer = CustomerFactory()
    ProductFactory(code="boat", line=ProductLineFactory(code="marine"), is_active=False)
    records = [
        PolicyRecord("POL-K-0001", customer.pk, "auto", Decimal("50.00"), RENEWS),
        PolicyRecord("POL-K-0002", customer.pk, "marine", Decimal("50.00"), RENEWS),
    ]

    with pytest.raises(ValidationError, match="No active product for the line 'marine'"):
        policies_import_bulk(policies=records)

    assert not Policy.objects.exists()
    assert imported == []


def test_the_admin_shows_and_filters_where_a_policy_comes_from(motor, make_user):
    from django.test import Client

    from apps.accounts.roles import Role

    customer = CustomerFactory()
    refs = policies_import_bulk(policies=[PolicyRecord("POL-L-0001", customer.pk, "auto", Decimal("80.00"), RENEWS)])
    issued = PolicyFactory(policy_number="POL-L-0002")
    browser = Client()
    browser.force_login(make_user(Role.ADMIN))

    page = browser.get(f"/admin/policies/policy/{refs['POL-L-0001'].id}/change/").content.decode()
    imported_only = browser.get("/admin/policies/policy/", {"origin__exact": "imported"}).content.decode()

    assert "Imported record" in page
    assert "POL-L-0001" in imported_only
    assert issued.policy_number not in imported_only
