"""Interaction log rules, GDPR export and erasure, audit of customer changes."""

import io
import json
import zipfile
from datetime import timedelta

import pghistory.models
import pytest
from django.core.management import call_command
from django.utils import timezone

from apps.accounts.roles import Role
from apps.audit.models import SecurityEvent
from apps.customers.models import Customer, Interaction
from tests.factories.customers import CustomerFactory, InteractionFactory

pytestmark = pytest.mark.django_db


def url(customer, *rest):
    return "/".join([f"/api/v1/customers/{customer.pk}", *map(str, rest)])


def test_agent_logs_and_lists_interactions(auth_client):
    client, agent = auth_client(Role.AGENT)
    customer = CustomerFactory(agent=agent)

    created = client.post(
        url(customer, "interactions"),
        {"type": "call", "direction": "inbound", "channel": "phone", "summary": "Asked about cover."},
        format="json",
    )
    listed = client.get(url(customer, "interactions")).json()["data"]

    assert created.status_code == 201
    assert created.json()["data"]["author"]["id"] == agent.pk
    assert [i["summary"] for i in listed["interactions"]] == ["Asked about cover."]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"type": "telepathy", "summary": "x"}, "type"),
        ({"type": "call"}, "summary"),
        ({"type": "call", "summary": "x", "occurred_at": "2999-01-01T00:00:00Z"}, "occurred_at"),
    ],
)
def test_interaction_bad_input(auth_client, payload, field):
    client, agent = auth_client(Role.AGENT)
    customer = CustomerFactory(agent=agent)

    response = client.post(url(customer, "interactions"), payload, format="json")

    assert response.status_code == 400
    assert field in response.json()["error"]["details"]
    assert Interaction.objects.count() == 0


def test_author_may_edit_within_24_hours_only(auth_client, make_user):
    client, agent = auth_client(Role.AGENT)
    customer = CustomerFactory(agent=agent)
    fresh = InteractionFactory(customer=customer, author=agent)
    old = InteractionFactory(customer=customer, author=agent)
    Interaction.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(hours=25))
    someone_elses = InteractionFactory(customer=customer, author=make_user(Role.AGENT))
    body = {"type": "call", "summary": "Corrected"}

    assert client.put(url(customer, "interactions", fresh.pk), body, format="json").status_code == 200
    assert client.put(url(customer, "interactions", old.pk), body, format="json").status_code == 403
    assert client.put(url(customer, "interactions", someone_elses.pk), body, format="json").status_code == 403
    old.refresh_from_db()
    assert old.summary != "Corrected"


def test_manager_may_edit_any_interaction(auth_client, make_user):
    client, _ = auth_client(Role.MANAGER)
    interaction = InteractionFactory(author=make_user(Role.AGENT))
    Interaction.objects.filter(pk=interaction.pk).update(created_at=timezone.now() - timedelta(days=30))

    response = client.put(
        url(interaction.customer, "interactions", interaction.pk),
        {"type": "note", "summary": "Manager fix"},
        format="json",
    )

    assert response.status_code == 200


def test_delete_needs_admin_and_a_reason_which_the_audit_trail_keeps(auth_client):
    admin_client, admin = auth_client(Role.ADMIN)
    agent_client, agent = auth_client(Role.AGENT)
    interaction = InteractionFactory(customer=CustomerFactory(agent=agent), author=agent)
    target = url(interaction.customer, "interactions", interaction.pk)

    by_agent = agent_client.delete(target, {"reason": "mine to delete"}, format="json")
    without_reason = admin_client.delete(target)
    deleted = admin_client.delete(target, {"reason": "Logged against the wrong customer"}, format="json")

    assert by_agent.status_code == 403
    assert without_reason.status_code == 400
    assert deleted.status_code == 204
    assert not Interaction.objects.filter(pk=interaction.pk).exists()
    event = pghistory.models.Events.objects.get(
        pgh_model="customers.InteractionEvent", pgh_label="delete", pgh_obj_id=str(interaction.pk)
    )
    assert event.pgh_context["deletion_reason"] == "Logged against the wrong customer"
    assert event.pgh_context["user"] == admin.pk


