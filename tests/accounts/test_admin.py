"""The back office: sign-in (with TOTP when enrolled), MFA enrolment for required roles, role-aware screens."""

import pytest
from django.test import Client, override_settings
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.accounts import services
from apps.accounts.models import User
from apps.accounts.roles import Role
from apps.audit.models import SecurityEvent

pytestmark = pytest.mark.django_db


def admin_login(client, email, password, otp_token=""):
    return client.post("/admin/login/?next=/admin/", {"username": email, "password": password, "otp_token": otp_token})


def code_for(user) -> str:
    device = TOTPDevice.objects.filter(user=user).order_by("-id").first()
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def test_staff_signs_in_and_sees_the_branded_back_office(make_user, password):
    make_user(Role.ADMIN, email="boss@example.org")
    client = Client()

    response = admin_login(client, "boss@example.org", password)
    index = client.get("/admin/")

    assert response.status_code == 302
    assert index.status_code == 200
    page = index.content.decode()
    assert "InsureOps" in page
    assert "/admin/accounts/user/" in page
    assert SecurityEvent.objects.filter(kind="login_succeeded", details__channel="session").exists()


def test_customer_cannot_use_the_back_office(make_user, password):
    make_user(Role.CUSTOMER, email="cust@example.org")
    client = Client()

    admin_login(client, "cust@example.org", password)

    assert client.get("/admin/").status_code == 302


def test_admin_login_requires_totp_when_enrolled(make_user, password):
    user = make_user(Role.MANAGER, email="mgr@example.org")
    services.mfa_setup(user=user)
    services.mfa_confirm(user=user, code=code_for(user))
    TOTPDevice.objects.filter(user=user).update(last_t=-1)

    without = admin_login(Client(), "mgr@example.org", password)
    wrong = admin_login(Client(), "mgr@example.org", password, "000000")
    # django-otp backs off after a wrong code; the user waits it out.
    TOTPDevice.objects.filter(user=user).update(throttling_failure_count=0, throttling_failure_timestamp=None)
    client = Client()
    right = admin_login(client, "mgr@example.org", password, code_for(user))

    assert without.status_code == 200
    assert "Enter the code from your authenticator app" in without.content.decode()
    assert wrong.status_code == 200
    assert right.status_code == 302
    assert client.get("/admin/").status_code == 200


@override_settings(MFA_REQUIRED_ROLES=["admin", "manager"])
def test_required_role_is_sent_to_enrolment_then_let_in(make_user, password):
    user = make_user(Role.ADMIN, email="boss@example.org")
    client = Client()
    admin_login(client, "boss@example.org", password)

    redirected = client.get("/admin/")
    setup_page = client.get("/admin/mfa/setup/")
    bad = client.post("/admin/mfa/setup/", {"code": "12"})
    good = client.post("/admin/mfa/setup/", {"code": code_for(user)})

    assert redirected.status_code == 302
    assert redirected["Location"] == "/admin/mfa/setup/"
    assert setup_page.status_code == 200
    assert "<svg" in setup_page.content.decode()
    assert bad.status_code == 200
    assert good.status_code == 302
    user.refresh_from_db()
    assert user.mfa_enabled is True
    assert client.get("/admin/").status_code == 200


def test_viewer_sees_users_read_only_and_agent_not_at_all(make_user, password):
    make_user(Role.MANAGER, email="mgr@example.org")
    target = make_user(Role.AGENT, email="agent@example.org")
    manager, agent = Client(), Client()
    admin_login(manager, "mgr@example.org", password)
    admin_login(agent, "agent@example.org", password)

    listing = manager.get("/admin/accounts/user/")
    change = manager.get(f"/admin/accounts/user/{target.pk}/change/")
    post = manager.post(f"/admin/accounts/user/{target.pk}/change/", {"role": "admin"})

    assert listing.status_code == 200
    assert change.status_code == 200
    assert 'name="_save"' not in change.content.decode()  # read-only for managers
    assert post.status_code == 403
    target.refresh_from_db()
    assert target.role == "agent"
    assert agent.get("/admin/accounts/user/").status_code == 403


