from datetime import date, timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from apps.catalog.models import Coverage, Product, ProductLine, Quote, RatingRule
from apps.policies.models import Endorsement, Policy, PolicyTransition, Vehicle
from apps.policies.services import policy_numbers_reserve
from tests.factories.accounts import UserFactory
from tests.factories.customers import CustomerFactory


class ProductLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProductLine
        django_get_or_create = ("code",)

    code = "home"
    name = factory.LazyAttribute(lambda o: o.code.title())


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    code = factory.Sequence(lambda n: f"product-{n}")
    name = factory.Sequence(lambda n: f"Product {n}")
    line = factory.SubFactory(ProductLineFactory)
    base_premium = Decimal("300.00")


class CoverageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Coverage

    product = factory.SubFactory(ProductFactory)
    code = factory.Sequence(lambda n: f"cover-{n}")
    name = factory.Sequence(lambda n: f"Cover {n}")
    limit = Decimal("50000.00")


class RatingRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RatingRule

    product = factory.SubFactory(ProductFactory)
    factor = "age"
    multiplier = Decimal("1.0000")


class PolicyFactory(factory.django.DjangoModelFactory):
    """A policy row built directly (for tests that need one to exist; flows go through the services)."""

    class Meta:
        model = Policy

    policy_number = factory.LazyFunction(lambda: policy_numbers_reserve(1)[0])
    customer = factory.SubFactory(CustomerFactory)
    product = factory.SubFactory(ProductFactory)
    policy_type = factory.LazyAttribute(lambda o: o.product.line.code)
    status = "active"
    premium_amount = Decimal("300.00")
    start_date = factory.LazyFunction(lambda: date.today() - timedelta(days=30))
    end_date = factory.LazyAttribute(lambda o: o.start_date + timedelta(days=364))
    renewal_date = factory.LazyAttribute(lambda o: o.end_date)


class PolicyTransitionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PolicyTransition

    policy = factory.SubFactory(PolicyFactory)
    from_status = "quoted"
    to_status = "active"
    actor = factory.SubFactory(UserFactory)


class EndorsementFactory(factory.django.DjangoModelFactory):
    """An endorsement row as the service books it (append-only: build it complete)."""

    class Meta:
        model = Endorsement

    policy = factory.SubFactory(PolicyFactory)
    sequence = factory.Sequence(lambda n: n + 1)
    kind = "sum_insured"
    effective_date = factory.LazyFunction(date.today)
    changes = factory.LazyFunction(lambda: {"sum_insured": {"from": "100000.00", "to": "120000.00"}})
    annual_premium_before = Decimal("300.00")
    annual_premium_after = Decimal("330.00")
    premium_delta = Decimal("15.00")
    created_by = factory.SubFactory(UserFactory)


class VehicleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Vehicle

    policy = factory.SubFactory(PolicyFactory, policy_type="auto")
    vin = factory.Sequence(lambda n: f"WVWZZZ1JZXW{n:06d}")
    registration = factory.Sequence(lambda n: f"AA-{n:02d}-BB")
    make = "Volkswagen"
    model = "Golf"
    year = 2019
    value = Decimal("15000.00")
    added_on = factory.LazyFunction(date.today)


class QuoteFactory(factory.django.DjangoModelFactory):
    """A stored quote nobody applied for yet (prices as `quote_create` would keep them)."""

    class Meta:
        model = Quote

    product = factory.SubFactory(ProductFactory)
    inputs = factory.LazyFunction(lambda: {"age": "35"})
    lines = factory.LazyFunction(lambda: [{"kind": "base", "label": "Base premium", "amount": "300.00"}])
    annual_premium = Decimal("300.00")
    expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=30))
