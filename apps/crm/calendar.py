"""An agent's appointments as an iCalendar feed (RFC 5545, built with the `icalendar` library) behind a signed,
revocable URL: the token is `agent id:nonce` signed with the project's secret (django.core.signing); the feed
answers only while its nonce is the agent's current one and it is not revoked."""

from django.core import signing
from django.utils import timezone
from icalendar import Calendar, Event, vText

from apps.accounts.models import User

from .models import AppointmentStatus, CalendarFeed
from .selectors import agent_calendar

SALT = "crm.calendar-feed"
STATUS = {
    AppointmentStatus.SCHEDULED: "CONFIRMED",
    AppointmentStatus.COMPLETED: "CONFIRMED",
    AppointmentStatus.CANCELLED: "CANCELLED",
}


def feed_token(feed: CalendarFeed) -> str:
    return signing.Signer(salt=SALT).sign(f"{feed.agent_id}.{feed.nonce}").replace(":", "~")


def feed_for_token(token: str) -> CalendarFeed | None:
    """The live feed the token names, or None (forged, revoked, superseded by a newer URL)."""
    try:
        value = signing.Signer(salt=SALT).unsign(token.replace("~", ":"))
    except signing.BadSignature:
        return None
    agent_id, _, nonce = value.partition(".")
    if not agent_id.isdigit() or not nonce:
        return None
    return (
        CalendarFeed.objects.select_related("agent")
        .filter(agent_id=int(agent_id), nonce=nonce, revoked_at__isnull=True, agent__is_active=True)
        .first()
    )


def agent_ics(agent: User) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", "-//InsureOps//CRM appointments//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", f"InsureOps — {agent.get_full_name()}")
    stamp = timezone.now()
    for appointment in agent_calendar(agent):
        event = Event()
        event.add("uid", f"appointment-{appointment.pk}@insureops")
        event.add("dtstamp", stamp)
        event.add("dtstart", appointment.start)
        event.add("dtend", appointment.end)
        event.add("summary", appointment.title)
        event.add("status", STATUS.get(appointment.status, "CONFIRMED"))
        event.add("last-modified", appointment.updated_at)
        if appointment.location:
            event["location"] = vText(appointment.location)
        if appointment.description:
            event.add("description", appointment.description)
        calendar.add_component(event)
    return calendar.to_ical()
