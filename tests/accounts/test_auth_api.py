"""Auth endpoints (seed 003 "Authentication Endpoints"): happy paths and every way they refuse."""

import time
from datetime import timedelta

import pyotp
import pytest
from django.core import mail
from django.test import override_settings
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from apps.accounts.models import User
from apps.accounts.roles import Role, permissions_for_role
from apps.audit.models import SecurityEvent

pytestmark = pytest.mark.django_db

LOGIN = "/api/v1/auth/login"


def login(client, email, password, **extra):
    return client.post(LOGIN, {"email": email, "password": password}, format="json", **extra)


def current_code(user) -> str:
    device = TOTPDevice.objects.filter(user=user).order_by("-id").first()
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


# --- login -------------------------------------------------------------------------------------------


def test_login_returns_seed_003_shape(api_client, make_user, password):
    user = make_user(Role.MANAGER, email="mgr@example.org", first_name="John", last_name="Doe")

    response = login(api_client, "MGR@example.org", password)

    assert response.status_code == 200
    body = response.json()
    assert body["success"] is True
    data = body["data"]
    assert set(data) >= {"access_token", "refresh_token", "expires_in", "user"}
    assert data["expires_in"] == 3600
    assert data["user"]["id"] == user.pk
    assert data["user"]["email"] == "mgr@example.org"
    assert data["user"]["first_name"] == "John"
    assert data["user"]["role"] == "manager"
    assert data["user"]["permissions"] == permissions_for_role("manager")
    claims = AccessToken(data["access_token"])
    assert claims["sub"] == str(user.pk)
    assert claims["email"] == "mgr@example.org"
    assert claims["role"] == "manager"
    assert "upload" in claims["permissions"]
    assert claims["exp"] - claims["iat"] == 3600
    assert SecurityEvent.objects.filter(kind="login_succeeded", user=user).count() == 1


@pytest.mark.parametrize(("email", "pw"), [("mgr@example.org", "wrong-password-1"), ("nobody@example.org", "x")])
def test_login_wrong_password_or_unknown_email_same_401(api_client, make_user, email, pw):
    make_user(Role.AGENT, email="mgr@example.org")

    response = login(api_client, email, pw)

    assert response.status_code == 401
    assert response.json()["error"] == {
        "code": "invalid_credentials",
        "message": "Invalid email or password.",
        "details": {},
    }
    assert SecurityEvent.objects.filter(kind="login_failed", email=email).count() == 1


def test_login_of_deactivated_user_is_refused(api_client, make_user, password):
    make_user(Role.AGENT, email="gone@example.org", is_active=False)

    response = login(api_client, "gone@example.org", password)

    assert response.status_code == 401
    assert "access_token" not in response.content.decode()


