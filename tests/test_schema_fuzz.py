"""Schemathesis against the app in-process: every operation of the OpenAPI schema, as each role, answers
without a server error, with a documented status, content type and body (docs/architecture.md "API
conventions"). Each operation × role is one pytest item, so pytest-xdist spreads them over the workers.

`make test` runs `FUZZ_EXAMPLES` (default 4) generated cases per item; `make fuzz` runs many more.
"""

import os
from datetime import date, timedelta
from decimal import Decimal

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from apps.accounts.roles import Role
from apps.accounts.services import tokens_issue
from apps.policies.services import policy_create
from tests.factories.accounts import UserFactory
from tests.factories.customers import CustomerFactory
from tests.factories.policies import CoverageFactory, ProductFactory, ProductLineFactory, RatingRuleFactory

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "4"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
# Staff roles see every operation; a customer calls the ones the portal and integrators use for them.
ROLES = [Role.ADMIN, Role.AGENT, Role.CUSTOMER]

schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application())
# The coverage phase (boundary and negative values of every parameter: ~100 cases an operation) is `make fuzz`'s.
schema.config.phases.coverage.enabled = os.environ.get("FUZZ_COVERAGE") == "1"


@pytest.fixture
def book(db, settings_override):
    """A small book the generated requests can meet (an agent's customer with an active policy, a customer user
    who owns it, an admin), and an access token per role."""
    product = ProductFactory(code="fuzz-home", line=ProductLineFactory(code="home"), base_premium=Decimal("300.00"))
    RatingRuleFactory(product=product, factor="sum_insured", multiplier=Decimal("1.0"))
    CoverageFactory(product=product, code="buildings", name="Buildings", limit=Decimal("50000"), perils=["fire"])
    agent = UserFactory(role=Role.AGENT)
    owner = UserFactory(role=Role.CUSTOMER)
    customer = CustomerFactory(agent=agent, user=owner)
    policy_create(
        actor=agent,
        customer=customer,
        product=product,
        start_date=date.today() - timedelta(days=100),
        sum_insured=Decimal("200000"),
        activate=True,
    )
    users = {Role.ADMIN: UserFactory(role=Role.ADMIN), Role.AGENT: agent, Role.CUSTOMER: owner}
    return {role: tokens_issue(user=user, otp_verified=True)["access_token"] for role, user in users.items()}


@pytest.fixture
def settings_override(settings):
    """Throttles raised for the run; the app kept on the test's connection (Django's WSGI handler closes it
    after each request, as Django's own test client prevents)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    rates = dict.fromkeys(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "1000000/hour")
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.mark.parametrize("role", ROLES)
@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_api(case, role, book):
    case.call_and_validate(headers={"Authorization": f"Bearer {book[role]}"}, checks=CHECKS)
