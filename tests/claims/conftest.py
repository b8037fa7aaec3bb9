from datetime import date, timedelta
from decimal import Decimal

import pytest

from apps.accounts.roles import Role
from apps.claims import services
from apps.policies.services import policy_create
from tests.factories.accounts import UserFactory
from tests.factories.customers import CustomerFactory
from tests.factories.policies import CoverageFactory, ProductFactory, ProductLineFactory, RatingRuleFactory


@pytest.fixture
def home_product():
    product = ProductFactory(code="home-claims", line=ProductLineFactory(code="home"), base_premium=Decimal("300.00"))
    RatingRuleFactory(product=product, factor="sum_insured", multiplier=Decimal("1.0"))
    CoverageFactory(
        product=product, code="buildings", name="Buildings", limit=Decimal("50000"), perils=["fire", "flood", "storm"]
    )
    CoverageFactory(
        product=product,
        code="accidental",
        name="Accidental damage",
        limit=Decimal("5000"),
        is_mandatory=False,
        perils=["accidental_damage"],
    )
    return product


def make_insured(product):
    agent = UserFactory(role=Role.AGENT)
    user = UserFactory(role=Role.CUSTOMER, email="claimant@example.org")
    customer = CustomerFactory(agent=agent, user=user, email="claimant@example.org")
    policy = policy_create(
        actor=agent,
        customer=customer,
        product=product,
        start_date=date.today() - timedelta(days=100),
        sum_insured=Decimal("200000"),
        activate=True,
    )
    return user, agent, policy


@pytest.fixture
def insured(home_product, django_capture_on_commit_callbacks):
    """(customer user, agent, active policy started 100 days ago)."""
    with django_capture_on_commit_callbacks(execute=True):
        return make_insured(home_product)


@pytest.fixture
def file_claim(insured):
    def make(*, actor=None, claim_type="fire", amount="1200.00", days_ago=3, **kwargs):
        user, _, policy = insured
        claim, _ = services.claim_file(
            actor=actor or user,
            policy=policy,
            claim_type=claim_type,
            claimed_amount=Decimal(amount),
            description=kwargs.pop("description", "Kitchen fire"),
            incident_date=date.today() - timedelta(days=days_ago),
            incident_place="Rua Augusta 1, Lisboa",
            **kwargs,
        )
        return claim

    return make