@pytest.mark.parametrize("payload", [{}, {"email": "not-an-email", "password": "x"}, {"email": "a@b.org"}])
def test_login_bad_input_is_a_validation_error(api_client, payload):
    response = api_client.post(LOGIN, payload, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"


def test_lockout_after_five_failures_per_email_and_ip(api_client, make_user, password):
    make_user(Role.AGENT, email="target@example.org")
    statuses = [login(api_client, "target@example.org", f"wrong-{i}").status_code for i in range(5)]

    locked = login(api_client, "target@example.org", password)  # right password, still locked

    assert statuses[:4] == [401, 401, 401, 401]
    assert statuses[4] == 429
    assert locked.status_code == 429
    assert locked["Retry-After"] == "900"
    assert locked.json()["error"]["code"] == "account_locked"
    assert "access_token" not in locked.content.decode()
    assert SecurityEvent.objects.filter(kind="lockout", email="target@example.org").exists()
    # Another IP is not locked out for the same account.
    other_ip = login(api_client, "target@example.org", password, REMOTE_ADDR="10.1.2.3")
    assert other_ip.status_code == 200


# --- refresh and logout ------------------------------------------------------------------------------


def test_refresh_rotates_and_old_refresh_token_dies(api_client, make_user, password):
    make_user(Role.AGENT, email="a@example.org")
    first = login(api_client, "a@example.org", password).json()["data"]

    rotated = api_client.post("/api/v1/auth/refresh", {"refresh_token": first["refresh_token"]}, format="json")
    reused = api_client.post("/api/v1/auth/refresh", {"refresh_token": first["refresh_token"]}, format="json")

    assert rotated.status_code == 200
    new = rotated.json()["data"]
    assert new["refresh_token"] != first["refresh_token"]
    assert AccessToken(new["access_token"])["role"] == "agent"
    assert reused.status_code == 401
    assert reused.json()["error"]["code"] == "token_reused"
    # A reused refresh token means it leaked: the rotated one is revoked too, and the event is logged.
    after = api_client.post("/api/v1/auth/refresh", {"refresh_token": new["refresh_token"]}, format="json")
    assert after.status_code == 401
    assert SecurityEvent.objects.filter(kind="token_reuse").exists()


@pytest.mark.parametrize(
    ("token", "status", "code"),
    [("garbage", 401, "token_not_valid"), ("a.b.c", 401, "token_not_valid"), ("", 400, "validation_error")],
)
def test_refresh_with_garbage_token(api_client, token, status, code):
    response = api_client.post("/api/v1/auth/refresh", {"refresh_token": token}, format="json")

    assert (response.status_code, response.json()["error"]["code"]) == (status, code)
    assert response.json()["success"] is False


def test_refresh_with_access_token_is_refused(api_client, make_user, password):
    make_user(Role.AGENT, email="a@example.org")
    access = login(api_client, "a@example.org", password).json()["data"]["access_token"]

    response = api_client.post("/api/v1/auth/refresh", {"refresh_token": access}, format="json")

    assert response.status_code == 401


def test_logout_blacklists_refresh_token(api_client, make_user, password):
    make_user(Role.AGENT, email="a@example.org")
    tokens = login(api_client, "a@example.org", password).json()["data"]
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}")

    out = api_client.post("/api/v1/auth/logout", {"refresh_token": tokens["refresh_token"]}, format="json")
    refresh = api_client.post("/api/v1/auth/refresh", {"refresh_token": tokens["refresh_token"]}, format="json")
    again = api_client.post("/api/v1/auth/logout", {"refresh_token": tokens["refresh_token"]}, format="json")

    assert out.status_code == 200
    assert refresh.status_code == 401
    assert again.status_code == 401  # the bearer token was signed out with its refresh token


def test_logout_with_someone_elses_refresh_token_is_refused(api_client, make_user, password):
    make_user(Role.AGENT, email="a@example.org")
    make_user(Role.AGENT, email="b@example.org")
    mine = login(api_client, "a@example.org", password).json()["data"]
    theirs = login(api_client, "b@example.org", password).json()["data"]
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {mine['access_token']}")

    response = api_client.post("/api/v1/auth/logout", {"refresh_token": theirs["refresh_token"]}, format="json")

    assert response.status_code == 400
    ok = api_client.post("/api/v1/auth/refresh", {"refresh_token": theirs["refresh_token"]}, format="json")
    assert ok.status_code == 200


def test_expired_access_token_is_401(api_client, make_user):
    user = make_user(Role.AGENT)
    token = AccessToken.for_user(user)
    token.set_exp(lifetime=-timedelta(seconds=1))
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")

    response = api_client.get("/api/v1/auth/me")

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "token_not_valid"


def test_a_token_already_verified_by_this_process_is_still_refused_once_expired_or_its_user_deactivated(
    api_client, make_user
):
    """JwtAuthentication keeps verified tokens by their bytes: expiry and the user are still checked each time."""
    from apps.accounts.api import authentication

    user = make_user(Role.AGENT)
    token = AccessToken.for_user(user)
    token.set_exp(lifetime=timedelta(seconds=2))
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert api_client.get("/api/v1/auth/me").status_code == 200
    assert str(token).encode() in authentication._VERIFIED

    User.objects.filter(pk=user.pk).update(is_active=False)
    assert api_client.get("/api/v1/auth/me").status_code == 401
    User.objects.filter(pk=user.pk).update(is_active=True)
    assert api_client.get("/api/v1/auth/me").status_code == 200

    time.sleep(2.1)
    response = api_client.get("/api/v1/auth/me")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "token_not_valid"
    assert str(token).encode() not in authentication._VERIFIED


