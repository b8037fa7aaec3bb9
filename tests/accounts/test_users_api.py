"""Staff management endpoints: admins create and manage users; managers read; nobody edits their own role."""

import pytest

from apps.accounts.models import Team, User
from apps.accounts.roles import Role
from apps.audit.models import SecurityEvent

pytestmark = pytest.mark.django_db


def test_admin_creates_an_agent_who_can_then_reset_a_password(auth_client):
    client, _ = auth_client(Role.ADMIN)

    response = client.post(
        "/api/v1/users",
        {
            "email": "New.Agent@example.org",
            "first_name": "New",
            "last_name": "Agent",
            "role": "agent",
            "department": "Motor",
        },
        format="json",
    )

    assert response.status_code == 201
    data = response.json()["data"]
    assert (data["email"], data["role"], data["status"]) == ("new.agent@example.org", "agent", "invited")
    assert User.objects.get(pk=data["id"]).has_usable_password() is False


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"email": "x@example.org", "first_name": "A", "last_name": "B", "role": "emperor"}, "role"),
        ({"email": "taken@example.org", "first_name": "A", "last_name": "B", "role": "agent"}, "email"),
        (
            {"email": "y@example.org", "first_name": "A", "last_name": "B", "role": "agent", "password": "short"},
            "password",
        ),
        ({"email": "z@example.org", "first_name": "A", "last_name": "B", "role": "agent", "team": 999999}, "team"),
    ],
)
def test_create_user_bad_input_creates_nothing(auth_client, make_user, payload, field):
    client, _ = auth_client(Role.ADMIN)
    make_user(Role.AGENT, email="taken@example.org")
    before = User.objects.count()

    response = client.post("/api/v1/users", payload, format="json")

    assert response.status_code == 400
    assert field in response.json()["error"]["details"]
    assert User.objects.count() == before


def test_role_change_is_a_security_event_and_revokes_sessions(auth_client, api_client, make_user, password):
    client, admin = auth_client(Role.ADMIN)
    target = make_user(Role.AGENT, email="promote@example.org")
    tokens = api_client.post(
        "/api/v1/auth/login", {"email": "promote@example.org", "password": password}, format="json"
    ).json()["data"]

    response = client.patch(f"/api/v1/users/{target.pk}", {"role": "manager"}, format="json")

    assert response.json()["data"]["role"] == "manager"
    event = SecurityEvent.objects.get(kind="role_changed")
    assert event.user == admin
    assert event.details == {"target_user_id": target.pk, "from": "agent", "to": "manager"}
    refresh = api_client.post("/api/v1/auth/refresh", {"refresh_token": tokens["refresh_token"]}, format="json")
    assert refresh.status_code == 401


def test_admin_cannot_demote_or_deactivate_themself(auth_client):
    client, admin = auth_client(Role.ADMIN)

    demote = client.patch(f"/api/v1/users/{admin.pk}", {"role": "viewer"}, format="json")
    delete = client.delete(f"/api/v1/users/{admin.pk}")

    assert demote.status_code == delete.status_code == 400
    admin.refresh_from_db()
    assert (admin.role, admin.is_active) == ("admin", True)


def test_delete_deactivates_instead_of_deleting(auth_client, make_user):
    client, _ = auth_client(Role.ADMIN)
    target = make_user(Role.AGENT)

    response = client.delete(f"/api/v1/users/{target.pk}")

    assert response.status_code == 200
    target.refresh_from_db()
    assert (target.is_active, target.status) == (False, "suspended")


def test_manager_lists_staff_but_not_customers(auth_client, make_user):
    client, _ = auth_client(Role.MANAGER)
    make_user(Role.AGENT, email="staff@example.org")
    customer = make_user(Role.CUSTOMER, email="cust@example.org")

    emails = [u["email"] for u in client.get("/api/v1/users", {"limit": 100}).json()["data"]["users"]]

    assert "staff@example.org" in emails
    assert "cust@example.org" not in emails
    assert client.get(f"/api/v1/users/{customer.pk}").status_code == 404


def test_teams_are_created_by_admins_and_listed_for_staff(auth_client):
    admin_client, _ = auth_client(Role.ADMIN)
    agent_client, _ = auth_client(Role.AGENT)

    created = admin_client.post("/api/v1/teams", {"name": "Claims desk"}, format="json")
    duplicate = admin_client.post("/api/v1/teams", {"name": "Claims desk"}, format="json")
    listed = agent_client.get("/api/v1/teams").json()["data"]

    assert created.status_code == 201
    assert duplicate.status_code == 400
    assert [t["name"] for t in listed["teams"]] == ["Claims desk"]
    assert Team.objects.count() == 1
