from datetime import date, timedelta
from decimal import Decimal

import httpx
import pytest

from apps.accounts.roles import Role
from apps.assistant import engine, services
from apps.assistant.models import AiSettings
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


@pytest.fixture
def hosted(monkeypatch, db):
    """Switch the settings to a hosted provider whose HTTP goes to `handler` (the test's fake of the API)."""

    def use(provider: str, handler):
        AiSettings.objects.update_or_create(
            pk=1,
            defaults={
                "provider": provider,
                "model": "m-1",
                "api_key_encrypted": "secret-key",
                "base_url": "https://llm.example" if provider != "gemini" else "",
            },
        )
        services.cache.delete(services.SETTINGS_CACHE_KEY)
        real = engine.provider_for

        def patched(row):
            provider_obj = real(row)
            provider_obj.client = httpx.Client(transport=httpx.MockTransport(handler))
            return provider_obj

        monkeypatch.setattr(engine, "provider_for", patched)

    return use