def test_the_user_read_for_a_token_is_the_orms_user(make_user):
    """JwtAuthentication reads the user with SQL compiled once: every column, converted as the ORM does."""
    from apps.accounts.api.authentication import _user_by_pk

    user = make_user(Role.MANAGER)
    read, orm = _user_by_pk(str(user.pk)), User.objects.get(pk=user.pk)
    assert {f.attname: getattr(read, f.attname) for f in User._meta.concrete_fields} == {
        f.attname: getattr(orm, f.attname) for f in User._meta.concrete_fields
    }
    assert read.permissions == orm.permissions
    assert not read._state.adding
    assert _user_by_pk(str(user.pk + 10_000)) is None
    assert _user_by_pk("not-a-number") is None


@pytest.mark.parametrize("header", ["Bearer garbage", "Bearer ", "Token abc", "Bearer a.b.c"])
def test_garbage_authorization_header_is_401(api_client, header):
    api_client.credentials(HTTP_AUTHORIZATION=header)

    response = api_client.get("/api/v1/auth/me")

    assert response.status_code == 401
    assert response.json()["success"] is False


def test_token_signed_with_another_key_is_401(api_client, make_user):
    import jwt

    user = make_user(Role.ADMIN)
    forged = jwt.encode(
        {"sub": str(user.pk), "token_type": "access", "exp": int(time.time()) + 600, "jti": "x", "role": "admin"},
        "not-our-key",
        algorithm="HS256",
    )
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {forged}")

    assert api_client.get("/api/v1/auth/me").status_code == 401


def test_deactivated_user_token_stops_working(api_client, make_user, password):
    user = make_user(Role.AGENT, email="a@example.org")
    access = login(api_client, "a@example.org", password).json()["data"]["access_token"]
    User.objects.filter(pk=user.pk).update(is_active=False)
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")

    assert api_client.get("/api/v1/auth/me").status_code == 401


# --- register ---------------------------------------------------------------------------------------


def test_register_creates_customer_and_signs_in(api_client):
    response = api_client.post(
        "/api/v1/auth/register",
        {
            "email": "New.Person@Example.org",
            "password": "a-long-unusual-pass-42",
            "first_name": "New",
            "last_name": "Person",
            "phone": "+351912345678",
        },
        format="json",
    )

    assert response.status_code == 201
    data = response.json()["data"]
    assert data["user"]["role"] == "customer"
    assert data["user"]["email"] == "new.person@example.org"
    assert AccessToken(data["access_token"])["role"] == "customer"
    assert User.objects.get(email="new.person@example.org").check_password("a-long-unusual-pass-42")


def test_register_cannot_choose_a_staff_role(api_client):
    response = api_client.post(
        "/api/v1/auth/register",
        {
            "email": "sneaky@example.org",
            "password": "a-long-unusual-pass-42",
            "first_name": "S",
            "last_name": "N",
            "role": "admin",
        },
        format="json",
    )

    assert response.status_code == 201
    assert User.objects.get(email="sneaky@example.org").role == "customer"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        (
            {"email": "dup@example.org", "password": "a-long-unusual-pass-42", "first_name": "A", "last_name": "B"},
            "email",
        ),
        ({"email": "weak@example.org", "password": "password", "first_name": "A", "last_name": "B"}, "password"),
        (
            {
                "email": "x@example.org",
                "password": "a-long-unusual-pass-42",
                "first_name": "A",
                "last_name": "B",
                "phone": "12345",
            },
            "phone",
        ),
        ({"email": "x@example.org", "password": "a-long-unusual-pass-42"}, "first_name"),
    ],
)
def test_register_rejects_bad_input_and_creates_nothing(api_client, make_user, payload, field):
    make_user(Role.CUSTOMER, email="dup@example.org")
    before = User.objects.count()

    response = api_client.post("/api/v1/auth/register", payload, format="json")

    assert response.status_code == 400
    assert field in response.json()["error"]["details"]
    assert User.objects.count() == before


