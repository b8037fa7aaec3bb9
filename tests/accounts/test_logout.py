"""Seed 003 `POST /auth/logout` with `Authorization: Bearer <token>` only: that sign-in ends — the access token
stops working at once and the refresh tokens of the same sign-in (through rotations) are blacklisted; the
person's other sign-ins go on."""

import pytest
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from apps.accounts.api.authentication import user_and_claims_from_access_token
from apps.accounts.roles import Role
from apps.audit.models import SecurityEvent
from tests.accounts.test_auth_api import login

pytestmark = pytest.mark.django_db
LOGOUT, ME, REFRESH = "/api/v1/auth/logout", "/api/v1/auth/me", "/api/v1/auth/refresh"


def bearer(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def refresh(token: str):
    return APIClient().post(REFRESH, {"refresh_token": token}, format="json")


@pytest.fixture
def agent(make_user):
    return make_user(Role.AGENT, email="a@example.org")


def test_logout_with_the_bearer_alone_ends_that_sign_in(agent, password):
    laptop = login(APIClient(), "a@example.org", password).json()["data"]
    phone = login(APIClient(), "a@example.org", password).json()["data"]

    out = bearer(laptop["access_token"]).post(LOGOUT)

    assert out.status_code == 200, out.content
    assert out.json()["data"] == {"message": "Signed out."}
    after = bearer(laptop["access_token"]).get(ME)
    assert after.status_code == 401
    assert after.json()["error"]["code"] == "token_not_valid"
    assert bearer(phone["access_token"]).get(ME).status_code == 200
    assert refresh(phone["refresh_token"]).status_code == 200
    # last: a revoked refresh token presented again counts as reuse, which ends every session (token_refresh)
    assert refresh(laptop["refresh_token"]).status_code == 401
    event = SecurityEvent.objects.get(kind="logout", user=agent)
    assert event.details == {"channel": "api", "sessions_ended": 1}


def test_logout_with_an_access_token_from_before_a_rotation_ends_the_rotated_refresh_token(agent, password):
    first = login(APIClient(), "a@example.org", password).json()["data"]
    rotated = refresh(first["refresh_token"]).json()["data"]

    out = bearer(first["access_token"]).post(LOGOUT)

    assert out.status_code == 200
    assert refresh(rotated["refresh_token"]).status_code == 401
    assert bearer(first["access_token"]).get(ME).status_code == 401
    # the rotated access token belongs to the same sign-in but was not presented: it lives out its hour
    assert bearer(rotated["access_token"]).get(ME).status_code == 200


def test_a_refresh_token_in_the_body_is_still_accepted(agent, password):
    tokens = login(APIClient(), "a@example.org", password).json()["data"]

    out = bearer(tokens["access_token"]).post(LOGOUT, {"refresh_token": tokens["refresh_token"]}, format="json")

    assert out.status_code == 200
    assert refresh(tokens["refresh_token"]).status_code == 401
    assert SecurityEvent.objects.get(kind="logout", user=agent).details["sessions_ended"] == 1


def test_a_signed_out_access_token_is_refused_on_the_websocket_too(agent, password):
    tokens = login(APIClient(), "a@example.org", password).json()["data"]
    assert user_and_claims_from_access_token(tokens["access_token"])[0] == agent

    bearer(tokens["access_token"]).post(LOGOUT)

    assert user_and_claims_from_access_token(tokens["access_token"]) == (None, None)


def test_an_access_token_without_a_session_id_signs_out_every_refresh_token(agent, password):
    """Tokens issued before sign-ins carried a `sid` cannot name theirs: ending them all errs on the safe side."""
    other = login(APIClient(), "a@example.org", password).json()["data"]
    legacy = RefreshToken.for_user(agent)

    out = bearer(str(legacy.access_token)).post(LOGOUT)

    assert out.status_code == 200
    assert refresh(other["refresh_token"]).status_code == 401
    assert refresh(str(legacy)).status_code == 401
