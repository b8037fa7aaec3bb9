from datetime import date, timedelta
from decimal import Decimal

import factory

from apps.catalog.models import Coverage, Product, ProductLine, RatingRule
from apps.policies.models import Policy
from apps.policies.services import policy_numbers_reserve
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