# --- forgot / reset password --------------------------------------------------------------------------


def _reset_token_from_mail() -> str:
    body = mail.outbox[-1].body
    return body.split("reset code, if your app asks for it: ")[1].split()[0]


def test_forgot_password_gives_same_answer_for_unknown_email(api_client, make_user, django_capture_on_commit_callbacks):
    make_user(Role.CUSTOMER, email="known@example.org")

    with django_capture_on_commit_callbacks(execute=True):
        known = api_client.post("/api/v1/auth/forgot-password", {"email": "known@example.org"}, format="json")
        unknown = api_client.post("/api/v1/auth/forgot-password", {"email": "unknown@example.org"}, format="json")

    assert known.status_code == unknown.status_code == 200
    assert known.json() == unknown.json()
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["known@example.org"]
    assert "reset-password?token=" in mail.outbox[0].body


def test_reset_password_works_once(api_client, make_user, password, django_capture_on_commit_callbacks):
    make_user(Role.CUSTOMER, email="known@example.org")
    old_session = login(api_client, "known@example.org", password).json()["data"]
    with django_capture_on_commit_callbacks(execute=True):
        api_client.post("/api/v1/auth/forgot-password", {"email": "known@example.org"}, format="json")
    token = _reset_token_from_mail()

    first = api_client.post(
        "/api/v1/auth/reset-password", {"token": token, "password": "brand-new-secret-77"}, format="json"
    )
    reuse = api_client.post(
        "/api/v1/auth/reset-password", {"token": token, "password": "another-secret-88"}, format="json"
    )

    assert first.status_code == 200
    assert reuse.status_code == 400
    assert reuse.json()["error"]["details"]["token"]
    assert login(api_client, "known@example.org", "brand-new-secret-77").status_code == 200
    assert login(api_client, "known@example.org", "another-secret-88").status_code == 401
    # Sessions from before the reset are over.
    refresh = api_client.post("/api/v1/auth/refresh", {"refresh_token": old_session["refresh_token"]}, format="json")
    assert refresh.status_code == 401
    assert SecurityEvent.objects.filter(kind="password_reset").count() == 1