def test_customers_never_see_interaction_logs(auth_client):
    client, user = auth_client(Role.CUSTOMER)
    customer = CustomerFactory(user=user)
    InteractionFactory(customer=customer)

    assert client.get(url(customer, "interactions")).status_code == 403


def test_no_op_save_records_no_false_change(make_user):
    from apps.customers.services import customer_update

    admin = make_user(Role.ADMIN)
    customer = CustomerFactory(national_id="X-1")
    before = pghistory.models.Events.objects.filter(pgh_model="customers.CustomerEvent").count()

    customer_update(customer=customer, actor=admin, first_name=customer.first_name)

    events = pghistory.models.Events.objects.filter(pgh_model="customers.CustomerEvent")
    assert events.count() == before + 1
    latest = events.order_by("-pgh_created_at", "-pgh_id").first()
    assert set(latest.pgh_diff) == {"updated_at"}
    assert "national_id" not in latest.pgh_data


def test_gdpr_export_zip(auth_client, make_user):
    client, manager = auth_client(Role.MANAGER)
    customer = CustomerFactory(national_id="PT-123", first_name="Zoe")
    InteractionFactory(customer=customer, summary="Called about claim")

    response = client.get(url(customer, "export"))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert "attachment" in response["Content-Disposition"]
    data = json.loads(zipfile.ZipFile(io.BytesIO(response.content)).read("data.json"))
    assert data["customer"]["first_name"] == "Zoe"
    assert data["customer"]["national_id"] == "PT-123"
    assert data["interactions"][0]["summary"] == "Called about claim"
    assert SecurityEvent.objects.filter(kind="export", user=manager).exists()


def test_customer_exports_own_data(auth_client):
    client, user = auth_client(Role.CUSTOMER)
    CustomerFactory(user=user, first_name="Self")

    response = client.get("/api/v1/customers/me/export")

    assert response.status_code == 200
    assert json.loads(zipfile.ZipFile(io.BytesIO(response.content)).read("data.json"))["customer"]["first_name"] == (
        "Self"
    )


def test_gdpr_export_command(tmp_path):
    customer = CustomerFactory(first_name="Cli")
    target = tmp_path / "out.zip"

    call_command("gdpr_export", customer.customer_code, "--output", str(target))

    assert json.loads(zipfile.ZipFile(target).read("data.json"))["customer"]["first_name"] == "Cli"


def test_erasure_anonymises_the_record_and_its_history(auth_client, make_user):
    client, admin = auth_client(Role.ADMIN)
    portal_user = make_user(Role.CUSTOMER, email="erase.me@example.org")
    customer = CustomerFactory(
        first_name="Erin", last_name="Ease", email="erase.me@example.org", national_id="ID-777", user=portal_user
    )
    customer.first_name = "Erinn"
    customer.save()
    InteractionFactory(customer=customer, summary="Private details")

    refused = client.post(url(customer, "erase"), {"reason": "GDPR request #12", "confirm": False}, format="json")
    erased = client.post(url(customer, "erase"), {"reason": "GDPR request #12", "confirm": True}, format="json")
    again = client.post(url(customer, "erase"), {"reason": "GDPR request #12", "confirm": True}, format="json")

    assert refused.status_code == 400
    assert erased.status_code == 200
    assert again.status_code == 409
    customer = Customer.objects.get(pk=customer.pk)
    assert (customer.first_name, customer.email, customer.national_id) == ("Erased", "", None)
    assert customer.interactions.get().summary == "[erased]"
    history = pghistory.models.Events.objects.filter(pgh_model="customers.CustomerEvent", pgh_obj_id=str(customer.pk))
    assert history.count() >= 3
    assert not any("Erin" in json.dumps(e.pgh_data) or "erase.me" in json.dumps(e.pgh_data) for e in history)
    user_history = pghistory.models.Events.objects.filter(
        pgh_model="accounts.UserEvent", pgh_obj_id=str(portal_user.pk)
    )
    assert not any("erase.me@example.org" in json.dumps(e.pgh_data) for e in user_history)
    portal_user.refresh_from_db()
    assert portal_user.is_active is False
    assert SecurityEvent.objects.get(kind="erasure").details["reason"] == "GDPR request #12"
