"""Changing an authentication factor ends the person's other sessions (OWASP ASVS V3.3): other browser sessions
(portal, admin), refresh tokens and access tokens issued before the change; the session that made the change
stays signed in, and the person is told by email."""

import time

import pytest
from django.core import mail
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.accounts import services
from apps.accounts.roles import Role
from apps.audit.models import SecurityEvent
from tests.conftest import client_for
from tests.factories.accounts import UserFactory
from tests.factories.customers import CustomerFactory

pytestmark = pytest.mark.django_db


def code_for(user) -> str:
    device = TOTPDevice.objects.filter(user=user).order_by("-id").first()
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def test_enrolling_in_the_portal_signs_out_the_other_browser_and_api_sessions(
    password, django_capture_on_commit_callbacks
):
    user = UserFactory(role=Role.CUSTOMER)
    CustomerFactory(user=user, email=user.email)
    here, elsewhere = Client(), Client()
    here.post("/login/", {"username": user.email, "password": password})
    elsewhere.post("/login/", {"username": user.email, "password": password})
    old_tokens = services.tokens_issue(user=user, otp_verified=False)
    time.sleep(1)  # JWT `iat` has whole seconds: tokens from an earlier second than the change
    assert elsewhere.get("/profile").status_code == 200

    here.get("/profile/mfa")
    with django_capture_on_commit_callbacks(execute=True):
        enrolled = here.post("/profile/mfa", {"code": code_for(user)}, follow=True)

    assert enrolled.status_code == 200
    assert "Everywhere else you were signed in has been signed out." in enrolled.content.decode()
    assert here.get("/profile").status_code == 200  # the session that enrolled stays signed in
    signed_out = elsewhere.get("/profile")
    assert signed_out.status_code == 302
    assert signed_out["Location"].startswith("/login?next=")
    api = Client()
    refused = api.get("/api/v1/customers/me", HTTP_AUTHORIZATION=f"Bearer {old_tokens['access_token']}")
    assert refused.status_code == 401
    refresh = api.post(
        "/api/v1/auth/refresh", {"refresh_token": old_tokens["refresh_token"]}, content_type="application/json"
    )
    assert refresh.status_code == 401
    assert [m.subject for m in mail.outbox] == ["Two-step sign-in was turned on"]
    assert mail.outbox[0].to == [user.email]
    assert "has been signed out" in mail.outbox[0].body
    assert SecurityEvent.objects.get(kind=SecurityEvent.Kind.MFA_ENROLLED, user=user).details["sessions_ended"] == 1


def test_enrolling_through_the_api_answers_with_tokens_that_still_work():
    user = UserFactory(role=Role.AGENT)
    client = client_for(user)
    time.sleep(1)
    client.post("/api/v1/auth/mfa/setup")

    response = client.post("/api/v1/auth/mfa/verify", {"code": code_for(user)}, format="json")

    assert response.status_code == 200
    fresh = client_for(None)
    fresh.credentials(HTTP_AUTHORIZATION=f"Bearer {response.json()['data']['access_token']}")
    assert fresh.get("/api/v1/auth/me").status_code == 200
    assert client.get("/api/v1/auth/me").status_code == 401  # the token that started it predates the change


def test_an_admin_removing_the_authenticator_signs_the_person_out_everywhere(django_capture_on_commit_callbacks):
    admin = UserFactory(role=Role.ADMIN)
    user = UserFactory(role=Role.AGENT, mfa_enabled=True)
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    browser = Client()
    browser.force_login(user)
    session = browser.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id  # this session passed the second factor
    session.save()
    assert browser.get("/admin/").status_code == 200

    with django_capture_on_commit_callbacks(execute=True):
        services.mfa_reset(user=user, actor=admin)

    user.refresh_from_db()
    assert user.mfa_enabled is False
    assert user.factors_changed_at is not None
    after = browser.get("/admin/")
    assert after.status_code == 302
    assert "/admin/login/" in after["Location"]
    assert [m.subject for m in mail.outbox] == ["Your authenticator was removed"]
