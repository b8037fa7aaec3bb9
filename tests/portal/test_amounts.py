"""Amounts and counts are printed for people on every page (grouped digits, the currency's symbol, the active
language's separators) while the API keeps returning raw decimal strings."""

from decimal import Decimal

import pytest
from django.test import Client
from django.utils import translation

from apps.accounts.roles import Role
from apps.claims import services
from apps.core.formatting import format_count, format_money
from apps.policies.models import Policy
from tests.factories.accounts import UserFactory

pytestmark = pytest.mark.django_db


def test_money_and_counts_grouped_with_the_currency_symbol():
    assert format_money(Decimal("19161862.51"), "EUR") == "€19,161,862.51"
    assert format_money(Decimal("50000000"), "EUR") == "€50,000,000.00"
    assert format_money(Decimal("-1600"), "GBP") == "−£1,600.00"
    assert format_money(Decimal("1500.5"), "AOA") == "AOA\u00a01,500.50"
    assert format_money(None, "EUR") == ""
    assert format_count(1204) == "1,204"
    with translation.override("pt"):
        assert format_money(Decimal("19161862.51"), "EUR") == "€19.161.862,51"
        assert format_count(1204) == "1.204"


def _big_policy(policy):
    """A policy whose figures need grouping: a premium over a thousand and a cover limit in the millions."""
    covers = [{**c, "limit": "50000000.00"} if c["code"] == "buildings" else c for c in policy.coverage_selections]
    Policy.objects.filter(pk=policy.pk).update(premium_amount=Decimal("12345.60"), coverage_selections=covers)
    policy.refresh_from_db()
    return policy


def test_portal_pages_print_amounts_for_people(browser, insured, file_claim):
    _, _, policy = insured
    _big_policy(policy)
    claim = file_claim(amount="4200.00")

    listing = browser.get("/policies").content.decode()
    detail = browser.get(f"/policies/{policy.pk}").content.decode()
    claims = browser.get("/claims").content.decode()
    claim_page = browser.get(f"/claims/{claim.pk}").content.decode()
    products = browser.get("/products").content.decode()

    assert "€12,345.60" in listing
    assert "12345.60" not in listing
    assert "€50,000,000.00" in detail
    assert "50000000" not in detail
    assert "€4,200.00" in claims
    assert "€4,200.00" in claim_page
    assert "4200.00 EUR" not in claim_page
    assert "€300.00" in products  # the home product's base premium


def test_admin_list_columns_and_dashboard_tiles_are_grouped(insured, file_claim):
    _, agent, policy = insured
    _big_policy(policy)
    claim = file_claim(amount="4200.00")
    manager = UserFactory(role=Role.MANAGER)
    services.claim_transition(claim=claim, actor=agent, to="triage")
    services.claim_reserve_set(claim=claim, actor=manager, amount=Decimal("14250.00"), reason="Quote")
    admin = Client()
    admin.force_login(UserFactory(role=Role.ADMIN))

    policies = admin.get("/admin/policies/policy/").content.decode()
    claims = admin.get("/admin/claims/claim/").content.decode()
    home = admin.get("/admin/")
    tiles = {t["title"]: t["value"] for t in home.context["kpi_tiles"]}

    assert "12,345.60" in policies
    assert "4,200.00" in claims
    assert tiles["Outstanding reserve"] == "€14,250.00"
    assert tiles["Open claims"] == "1"


def test_the_api_keeps_raw_decimal_strings(insured):
    from rest_framework.test import APIClient

    _, agent, policy = insured
    _big_policy(policy)
    api = APIClient()
    api.force_authenticate(UserFactory(role=Role.ADMIN))

    body = api.get(f"/api/v1/policies/{policy.pk}").json()

    assert body["data"]["premium_amount"] == "12345.60"
