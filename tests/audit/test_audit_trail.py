"""Every data change is recorded by database triggers (bulk and raw SQL too), with actor and request id;
audit tables refuse UPDATE and DELETE."""

import importlib
from decimal import Decimal

import pghistory.models
import pytest
from django.db import connection, transaction
from django.db.utils import DatabaseError

from apps.accounts.models import Branch, Team, User
from apps.accounts.roles import Role
from apps.audit.models import SecurityEvent
from apps.audit.services import security_event_record

pytestmark = pytest.mark.django_db


def events_for(model, **filters):
    return pghistory.models.Events.objects.filter(pgh_model=f"accounts.{model.__name__}Event", **filters)


def test_create_update_delete_are_recorded():
    branch = Branch.objects.create(code="lis", name="Lisbon")
    branch.name = "Lisboa"
    branch.save()
    branch_id = branch.pk
    branch.delete()

    labels = list(
        events_for(Branch, pgh_obj_id=str(branch_id))
        .order_by("pgh_created_at", "pgh_id")
        .values_list("pgh_label", flat=True)
    )
    assert labels == ["insert", "update", "delete"]
    update = events_for(Branch, pgh_obj_id=str(branch_id), pgh_label="update").get()
    assert update.pgh_diff["name"] == ["Lisbon", "Lisboa"]


def test_bulk_create_queryset_update_and_raw_sql_are_recorded():
    Branch.objects.bulk_create([Branch(code=f"b{i}", name=f"B{i}") for i in range(3)])
    Branch.objects.filter(code__in=["b0", "b1"]).update(city="Faro")
    with connection.cursor() as cursor:
        cursor.execute("UPDATE accounts_branch SET city = 'Braga' WHERE code = 'b2'")
        cursor.execute("DELETE FROM accounts_branch WHERE code = 'b2'")

    assert events_for(Branch, pgh_label="insert").count() == 3
    assert events_for(Branch, pgh_label="update").count() == 3
    assert events_for(Branch, pgh_label="delete").count() == 1


def test_passwords_are_not_copied_into_the_audit_trail(make_user):
    user = make_user(Role.AGENT)
    user.set_password("another-secret-1")
    user.save()

    for event in events_for(User, pgh_obj_id=str(user.pk)):
        assert "password" not in event.pgh_data


def test_api_changes_carry_actor_url_and_request_id(auth_client, make_user):
    client, admin = auth_client(Role.ADMIN)
    target = make_user(Role.AGENT)

    response = client.patch(
        f"/api/v1/users/{target.pk}", {"job_title": "Senior agent"}, format="json", HTTP_X_REQUEST_ID="req-0123456789"
    )

    assert response.status_code == 200
    event = events_for(User, pgh_obj_id=str(target.pk), pgh_label="update").get()
    assert event.pgh_diff["job_title"] == ["", "Senior agent"]
    assert event.pgh_context["user"] == admin.pk
    assert event.pgh_context["url"] == f"/api/v1/users/{target.pk}"
    assert event.pgh_context["request_id"] == "req-0123456789"


