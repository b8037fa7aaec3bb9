"""Appointment invitations by email with an iCalendar attachment (RFC 5546 iTIP, built with `icalendar`): a
REQUEST when an appointment with a contact or lead is booked or changed, a CANCEL when it is cancelled. One UID per
appointment (`appointment-<id>@insureops`, the same as the agent's ICS feed) and a SEQUENCE raised on every change
of time, place, title or status, so the attendee's calendar updates the one event instead of adding another.

The attendee is a customer or a prospect: the email passes the consent gate (`outbound_check`, channel email,
purpose service) first. A refusal is recorded by the gate and noted on the appointment; nothing is sent."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.utils import timezone
from icalendar import Calendar, Event, vCalAddress, vText

from apps.messaging.models import Purpose
from apps.messaging.services.consent import outbound_check

from .models import Appointment, AppointmentStatus

REQUEST, CANCEL = "REQUEST", "CANCEL"


def attendee(appointment: Appointment) -> tuple[str, str, object]:
    """(email, name, customer or None) of the person the appointment is with; ("", "", None) if nobody."""
    if appointment.customer_id and appointment.customer.email:
        person = appointment.customer
        return person.email, f"{person.first_name} {person.last_name}".strip(), person
    if appointment.lead_id and appointment.lead.email:
        return appointment.lead.email, appointment.lead.full_name, None
    return "", "", None


def invitation_ics(appointment: Appointment, *, method: str, email: str, name: str) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", "-//InsureOps//CRM appointments//EN")
    calendar.add("version", "2.0")
    calendar.add("method", method)
    event = Event()
    event.add("uid", f"appointment-{appointment.pk}@insureops")
    event.add("sequence", appointment.sequence)
    event.add("dtstamp", timezone.now())
    event.add("dtstart", appointment.start)
    event.add("dtend", appointment.end)
    event.add("summary", appointment.title)
    event.add("status", "CANCELLED" if method == CANCEL else "CONFIRMED")
    if appointment.location:
        event["location"] = vText(appointment.location)
    if appointment.description:
        event.add("description", appointment.description)
    agent = appointment.agent
    organizer = vCalAddress(f"mailto:{agent.email}")
    organizer.params["cn"] = vText(agent.get_full_name() or agent.email)
    event["organizer"] = organizer
    guest = vCalAddress(f"mailto:{email}")
    guest.params.update(
        {"cn": vText(name or email), "role": vText("REQ-PARTICIPANT"), "partstat": vText("NEEDS-ACTION")}
    )
    guest.params["rsvp"] = vText("TRUE")
    event.add("attendee", guest, encode=0)
    calendar.add_component(event)
    return calendar.to_ical()


def appointment_invite_send(*, appointment_id: int, method: str) -> str:
    """Send the invitation (or cancellation) for the appointment as it is now; the outcome, also stored on the
    appointment (`invitation_status`): "sent", "refused: <reason>" or "" (nobody to invite)."""
    appointment = Appointment.objects.select_related("agent", "customer", "lead").filter(pk=appointment_id).first()
    if appointment is None:
        return ""
    email, name, customer = attendee(appointment)
    if not email:
        return ""
    if method == REQUEST and appointment.status == AppointmentStatus.CANCELLED:
        method = CANCEL
    decision = outbound_check(
        channel="email",
        address=email,
        purpose=Purpose.SERVICE,
        source="crm.appointment_invitation",
        customer=customer,
    )
    if not decision:
        outcome = f"refused: {decision.reason}"
    else:
        when = timezone.localtime(appointment.start).strftime("%A %d %B %Y, %H:%M")
        verb = "Cancelled" if method == CANCEL else ("Updated" if appointment.sequence else "Invitation")
        subject = f"{verb}: {appointment.title} — {when}"
        body = (
            f"Hello {name or ''},\n\n"
            + (
                f'The appointment "{appointment.title}" on {when} is cancelled.\n'
                if method == CANCEL
                else f'{appointment.agent.get_full_name()} has booked "{appointment.title}" with you on {when}'
                + (f" at {appointment.location}" if appointment.location else "")
                + ".\nThe attached invitation adds it to your calendar.\n"
            )
            + "\nInsureOps\n"
        )
        ics = invitation_ics(appointment, method=method, email=decision.address or email, name=name)
        message = EmailMultiAlternatives(
            subject=subject,
            body=body,
            to=[decision.address or email],
            reply_to=[appointment.agent.email] if appointment.agent.email else None,
            from_email=settings.DEFAULT_FROM_EMAIL,
        )
        # inline text/calendar (what Gmail and Outlook act on) and the same as invite.ics for other clients
        message.attach_alternative(ics.decode(), f"text/calendar; method={method}; charset=UTF-8")
        message.attach("invite.ics", ics, f"application/ics; method={method}")
        message.send()
        outcome = "sent"
    Appointment.objects.filter(pk=appointment.pk).update(invitation_status=outcome[:60])
    return outcome