def test_admin_creates_user_through_the_service(make_user, password):
    make_user(Role.ADMIN, email="boss@example.org")
    client = Client()
    admin_login(client, "boss@example.org", password)

    response = client.post(
        "/admin/accounts/user/add/",
        {
            "email": "Fresh@Example.org",
            "first_name": "Fresh",
            "last_name": "Hire",
            "role": "assessor",
            "phone": "",
            "department": "Claims",
            "job_title": "",
            "certification_level": "",
            "team": "",
            "branch": "",
            "password": "",
        },
    )

    assert response.status_code == 302, response.content.decode()[:3000]
    created = User.objects.get(email="fresh@example.org")
    assert (created.role, created.status, created.has_usable_password()) == ("assessor", "invited", False)


def test_security_events_are_read_only_in_admin(make_user, password):
    make_user(Role.ADMIN, email="boss@example.org")
    client = Client()
    admin_login(client, "boss@example.org", password)
    event = SecurityEvent.objects.first()

    assert client.get("/admin/audit/securityevent/").status_code == 200
    assert client.get(f"/admin/audit/securityevent/{event.pk}/delete/").status_code == 403
    assert client.get("/admin/pghistory/events/").status_code == 200


def test_portal_sign_in_also_requires_totp_when_enrolled(make_user, password):
    user = make_user(Role.CUSTOMER, email="cust@example.org")
    services.mfa_setup(user=user)
    services.mfa_confirm(user=user, code=code_for(user))
    client = Client()

    response = client.post("/login/", {"username": "cust@example.org", "password": password})

    assert response.status_code == 200
    assert "Enter the code from your authenticator app" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_portal_sign_in_with_password(make_user, password):
    make_user(Role.CUSTOMER, email="cust@example.org", first_name="Chris")
    client = Client()

    response = client.post("/login/", {"username": "cust@example.org", "password": password}, follow=True)

    assert response.status_code == 200
    assert "Welcome, Chris" in response.content.decode()


def test_manager_cannot_remove_an_admins_authenticator(make_user, password):
    admin_user = make_user(Role.ADMIN, email="boss@example.org")
    services.mfa_setup(user=admin_user)
    services.mfa_confirm(user=admin_user, code=code_for(admin_user))
    manager = Client()
    manager.force_login(make_user(Role.MANAGER))

    response = manager.post("/admin/accounts/user/", {"action": "reset_mfa", "_selected_action": [admin_user.pk]})

    admin_user.refresh_from_db()
    assert admin_user.mfa_enabled is True
    assert response.status_code == 200  # the action is not offered to a manager: the list again, nothing done
    assert TOTPDevice.objects.filter(user=admin_user).exists()


def test_admin_removes_an_authenticator(make_user):
    user = make_user(Role.AGENT)
    services.mfa_setup(user=user)
    services.mfa_confirm(user=user, code=code_for(user))
    client = Client()
    client.force_login(make_user(Role.ADMIN))

    client.post("/admin/accounts/user/", {"action": "reset_mfa", "_selected_action": [user.pk]})

    user.refresh_from_db()
    assert user.mfa_enabled is False
    assert SecurityEvent.objects.filter(kind="mfa_reset").exists()


def test_admin_password_change_goes_through_the_service(api_client, make_user, password):
    user = make_user(Role.AGENT, email="agent@example.org")
    tokens = api_client.post(
        "/api/v1/auth/login", {"email": "agent@example.org", "password": password}, format="json"
    ).json()["data"]
    client = Client()
    admin_login(client, "agent@example.org", password)

    response = client.post(
        "/admin/password_change/",
        {"old_password": password, "new_password1": "brand-new-secret-77", "new_password2": "brand-new-secret-77"},
    )

    assert response.status_code == 302
    user.refresh_from_db()
    assert user.password_changed_at is not None
    assert SecurityEvent.objects.filter(kind="password_changed", user=user).exists()
    refresh = api_client.post("/api/v1/auth/refresh", {"refresh_token": tokens["refresh_token"]}, format="json")
    assert refresh.status_code == 401


def test_admin_form_shows_service_refusals_instead_of_crashing(make_user, password):
    admin_user = make_user(Role.ADMIN, email="boss@example.org", first_name="Boss", last_name="Person")
    client = Client()
    client.force_login(admin_user)

    response = client.post(
        f"/admin/accounts/user/{admin_user.pk}/change/",
        {
            "first_name": "Boss",
            "last_name": "Person",
            "phone": "",
            "role": "viewer",
            "status": "active",
            "is_active": "on",
            "team": "",
            "branch": "",
            "department": "",
            "job_title": "",
            "certification_level": "",
        },
    )

    assert response.status_code == 200
    assert "cannot change your own role" in response.content.decode()
    admin_user.refresh_from_db()
    assert admin_user.role == "admin"
