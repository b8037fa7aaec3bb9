"""The JWT/`me` `permissions` claim in seed 003's form: plain module names mean "may use this module"
(`permissions.includes("dashboard")`), `<module>:write` says the role may also change things there."""

import pytest
from rest_framework_simplejwt.tokens import AccessToken

from apps.accounts.roles import Role, permissions_for_role
from tests.conftest import client_for
from tests.factories.accounts import UserFactory

pytestmark = pytest.mark.django_db


def test_a_viewers_claim_names_their_modules_and_writes_only_their_own_profile():
    assert permissions_for_role(Role.VIEWER) == [
        "dashboard",
        "cases",
        "analytics",
        "claims",
        "assessments",
        "documents",
        "billing",
        "crm",
        "support",
        "teams",
        "profile",
        "profile:write",
        "notifications",
        "notifications:write",
        "surveys",
    ]


def test_seed_003_modules_are_plain_names_for_every_role_that_may_use_them():
    """Seed 003 sample roles: agent ["dashboard","cases","emails"], viewer ["dashboard"], manager adds upload,
    campaigns, analytics; admin adds settings and users."""
    seed_modules = ["dashboard", "upload", "cases", "emails", "campaigns", "settings", "users", "analytics"]
    listed = {role: [m for m in seed_modules if m in permissions_for_role(role)] for role in Role}

    assert listed[Role.ADMIN] == seed_modules
    assert listed[Role.MANAGER] == ["dashboard", "upload", "cases", "emails", "campaigns", "users", "analytics"]
    assert listed[Role.AGENT] == ["dashboard", "cases", "emails"]
    assert listed[Role.VIEWER] == ["dashboard", "cases", "analytics"]
    assert listed[Role.CUSTOMER] == []
    assert not any(p.endswith(":read") for role in Role for p in permissions_for_role(role))


def test_write_is_listed_where_the_server_allows_writes():
    agent, manager = permissions_for_role(Role.AGENT), permissions_for_role(Role.MANAGER)

    assert ("dashboard:write" in agent, "cases:write" in agent, "assessments:write" in agent) == (False, True, False)
    assert ("dashboard:write" in manager, "users:write" in manager, "upload:write" in manager) == (True, False, True)


def test_the_token_and_me_carry_the_claim_and_the_server_still_decides_by_role():
    viewer = UserFactory(role=Role.VIEWER)
    client = client_for(viewer)

    me = client.get("/api/v1/auth/me").json()["data"]
    header = client._credentials["HTTP_AUTHORIZATION"].removeprefix("Bearer ")

    assert me["permissions"] == permissions_for_role(Role.VIEWER)
    assert AccessToken(header)["permissions"] == permissions_for_role(Role.VIEWER)
    assert "dashboard" in me["permissions"]
    assert client.get("/api/v1/dashboard/stats").status_code == 200
    assert client.post("/api/v1/upload/batch", {}, format="multipart").status_code == 403
