from celery import shared_task


@shared_task(name="notifications.dispatch", acks_late=True)
def dispatch(event: dict) -> str:
    from apps.notifications.subscribers import HANDLERS

    handler = HANDLERS.get(event["event"])
    if handler is not None:
        handler(event)
    return event["event"]


@shared_task(name="notifications.dispatch_many", acks_late=True)
def dispatch_many(events: list[dict]) -> int:
    """`dispatch` for a chunk of a bulk write's events; one event that fails does not stop the others."""
    import logging

    from apps.notifications.subscribers import HANDLERS

    done = 0
    for event in events:
        handler = HANDLERS.get(event["event"])
        if handler is None:
            continue
        try:
            handler(event)
        except Exception:
            logging.getLogger(__name__).exception("Notification handler failed for %s", event["event"])
            continue
        done += 1
    return done


@shared_task(name="notifications.flush_deferred")
def flush_deferred() -> int:
    from apps.notifications.services import deferred_emails_flush

    return deferred_emails_flush()
