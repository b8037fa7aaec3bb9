"""What the CRM does when events arrive (wired by apps.core: `SUBSCRIPTIONS`)."""

from django.db import transaction


def on_appointment_changed(event: dict) -> None:
    """An appointment was booked or changed: write it to its agent's connected calendar, in the worker (after
    commit, ids only). Agents without a connected calendar cost two indexed lookups."""
    from .models import CalendarConnection, CalendarConnectionStatus, CalendarEventLink

    data = event["data"]
    connected = CalendarConnection.objects.filter(agent_id=data["agent_id"], status=CalendarConnectionStatus.CONNECTED)
    # also when it is in someone's calendar already: reassigned, it must leave the previous agent's calendar
    if not (connected.exists() or CalendarEventLink.objects.filter(appointment_id=data["appointment_id"]).exists()):
        return
    from .tasks import calendar_push

    pk = data["appointment_id"]
    transaction.on_commit(lambda: calendar_push.delay(pk), robust=True)


# Our appointments reach the agent's Google (or sandbox) calendar (apps.crm.calsync).
SUBSCRIPTIONS = {"appointment:created": on_appointment_changed, "appointment:updated": on_appointment_changed}