@pytest.mark.parametrize("statement", ["UPDATE {table} SET pgh_label = 'forged'", "DELETE FROM {table}"])
def test_change_events_are_append_only(statement):
    Team.objects.create(name="Claims")
    table = "accounts_teamevent"

    with (
        pytest.raises(DatabaseError, match="Cannot update or delete"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement.format(table=table))

    assert events_for(Team, pgh_label="insert").count() == 1


def test_security_events_are_append_only():
    event = security_event_record(kind=SecurityEvent.Kind.EXPORT, email="a@example.org", details={"rows": 3})

    with pytest.raises(DatabaseError, match="Cannot update or delete"), transaction.atomic():
        SecurityEvent.objects.filter(pk=event.pk).update(email="forged@example.org")
    with pytest.raises(DatabaseError, match="Cannot update or delete"), transaction.atomic():
        SecurityEvent.objects.filter(pk=event.pk).delete()

    assert SecurityEvent.objects.get(pk=event.pk).email == "a@example.org"


def test_denied_access_is_a_security_event(auth_client):
    client, user = auth_client(Role.VIEWER)

    client.post("/api/v1/users", {"email": "x@example.org"}, format="json")

    event = SecurityEvent.objects.get(kind="permission_denied")
    assert event.user == user
    assert event.path == "/api/v1/users"
    assert event.details["method"] == "POST"


def test_audit_api_lists_changes_and_security_events_for_admins(auth_client, make_user):
    client, admin = auth_client(Role.ADMIN)
    target = make_user(Role.AGENT)
    client.patch(f"/api/v1/users/{target.pk}", {"department": "Motor"}, format="json")

    changes = client.get(
        "/api/v1/audit/changes", {"model": "accounts.UserEvent", "object_id": target.pk, "label": "update"}
    ).json()["data"]
    assert changes["pagination"]["total_records"] == 1
    assert changes["changes"][0]["diff"]["department"] == ["", "Motor"]
    assert changes["changes"][0]["context"]["user"] == admin.pk

    security_event_record(kind=SecurityEvent.Kind.DOWNLOAD, user=admin, details={"file": 1})
    events = client.get("/api/v1/audit/security-events", {"kind": "download"}).json()["data"]
    assert [e["kind"] for e in events["events"]] == ["download"]


def test_the_change_list_pages_read_in_two_steps_equal_the_aggregate_views_own_slices(auth_client):
    """`audit/changes` reads a page's keys from the event tables themselves and then those events from their own
    tables (`selectors.change_event_keys`, `change_events_page`): every page, in either order and with each filter,
    is what slicing pghistory's aggregate view gives."""
    from apps.audit.selectors import change_event_keys, change_events_page

    client, _admin = auth_client(Role.ADMIN)
    branches = []
    for n in range(4):
        branch = Branch.objects.create(code=f"b{n}", name=f"Branch {n}")
        branch.name = f"Branch {n}!"
        branch.save()
        Team.objects.create(name=f"Team {n}", branch=branch)
        branches.append(branch)
    events = pghistory.models.Events.objects.all()
    filters = [
        {},
        {"model": "accounts.BranchEvent"},
        {"label": "update"},
        {"object_id": str(branches[1].pk)},
        {"model": "accounts.TeamEvent", "label": "insert"},
    ]
    fields = {"model": "pgh_model", "object_id": "pgh_obj_id", "label": "pgh_label"}
    for chosen in filters:
        lookups = {fields[name]: value for name, value in chosen.items()}
        for ascending in (False, True):
            order = ("pgh_created_at", "pk") if ascending else ("-pgh_created_at", "-pk")
            whole = [(e.pgh_model, e.pgh_id, e.pgh_data, e.pgh_diff) for e in events.filter(**lookups).order_by(*order)]
            assert whole
            for offset in (0, 3, 9):
                keys = change_event_keys(
                    model=chosen.get("model"),
                    object_id=chosen.get("object_id"),
                    label=chosen.get("label"),
                    ascending=ascending,
                    offset=offset,
                    limit=3,
                )
                page = change_events_page(events.filter(**lookups), keys)
                assert [(e.pgh_model, e.pgh_id, e.pgh_data, e.pgh_diff) for e in page] == whole[offset : offset + 3]

    first = client.get("/api/v1/audit/changes", {"limit": 5}).json()["data"]
    second = client.get("/api/v1/audit/changes", {"limit": 5, "page": 2}).json()["data"]
    listed = [(c["model"], c["id"]) for c in first["changes"] + second["changes"]]
    newest = [(e.pgh_model, str(e.pgh_id)) for e in events.order_by("-pgh_created_at", "-pk")[:10]]
    assert listed == newest
    assert first["pagination"]["total_records"] == events.count()
    oldest = client.get("/api/v1/audit/changes", {"limit": 4, "sort_by": "created_at", "sort_order": "asc"}).json()
    assert [(c["model"], c["id"]) for c in oldest["data"]["changes"]] == [
        (e.pgh_model, str(e.pgh_id)) for e in events.order_by("pgh_created_at", "pk")[:4]
    ]


# Money, assessment, upload and notification records (seed 003: "every data modification and configuration
# change"): each is trigger-tracked, so a change by any path — service, admin, bulk or SQL — is in the history.
TRACKED = [
    ("billing.Payment", "tests.factories.billing.PaymentFactory", "status", ["succeeded", "refunded"]),
    ("billing.Instalment", "tests.factories.billing.InstalmentFactory", "status", ["due", "paid"]),
    ("billing.CommissionRate", "tests.factories.billing.CommissionRateFactory", "rate", [0.1, 0.125]),
    ("claims.Estimate", "tests.factories.claims.EstimateFactory", "repairer_name", ["Oficina Central", "Norte"]),
    ("claims.EstimateLine", "tests.factories.claims.EstimateLineFactory", "description", ["Front bumper", "Rear"]),
    ("claims.AssessmentSection", "tests.factories.claims.AssessmentSectionFactory", "findings", ["", "Dented"]),
    ("renewals.UploadBatch", "tests.factories.renewals.UploadBatchFactory", "status", ["processing", "failed"]),
    ("notifications.Notification", "tests.factories.notifications.NotificationFactory", "read_status", [False, True]),
    (
        "notifications.NotificationPreference",
        "tests.factories.notifications.NotificationPreferenceFactory",
        "quiet_hours",
        [{}, {"start": "22:00", "end": "07:00"}],
    ),
    ("billing.InstalmentReminder", "tests.factories.billing.InstalmentReminderFactory", "channel", ["email", "sms"]),
    ("billing.NonPaymentLapse", "tests.factories.billing.NonPaymentLapseFactory", "notice_channel", ["email", ""]),
    ("billing.CheckoutSession", "tests.factories.billing.CheckoutSessionFactory", "status", ["open", "cancelled"]),
    ("billing.Commission", "tests.factories.billing.CommissionFactory", "status", ["earned", "charged_back"]),
    ("billing.LoyaltyAccount", "tests.factories.billing.LoyaltyAccountFactory", "balance", [0, 150]),
    ("billing.LoyaltyEntry", "tests.factories.billing.LoyaltyEntryFactory", "remaining", [100, 40]),
    ("billing.WebhookEvent", "tests.factories.billing.WebhookEventFactory", "status", ["processed", "unapplied"]),
    ("claims.AssessmentPhoto", "tests.factories.claims.AssessmentPhotoFactory", "caption", ["", "Front left"]),
    ("claims.FraudModel", "tests.factories.claims.FraudModelFactory", "sample_count", [0, 120]),
    ("integrations.ExternalCheck", "tests.factories.integrations.ExternalCheckFactory", "status", ["ok", "degraded"]),
]


@pytest.mark.parametrize(("label", "factory_path", "field", "diff"), TRACKED, ids=[t[0] for t in TRACKED])
def test_money_assessment_upload_and_notification_changes_are_in_the_history(label, factory_path, field, diff):
    module, _, name = factory_path.rpartition(".")
    row = getattr(importlib.import_module(module), name)()
    model = type(row)
    value = Decimal(str(diff[1])) if isinstance(diff[1], float) else diff[1]
    model.objects.filter(pk=row.pk).update(**{field: value})
    row_id = row.pk
    model.objects.filter(pk=row_id).delete()

    history = pghistory.models.Events.objects.filter(pgh_model=f"{label}Event", pgh_obj_id=str(row_id))
    assert list(history.order_by("pgh_created_at", "pgh_id").values_list("pgh_label", flat=True)) == [
        "insert",
        "update",
        "delete",
    ]
    assert history.get(pgh_label="update").pgh_diff == {field: diff}
