"""Shared fixtures. The database, cache (Redis when REDIS_URL is set) and channel layer are real."""

import os

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from apps.accounts.roles import Role
from apps.accounts.services import tokens_issue
from tests.factories.accounts import PASSWORD, UserFactory

ALL_ROLES = list(Role.values)


def pytest_runtest_setup(item):
    if item.get_closest_marker("redis") and not os.environ.get("REDIS_URL"):
        if os.environ.get("REQUIRE_SERVICES") == "1":
            pytest.fail("This test needs Redis: REQUIRE_SERVICES=1 but REDIS_URL is not set.")
        pytest.skip("needs Redis (set REDIS_URL)")


@pytest.fixture(autouse=True)
def _isolated_cache():
    """Throttle counters and lockouts from one test must not leak into the next."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def password() -> str:
    return PASSWORD


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def make_user(db):
    def make(role: str = Role.AGENT, **kwargs):
        return UserFactory(role=role, **kwargs)

    return make


def client_for(user, *, otp_verified: bool = False) -> APIClient:
    client = APIClient()
    if user is not None:
        tokens = tokens_issue(user=user, otp_verified=otp_verified)
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}")
    return client


@pytest.fixture
def auth_client(make_user):
    """`auth_client("manager")` → (client, user) authenticated with a real JWT for a new user of that role."""

    def make(role: str = Role.AGENT, **kwargs):
        user = make_user(role, **kwargs)
        return client_for(user), user

    return make
