from datetime import date, timedelta
from decimal import Decimal

import pytest

from apps.accounts.roles import Role
from tests.factories.customers import CustomerFactory
from tests.factories.policies import CoverageFactory, PolicyFactory, ProductFactory, ProductLineFactory


@pytest.fixture
def motor_customer(make_user):
    """A customer with an active motor policy covering glass (deductible 50) and collision (deductible 250)."""

    def make(email="rita@example.org", **kwargs):
        user = make_user(Role.CUSTOMER, email=email, first_name="Rita")
        customer = CustomerFactory(
            user=user,
            email=email,
            first_name="Rita",
            last_name="Moura",
            phone="+351912000111",
            agent=make_user(Role.AGENT),
        )
        product = ProductFactory(name="Motor Comprehensive", line=ProductLineFactory(code="auto"))
        CoverageFactory(
            product=product,
            code="glass",
            name="Glass breakage",
            perils=["glass"],
            deductible=Decimal("50.00"),
            limit=Decimal("1500.00"),
        )
        CoverageFactory(
            product=product, code="collision", name="Own damage", perils=["collision"], deductible=Decimal("250.00")
        )
        policy = PolicyFactory(
            customer=customer,
            product=product,
            start_date=date.today() - timedelta(days=60),
            coverage_selections=[{"code": "glass", "mandatory": True}, {"code": "collision", "mandatory": True}],
            **kwargs,
        )
        return user, customer, policy

    return make
