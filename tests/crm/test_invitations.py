"""Appointment invitations: an email with an iTIP REQUEST (one UID, SEQUENCE raised on changes), CANCEL on
cancellation, through the consent gate."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from apps.accounts.roles import Role
from apps.crm.models import Appointment
from apps.messaging.models import OutboundRefusal
from tests.conftest import client_for
from tests.factories.accounts import TeamFactory, UserFactory
from tests.factories.customers import CustomerFactory

pytestmark = pytest.mark.django_db


def _ics(message):
    parts = [body for body, kind in message.alternatives if kind.startswith("text/calendar")]
    assert len(parts) == 1
    attached = [a for a in message.attachments if a[0] == "invite.ics"]
    assert len(attached) == 1
    assert attached[0][1] == parts[0].encode()
    calendar = Calendar.from_ical(parts[0])
    event = next(iter(calendar.walk("VEVENT")))
    return calendar, event


def test_booking_changing_and_cancelling_an_appointment_sends_one_event_with_rising_sequence(
    django_capture_on_commit_callbacks, mailoutbox
):
    agent = UserFactory(role=Role.AGENT, team=TeamFactory(), email="rita@broker.example")
    contact = CustomerFactory(
        agent=agent, email="ana@example.pt", communication_preferences={"channels": {"email": True}}
    )
    client = client_for(agent)
    start = (timezone.now() + timedelta(days=2)).replace(hour=10, minute=0, second=0, microsecond=0)

    with django_capture_on_commit_callbacks(execute=True):
        created = client.post(
            reverse("v1:appointments-list"),
            {
                "title": "Home policy review",
                "start": start.isoformat(),
                "end": (start + timedelta(hours=1)).isoformat(),
                "location": "Lisbon office",
                "customer_id": contact.pk,
            },
            format="json",
        )
    assert created.status_code == 201, created.content
    pk = created.json()["data"]["id"]
    url = reverse("v1:appointments-detail", kwargs={"pk": pk})
    with django_capture_on_commit_callbacks(execute=True):
        client.put(
            url,
            {"start": (start + timedelta(hours=2)).isoformat(), "end": (start + timedelta(hours=3)).isoformat()},
            format="json",
        )
    with django_capture_on_commit_callbacks(execute=True):
        client.put(url, {"description": "Bring the deeds"}, format="json")  # the attendee sees it: an update
    with django_capture_on_commit_callbacks(execute=True):
        client.put(url, {"status": "Cancelled"}, format="json")

    assert [m.to for m in mailoutbox] == [["ana@example.pt"]] * 4
    assert mailoutbox[0].reply_to == ["rita@broker.example"]
    seen = []
    for message in mailoutbox:
        calendar, event = _ics(message)
        seen.append((str(calendar["method"]), str(event["uid"]), int(event["sequence"]), str(event["status"])))
    uid = f"appointment-{pk}@insureops"
    assert seen == [
        ("REQUEST", uid, 0, "CONFIRMED"),
        ("REQUEST", uid, 1, "CONFIRMED"),
        ("REQUEST", uid, 2, "CONFIRMED"),
        ("CANCEL", uid, 3, "CANCELLED"),
    ]
    _, moved = _ics(mailoutbox[1])
    assert moved.decoded("dtstart") == start + timedelta(hours=2)
    assert str(moved["organizer"]) == "mailto:rita@broker.example"
    assert str(moved["attendee"]) == "mailto:ana@example.pt"
    assert moved["attendee"].params["RSVP"] == "TRUE"
    assert mailoutbox[0].subject.startswith("Invitation: Home policy review")
    assert mailoutbox[3].subject.startswith("Cancelled: Home policy review")
    assert Appointment.objects.get(pk=pk).invitation_status == "sent"


def test_an_invitation_the_gate_refuses_is_not_sent_and_the_refusal_is_kept(
    django_capture_on_commit_callbacks, mailoutbox
):
    agent = UserFactory(role=Role.AGENT, team=TeamFactory())
    contact = CustomerFactory(agent=agent, email="no-email@example.pt", communication_preferences={})
    start = timezone.now() + timedelta(days=1)

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(agent).post(
            reverse("v1:appointments-list"),
            {
                "title": "Call",
                "start": start.isoformat(),
                "end": (start + timedelta(hours=1)).isoformat(),
                "customer_id": contact.pk,
            },
            format="json",
        )

    assert response.status_code == 201
    assert mailoutbox == []
    assert Appointment.objects.get().invitation_status == "refused: no_consent"
    assert OutboundRefusal.objects.filter(address="no-email@example.pt").exists()


def test_an_appointment_with_nobody_sends_nothing(django_capture_on_commit_callbacks, mailoutbox):
    agent = UserFactory(role=Role.AGENT)
    start = timezone.now() + timedelta(days=1)
    with django_capture_on_commit_callbacks(execute=True):
        client_for(agent).post(
            reverse("v1:appointments-list"),
            {"title": "Focus time", "start": start.isoformat(), "end": (start + timedelta(hours=1)).isoformat()},
            format="json",
        )
    assert mailoutbox == []
