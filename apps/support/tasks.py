"""Service desk tasks: the SLA sweep (celery beat), and mail and messages onto tickets. Idempotent: an SLA alert
is keyed per target and clock, an email or a message joins one ticket message at most."""

from celery import shared_task


@shared_task(name="support.sla_sweep")
def sla_sweep() -> int:
    from apps.support.services import tickets_sla_sweep

    return tickets_sla_sweep()


@shared_task(name="support.tickets_from_emails")
def tickets_from_emails(email_ids: list[int], account_id: int | None = None, count: int = 0) -> int:
    from apps.support.inbound import tickets_from_emails as place

    return place(email_ids=email_ids, account_id=account_id, count=count)


@shared_task(name="support.ticket_from_channel_message")
def ticket_from_channel_message(message_id: int) -> int | None:
    from apps.support.inbound import ticket_from_channel_message as place

    message = place(message_id=message_id)
    return message.pk if message is not None else None
