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


@shared_task(name="crm.quote_pickup_email")
def quote_pickup_email(quote_id: int) -> str:
    from apps.crm.quotes import quote_pickup_email_send

    return quote_pickup_email_send(quote_id=quote_id)


@shared_task(name="crm.cross_sell_suggest")
def cross_sell_suggest() -> int:
    from apps.crm.recommendations import cross_sell_suggest as suggest

    return suggest()