@pytest.mark.parametrize("token", ["nonsense", "MQ.abc-def", "", "x" * 299])
def test_reset_password_with_invalid_token(api_client, token):
    response = api_client.post(
        "/api/v1/auth/reset-password", {"token": token, "password": "brand-new-secret-77"}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"


def test_reset_password_rejects_weak_password_and_keeps_token_usable(
    api_client, make_user, django_capture_on_commit_callbacks
):
    make_user(Role.CUSTOMER, email="known@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        api_client.post("/api/v1/auth/forgot-password", {"email": "known@example.org"}, format="json")
    token = _reset_token_from_mail()

    weak = api_client.post("/api/v1/auth/reset-password", {"token": token, "password": "123"}, format="json")
    strong = api_client.post(
        "/api/v1/auth/reset-password", {"token": token, "password": "brand-new-secret-77"}, format="json"
    )

    assert weak.status_code == 400
    assert "password" in weak.json()["error"]["details"]
    assert strong.status_code == 200


# --- me and change-password ----------------------------------------------------------------------------


def test_me_and_update_own_contact_fields(auth_client):
    client, user = auth_client(Role.CUSTOMER)

    me = client.get("/api/v1/auth/me")
    updated = client.patch("/api/v1/auth/me", {"first_name": "Renamed", "phone": "+14155550100"}, format="json")

    assert me.json()["data"]["email"] == user.email
    assert updated.status_code == 200
    user.refresh_from_db()
    assert (user.first_name, user.phone) == ("Renamed", "+14155550100")


def test_me_update_ignores_role(auth_client):
    client, user = auth_client(Role.CUSTOMER)

    client.patch("/api/v1/auth/me", {"role": "admin"}, format="json")

    user.refresh_from_db()
    assert user.role == "customer"


def test_change_password(api_client, make_user, password):
    make_user(Role.AGENT, email="a@example.org")
    tokens = login(api_client, "a@example.org", password).json()["data"]
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}")

    wrong = api_client.post(
        "/api/v1/auth/change-password",
        {"current_password": "nope", "new_password": "brand-new-secret-77"},
        format="json",
    )
    ok = api_client.post(
        "/api/v1/auth/change-password",
        {"current_password": password, "new_password": "brand-new-secret-77"},
        format="json",
    )

    assert wrong.status_code == 400
    assert "current_password" in wrong.json()["error"]["details"]
    assert ok.status_code == 200
    # The old refresh token is revoked; the new pair works.
    old = api_client.post("/api/v1/auth/refresh", {"refresh_token": tokens["refresh_token"]}, format="json")
    assert old.status_code == 401
    new_client = type(api_client)()
    new_client.credentials(HTTP_AUTHORIZATION=f"Bearer {ok.json()['data']['access_token']}")
    assert new_client.get("/api/v1/auth/me").status_code == 200


# --- MFA ------------------------------------------------------------------------------------------


def _enrol(client, user) -> dict:
    setup = client.post("/api/v1/auth/mfa/setup", format="json").json()["data"]
    verified = client.post("/api/v1/auth/mfa/verify", {"code": current_code(user)}, format="json")
    assert verified.status_code == 200, verified.content
    return setup


def test_mfa_setup_returns_otpauth_uri_matching_the_device(auth_client):
    client, user = auth_client(Role.MANAGER)

    setup = client.post("/api/v1/auth/mfa/setup", format="json").json()["data"]

    assert setup["otpauth_uri"].startswith("otpauth://totp/")
    assert "issuer=InsureOps" in setup["otpauth_uri"]
    # An authenticator app given the URI's secret produces codes the server accepts.
    code = pyotp.TOTP(setup["secret"]).now()
    verified = client.post("/api/v1/auth/mfa/verify", {"code": code}, format="json")
    assert verified.status_code == 200
    user.refresh_from_db()
    assert user.mfa_enabled is True
    assert AccessToken(verified.json()["data"]["access_token"])["amr"] == ["pwd", "otp"]


def test_mfa_enrolment_with_wrong_code(auth_client):
    client, user = auth_client(Role.MANAGER)
    client.post("/api/v1/auth/mfa/setup", format="json")

    response = client.post("/api/v1/auth/mfa/verify", {"code": "000000"}, format="json")

    assert response.status_code == 400
    user.refresh_from_db()
    assert user.mfa_enabled is False


def test_login_with_mfa_requires_totp(api_client, auth_client, password):
    client, user = auth_client(Role.ADMIN)
    _enrol(client, user)

    first = login(api_client, user.email, password)
    challenge = first.json()["data"]
    wrong = api_client.post(
        "/api/v1/auth/mfa/verify", {"mfa_token": challenge["mfa_token"], "code": "123456"}, format="json"
    )
    # The enrolment used this period's code, and django-otp backs off after the wrong one: reset both,
    # as if the user waited for the next code.
    TOTPDevice.objects.filter(user=user).update(
        last_t=-1, throttling_failure_count=0, throttling_failure_timestamp=None
    )
    right = api_client.post(
        "/api/v1/auth/mfa/verify", {"mfa_token": challenge["mfa_token"], "code": current_code(user)}, format="json"
    )
    replay = api_client.post(
        "/api/v1/auth/mfa/verify", {"mfa_token": challenge["mfa_token"], "code": current_code(user)}, format="json"
    )

    assert first.status_code == 202
    assert challenge["mfa_required"] is True
    assert "access_token" not in challenge
    assert wrong.status_code == 401
    assert wrong.json()["error"]["code"] == "invalid_mfa_code"
    assert right.status_code == 200
    assert AccessToken(right.json()["data"]["access_token"])["amr"] == ["pwd", "otp"]
    assert replay.status_code == 401  # a TOTP code is good once
    assert SecurityEvent.objects.filter(kind="mfa_failed", user=user).exists()


def test_mfa_challenge_token_tampered_or_garbage(api_client):
    response = api_client.post("/api/v1/auth/mfa/verify", {"mfa_token": "garbage", "code": "123456"}, format="json")

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "mfa_token_invalid"


def test_token_without_otp_is_refused_once_user_enrolled(auth_client):
    client, user = auth_client(Role.AGENT)  # token issued before enrolment: amr = [pwd]
    time.sleep(1)  # JWT `iat` has whole seconds: a token from a second before the change
    _enrol(client, user)

    response = client.get("/api/v1/teams")

    # Enrolling ends every earlier session (tests/accounts/test_mfa_sessions.py), this token's included.
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "token_not_valid"


@override_settings(MFA_REQUIRED_ROLES=["admin", "manager"])
def test_roles_that_require_mfa_must_enrol_first(auth_client):
    client, user = auth_client(Role.MANAGER)

    blocked = client.get("/api/v1/users")
    me = client.get("/api/v1/auth/me")
    setup = client.post("/api/v1/auth/mfa/setup", format="json")

    assert blocked.status_code == 403
    assert blocked.json()["error"]["code"] == "mfa_enrollment_required"
    assert me.status_code == 200
    assert setup.status_code == 200
    verified = client.post("/api/v1/auth/mfa/verify", {"code": current_code(user)}, format="json")
    fresh = type(client)()
    fresh.credentials(HTTP_AUTHORIZATION=f"Bearer {verified.json()['data']['access_token']}")
    assert fresh.get("/api/v1/users").status_code == 200


def test_refresh_keeps_mfa_claim(api_client, auth_client, password):
    client, user = auth_client(Role.AGENT)
    _enrol(client, user)
    TOTPDevice.objects.filter(user=user).update(last_t=-1)
    challenge = login(api_client, user.email, password).json()["data"]
    tokens = api_client.post(
        "/api/v1/auth/mfa/verify", {"mfa_token": challenge["mfa_token"], "code": current_code(user)}, format="json"
    ).json()

    rotated = api_client.post("/api/v1/auth/refresh", {"refresh_token": tokens["data"]["refresh_token"]}, format="json")

    assert RefreshToken(rotated.json()["data"]["refresh_token"])["amr"] == ["pwd", "otp"]


def test_successful_api_login_clears_earlier_failures(api_client, make_user, password):
    make_user(Role.AGENT, email="a@example.org")
    for i in range(4):
        login(api_client, "a@example.org", f"wrong-{i}")
    assert login(api_client, "a@example.org", password).status_code == 200

    after = login(api_client, "a@example.org", "wrong-again")

    assert after.status_code == 401  # not locked: the success reset the count


def test_failed_mfa_enrolment_is_recorded_although_the_request_fails(auth_client):
    client, user = auth_client(Role.MANAGER)
    client.post("/api/v1/auth/mfa/setup", format="json")

    client.post("/api/v1/auth/mfa/verify", {"code": "000000"}, format="json")

    assert SecurityEvent.objects.filter(kind="mfa_failed", user=user).exists()


def test_enrolment_ends_password_only_sessions(api_client, make_user, password):
    user = make_user(Role.AGENT, email="a@example.org")
    tokens = login(api_client, "a@example.org", password).json()["data"]
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}")
    _enrol(api_client, user)

    refresh = api_client.post("/api/v1/auth/refresh", {"refresh_token": tokens["refresh_token"]}, format="json")

    assert refresh.status_code == 401


def test_suspending_a_user_ends_their_sessions_and_sign_in(api_client, auth_client, make_user, password):
    admin_client, _ = auth_client(Role.ADMIN)
    target = make_user(Role.AGENT, email="susp@example.org")
    tokens = login(api_client, "susp@example.org", password).json()["data"]

    admin_client.patch(f"/api/v1/users/{target.pk}", {"status": "suspended"}, format="json")

    target.refresh_from_db()
    assert (target.is_active, target.status) == (False, "suspended")
    refresh = api_client.post("/api/v1/auth/refresh", {"refresh_token": tokens["refresh_token"]}, format="json")
    assert refresh.status_code == 401
    again = login(api_client, "susp@example.org", password)
    assert again.status_code == 401
    assert again.json()["error"]["code"] == "invalid_credentials"  # no hint that the password was right
