"""Notifications: domain events become notifications for the right people (claim status → customer and
handler, assignment → the assignee, batch finished → uploader, reminders → customer), live as
`notification:new`, by email within preferences and quiet hours; the seed 003/004 endpoints."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from apps.accounts.roles import Role
from apps.claims import services as claims
from apps.notifications import services
from apps.notifications.models import Notification
from tests.conftest import client_for
from tests.factories.accounts import UserFactory

pytestmark = pytest.mark.django_db


def titles(user):
    return list(Notification.objects.filter(user=user).order_by("id").values_list("title", flat=True))


def test_claim_events_notify_customer_handler_and_assignees(
    file_claim, insured, django_capture_on_commit_callbacks, mailoutbox
):
    user, agent, policy = insured
    policy.customer.communication_preferences = {"channels": {"email": True}}  # the customer consented to email
    policy.customer.save()
    manager, assessor = UserFactory(role=Role.MANAGER), UserFactory(role=Role.ASSESSOR)
    with django_capture_on_commit_callbacks(execute=True):
        claim = file_claim()
    with django_capture_on_commit_callbacks(execute=True):
        claims.claim_transition(claim=claim, actor=agent, to="triage")
    with django_capture_on_commit_callbacks(execute=True):
        claims.claim_assign(claim=claim, actor=manager, assessor=assessor)

    assert titles(user) == [f"We received your claim {claim.claim_number}", f"Claim {claim.claim_number}: in triage"]
    assert titles(agent) == [f"New claim {claim.claim_number}", f"Claim {claim.claim_number}: in triage"]
    assert titles(assessor) == [f"Claim {claim.claim_number} is yours"]
    # email by default: customers for updates, staff for assignments
    assert sorted(m.to[0] for m in mailoutbox) == sorted([user.email, user.email, agent.email, assessor.email])
    html = next(m for m in mailoutbox if m.to == [assessor.email]).alternatives[0][0]
    assert claim.claim_number in html


def test_preferences_switch_types_off_and_quiet_hours_defer_email(
    file_claim, insured, django_capture_on_commit_callbacks, mailoutbox
):
    user, agent, _ = insured
    client = client_for(user)
    off = client.put("/api/v1/notifications/preferences", {"in_app": {"update": False}}, format="json")
    with django_capture_on_commit_callbacks(execute=True):
        file_claim()
    assert off.status_code == 200
    assert titles(user) == []  # updates switched off in the app (and so no email either)

    client_for(agent).put(
        "/api/v1/notifications/preferences",
        {"quiet_hours": {"start": "00:00", "end": "23:59", "timezone": "UTC"}},
        format="json",
    )
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        file_claim(claim_type="flood")
    held = Notification.objects.filter(user=agent).latest("id")
    assert held.email_status == "deferred"
    assert mailoutbox == []
    services.preferences_update(user=agent, quiet_hours={})
    with django_capture_on_commit_callbacks(execute=True):
        assert services.deferred_emails_flush() == 1
    assert [m.to for m in mailoutbox] == [[agent.email]]
    bad = client.put("/api/v1/notifications/preferences", {"email": {"gossip": True}}, format="json")
    assert bad.status_code == 400


def test_list_filters_mark_read_and_someone_elses_is_404(insured):
    user, agent, _ = insured
    for i, kind in enumerate(["update", "assignment", "update", "system"]):
        services.notify(user=user, kind=kind, event="test", title=f"N{i}", message="m")
    other = services.notify(user=agent, kind="update", event="test", title="theirs", message="m")
    client = client_for(user)

    everything = client.get("/api/v1/notifications").json()["data"]
    updates = client.get("/api/v1/notifications", {"type": "update", "limit": 1}).json()["data"]
    first = everything["notifications"][0]["id"]
    read_one = client.put(f"/api/v1/notifications/{first}/read")
    unread = client.get("/api/v1/notifications", {"read_status": "unread"}).json()["data"]
    theirs = client.put(f"/api/v1/notifications/{other.pk}/read")
    some = client.post(
        "/api/v1/notifications/mark-read", {"ids": [n["id"] for n in unread["notifications"][:1]]}, format="json"
    )
    rest = client.put("/api/v1/notifications/mark-all-read")
    bad = client.get("/api/v1/notifications", {"read_status": "maybe"})

    assert (everything["pagination"]["total_records"], everything["unread_count"]) == (4, 4)
    assert updates["pagination"]["total_records"] == 2
    assert len(updates["notifications"]) == 1
    assert read_one.json()["data"]["read_status"] is True
    assert unread["pagination"]["total_records"] == 3
    assert theirs.status_code == 404
    assert some.json()["data"]["updated"] == 1
    assert rest.json()["data"]["updated"] == 2
    assert bad.status_code == 400
    other.refresh_from_db()
    assert other.read_status is False


def test_expired_notifications_are_hidden(insured):
    user, _, _ = insured
    stale = services.notify(user=user, kind="system", event="test", title="old", message="m")
    Notification.objects.filter(pk=stale.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    assert client_for(user).get("/api/v1/notifications").json()["data"]["notifications"] == []


def test_reminders_and_batches_notify(insured, django_capture_on_commit_callbacks, settings, mailoutbox):
    from apps.billing import services as billing
    from apps.billing.models import Instalment

    user, agent, policy = insured
    customer = policy.customer
    customer.communication_preferences = {"channels": {"email": True}}
    customer.save()
    settings.PAYMENT_REMINDER_DAYS = [7]
    instalment = Instalment.objects.filter(policy=policy, status="due").order_by("due_date").last()
    with django_capture_on_commit_callbacks(execute=True):
        billing.instalment_reminders_send(today=instalment.due_date - timedelta(days=7))
    assert titles(user)[-1].endswith(f"due on {instalment.due_date.isoformat()}")
    assert len(mailoutbox) == 1  # the reminder by its channel; the in-app notification is not emailed again


def test_a_payment_reminder_reaches_the_customers_socket_once(
    insured, django_capture_on_commit_callbacks, monkeypatch, settings
):
    from apps.billing import services as billing
    from apps.billing.models import Instalment
    from apps.core import events

    user, _, policy = insured
    policy.customer.communication_preferences = {"channels": {"email": True}}
    policy.customer.save()
    settings.PAYMENT_REMINDER_DAYS = [7]
    instalment = Instalment.objects.filter(policy=policy, status="due").order_by("due_date").last()
    heard = []
    deliver = events.deliver

    def listening(event, groups):
        heard.extend(event["event"] for group in groups if group == events.user_group(user))
        deliver(event, groups)

    monkeypatch.setattr(events, "deliver", listening)
    with django_capture_on_commit_callbacks(execute=True):
        billing.instalment_reminders_send(today=instalment.due_date - timedelta(days=7))

    assert heard == ["notification:new"]  # instalment:due is for the notifications subscriber only
    assert titles(user)[-1].endswith(f"due on {instalment.due_date.isoformat()}")


def test_a_redelivered_event_does_not_notify_twice(insured):
    from apps.notifications.subscribers import claim_assigned

    _, agent, _ = insured
    event = {
        "id": "evt-1",
        "event": "claim:assigned",
        "data": {"claim_id": 1, "claim_number": "CLM-X", "handler_id": agent.pk, "assessor_id": None},
    }
    claim_assigned(event)
    claim_assigned(event)
    assert titles(agent) == ["Claim CLM-X is yours"]


def test_quiet_hours_fall_back_to_the_customer_record(insured):
    user, _, policy = insured
    policy.customer.communication_preferences = {"quiet_hours": {"start": "21:00", "end": "08:00", "timezone": "UTC"}}
    policy.customer.save()
    user.refresh_from_db()
    assert services.quiet_now(user, now=datetime(2026, 1, 1, 23, tzinfo=UTC))
    assert not services.quiet_now(user, now=datetime(2026, 1, 1, 12, tzinfo=UTC))


def test_notification_new_is_pushed_to_the_users_group(insured, monkeypatch):
    from apps.core import events

    user, _, _ = insured
    published = []
    original = events.publish

    def spy(name, payload, *, audience):
        published.append((name, list(audience)))
        return original(name, payload, audience=audience)

    monkeypatch.setattr(services, "publish", spy)
    services.notify(user=user, kind="system", event="test", title="Hi", message="m")
    assert published == [("notification:new", [events.user_group(user.pk)])]


def test_a_finished_batch_notifies_its_uploader(home_product, django_capture_on_commit_callbacks):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from apps.renewals import ingest

    manager = UserFactory(role=Role.MANAGER)
    renew = (timezone.localdate() + timedelta(days=60)).isoformat()
    text = f"Policy No,Customer Name,Expiry Date,Premium\nPOL-N-0001,Ana Silva,{renew},100\nbad!,X,{renew},1\n"
    batch, _ = ingest.batch_create(
        file=SimpleUploadedFile("n.csv", text.encode()), policy_type="home", actor=manager, enqueue=False
    )
    with django_capture_on_commit_callbacks(execute=True):
        ingest.batch_process(batch_id=batch.pk)

    notification = Notification.objects.get(user=manager)
    assert notification.title == "Batch n.csv processed"
    assert notification.message == "1 of 2 rows imported, 1 failed."


def test_customers_without_email_consent_get_no_notification_email(
    file_claim, insured, django_capture_on_commit_callbacks, mailoutbox
):
    user, _, policy = insured
    policy.customer.communication_preferences = {"channels": {"email": False}}
    policy.customer.save()
    with django_capture_on_commit_callbacks(execute=True):
        file_claim()
    assert titles(user)  # in the app
    assert user.email not in [m.to[0] for m in mailoutbox]  # but not by email
