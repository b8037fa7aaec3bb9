"""Messaging background work: thin, idempotent, by id."""

from celery import shared_task

from .services import messages


@shared_task(ignore_result=True)
def message_deliver(message_id: int) -> None:
    """Hand a queued message to its provider (sends nothing when it is no longer queued)."""
    messages.message_deliver(message_id=message_id)


@shared_task(ignore_result=True)
def push_deliver(notification_id: int) -> None:
    """Web Push one notification to its user's subscribed browsers."""
    from .services.push import push_notification_send

    push_notification_send(notification_id=notification_id)
