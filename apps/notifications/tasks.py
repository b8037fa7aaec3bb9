from celery import shared_task


@shared_task(name="notifications.dispatch", acks_late=True)
def dispatch(event: dict) -> str:
    from apps.notifications.subscribers import HANDLERS

    handler = HANDLERS.get(event["event"])
    if handler is not None:
        handler(event)
    return event["event"]


@shared_task(name="notifications.flush_deferred")
def flush_deferred() -> int:
    from apps.notifications.services import deferred_emails_flush

    return deferred_emails_flush()
