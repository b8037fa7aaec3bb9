"""CRM schedules (celery beat): thin, idempotent wrappers around services."""

from celery import shared_task


@shared_task(name="crm.agent_book_stats_refresh")
def agent_book_stats_refresh() -> int:
    from apps.crm.services import agent_book_stats_refresh as refresh

    return refresh()


@shared_task(name="crm.task_reminders")
def task_reminders() -> int:
    from apps.crm.services import task_reminders_send

    return task_reminders_send()


@shared_task(name="crm.appointment_invitation")
def appointment_invitation(appointment_id: int, method: str) -> str:
    from apps.crm.invitations import appointment_invite_send

    return appointment_invite_send(appointment_id=appointment_id, method=method)


# --- calendar sync (apps.crm.calsync.sync) ----------------------------------------------------------------------


@shared_task(name="crm.calendar_push", acks_late=True)
def calendar_push(appointment_id: int) -> str:
    from apps.crm.calsync.sync import appointment_push

    return appointment_push(appointment_id=appointment_id)


@shared_task(name="crm.calendar_sync", acks_late=True)
def calendar_sync(connection_id: int) -> dict:
    from apps.crm.calsync.sync import connection_sync

    return connection_sync(connection_id=connection_id).as_dict()


@shared_task(name="crm.calendar_connected", acks_late=True)
def calendar_connected(connection_id: int) -> dict:
    """A new connection: open its watch channel, then the first (full) sync both ways."""
    from apps.crm.calsync.base import CalendarProviderError
    from apps.crm.calsync.sync import _record_error, connection_sync, connection_watch

    try:
        connection_watch(connection_id=connection_id)
    except CalendarProviderError as exc:  # no push channel (e.g. no HTTPS address): the periodic sync still runs
        _record_error(connection_id, exc)
    return connection_sync(connection_id=connection_id).as_dict()


@shared_task(name="crm.calendar_channels_renew")
def calendar_channels_renew() -> int:
    from apps.crm.calsync.sync import channels_renew

    return channels_renew()


@shared_task(name="crm.calendar_sync_all")
def calendar_sync_all() -> int:
    """The safety net beside push notifications: every connected calendar, incrementally, one task each (spread
    over the workers; a slow or failing calendar holds up no other)."""
    from apps.crm.models import CalendarConnection, CalendarConnectionStatus

    ids = list(
        CalendarConnection.objects.filter(status=CalendarConnectionStatus.CONNECTED).values_list("pk", flat=True)
    )
    for pk in ids:
        calendar_sync.delay(pk)
    return len(ids)


@shared_task(name="crm.quote_pickup_email")
def quote_pickup_email(quote_id: int) -> str:
    from apps.crm.quotes import quote_pickup_email_send

    return quote_pickup_email_send(quote_id=quote_id)


@shared_task(name="crm.cross_sell_suggest")
def cross_sell_suggest() -> int:
    from apps.crm.recommendations import cross_sell_suggest as suggest

    return suggest()
