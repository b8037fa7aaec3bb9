"""Two-step sign-in from the portal: the profile says whether it is on; /profile/mfa enrols an authenticator app
(QR code and key, then a code from the app), after which signing in asks for a code. Customers only."""

from base64 import b32encode

import pytest
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.accounts import services
from apps.accounts.roles import Role
from apps.audit.models import SecurityEvent
from tests.factories.accounts import UserFactory

pytestmark = pytest.mark.django_db


def code_for(user) -> str:
    device = TOTPDevice.objects.filter(user=user).order_by("-id").get()
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def secret_of(user) -> str:
    return b32encode(TOTPDevice.objects.get(user=user).bin_key).decode()


def test_the_page_requires_signing_in(insured):
    client = Client()

    page = client.get("/profile/mfa")
    post = client.post("/profile/mfa", {"code": "123456"})

    assert page.status_code == 302
    assert page["Location"] == "/login?next=/profile/mfa"
    assert post.status_code == 302
    assert not TOTPDevice.objects.exists()


def test_profile_says_two_step_sign_in_is_off_and_links_to_set_it_up(browser):
    page = browser.get("/profile").content.decode()

    assert "<h2>Two-step sign-in</h2>" in page
    assert "Off" in page
    assert 'href="/profile/mfa"' in page


def test_setup_shows_a_qr_code_and_the_key_and_keeps_them_on_reload(browser, insured):
    user = insured[0]

    first = browser.get("/profile/mfa")
    secret = secret_of(user)
    again = browser.get("/profile/mfa").content.decode()

    page = first.content.decode()
    assert first.status_code == 200
    assert "no-store" in first["Cache-Control"]
    assert '<svg class="qr" role="img" aria-label="QR code for your authenticator app"' in page
    assert "<?xml" not in page
    assert f'<code class="secret">{secret}</code>' in page
    assert '<label for="id_code">' in page
    assert 'autocomplete="one-time-code"' in page
    assert 'inputmode="numeric"' in page
    assert TOTPDevice.objects.filter(user=user, confirmed=False).count() == 1
    assert secret_of(user) == secret  # reloading does not replace what was scanned
    assert f'<code class="secret">{secret}</code>' in again
    user.refresh_from_db()
    assert user.mfa_enabled is False


def test_a_wrong_code_is_answered_inline_and_does_not_enrol(browser, insured):
    user = insured[0]
    browser.get("/profile/mfa")
    secret = secret_of(user)

    malformed = browser.post("/profile/mfa", {"code": "12"})
    wrong = browser.post("/profile/mfa", {"code": "000000"})

    assert malformed.status_code == 200
    assert "Enter the 6-digit code." in malformed.content.decode()
    page = wrong.content.decode()
    assert wrong.status_code == 200
    assert "The authentication code is not valid." in page
    assert 'aria-describedby="id_code_error"' in page
    assert 'id="id_code_error"' in page
    assert f'<code class="secret">{secret}</code>' in page  # the same key: the page stays usable
    user.refresh_from_db()
    assert user.mfa_enabled is False
    assert not TOTPDevice.objects.filter(user=user, confirmed=True).exists()
    assert SecurityEvent.objects.filter(kind=SecurityEvent.Kind.MFA_CHALLENGE_FAILED, user=user).count() == 1


def test_the_right_code_enrols_and_signing_in_then_asks_for_a_code(browser, insured, password):
    user = insured[0]
    browser.get("/profile/mfa")

    enrolled = browser.post("/profile/mfa", {"code": code_for(user)})
    profile = browser.get("/profile").content.decode()

    assert enrolled.status_code == 302
    assert enrolled["Location"] == "/profile"
    user.refresh_from_db()
    assert user.mfa_enabled is True
    device = TOTPDevice.objects.get(user=user)
    assert device.confirmed is True
    assert browser.session[DEVICE_ID_SESSION_KEY] == device.persistent_id  # this session passed MFA
    assert "Two-step sign-in is on." in profile
    assert SecurityEvent.objects.filter(kind=SecurityEvent.Kind.MFA_ENROLLED, user=user).exists()

    # The enrolment code was just used once; a TOTP code is good once, so sign in with a fresh window.
    TOTPDevice.objects.filter(user=user).update(last_t=-1)
    client = Client()
    without = client.post("/login/", {"username": user.email, "password": password})
    signed_in = client.post("/login/", {"username": user.email, "password": password, "otp_token": code_for(user)})

    assert without.status_code == 200
    assert "Enter the code from your authenticator app." in without.content.decode()
    assert signed_in.status_code == 302
    assert client.get("/").context["user"] == user
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id


def test_an_enrolled_customer_is_told_so_and_gets_no_new_key(browser, insured):
    user = insured[0]
    services.mfa_setup(user=user)
    services.mfa_confirm(user=user, code=code_for(user))  # elsewhere: the browser's session ends with it
    key = TOTPDevice.objects.get(user=user).key
    browser.force_login(user)

    page = browser.get("/profile/mfa").content.decode()
    post = browser.post("/profile/mfa", {"code": "123456"})

    assert "When you sign in, we ask for your password and a code" in page
    assert "<svg" not in page
    assert 'name="code"' not in page
    assert post.status_code == 200
    assert list(TOTPDevice.objects.filter(user=user).values_list("key", "confirmed")) == [(key, True)]
    assert "On" in browser.get("/profile").content.decode()


def test_staff_are_sent_to_the_back_office():
    agent = UserFactory(role=Role.AGENT)
    client = Client()
    client.force_login(agent)

    page = client.get("/profile/mfa")
    post = client.post("/profile/mfa", {"code": "123456"})

    assert page.status_code == 302
    assert page["Location"] == "/admin/"
    assert post.status_code == 302
    assert not TOTPDevice.objects.filter(user=agent).exists()


def test_enrolment_codes_are_rate_limited(browser, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "auth": "2/hour"},
    }
    from rest_framework.settings import api_settings

    api_settings.reload()
    try:
        browser.get("/profile/mfa")
        answers = [browser.post("/profile/mfa", {"code": "000000"}).status_code for _ in range(3)]
        assert answers == [200, 200, 429]
        assert browser.get("/profile/mfa").status_code == 200  # only posts count
    finally:
        settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK}
        api_settings.reload()
