"""Messaging background work (messages, push, the email inbox): thin, take ids, safe to run twice."""

from celery import shared_task

from apps.core.exceptions import Conflict

from .services import messages


@shared_task(ignore_result=True)
def message_deliver(message_id: int) -> None:
    """Hand a queued message to its provider (sends nothing when it is no longer queued)."""
    messages.message_deliver(message_id=message_id)


@shared_task(ignore_result=True)
def message_incoming_announce(message_id: int) -> None:
    """Publish `message:incoming` for an inbound message the webhook stored (websockets, the service desk)."""
    messages.message_incoming_announce(message_id=message_id)


@shared_task(ignore_result=True)
def push_deliver(notification_id: int) -> None:
    """Web Push one notification to its user's subscribed browsers."""
    from .services.push import push_notification_send

    push_notification_send(notification_id=notification_id)


@shared_task(name="messaging.email_sync_due")
def email_sync_due() -> int:
    """Beat, every minute: queue a sync of each account whose own `sync_interval` has passed."""
    from .services.email_sync import email_accounts_due

    due = email_accounts_due()
    for account_id in due:
        email_sync_account.delay(account_id)
    return len(due)


@shared_task(name="messaging.email_sync_account")
def email_sync_account(account_id: int) -> dict:
    from .services.email_sync import email_account_sync

    try:
        result = email_account_sync(account_id=account_id)
    except Conflict:  # a sync of this account is already running; it will pick the new mail up
        return {"account_id": account_id, "skipped": "running"}
    return {"account_id": account_id, "created": result.created, "error": result.error}


@shared_task(name="messaging.send_email", autoretry_for=(), acks_late=True)
def send_email(email_id: int) -> str:
    from .services.email_send import email_send

    return email_send(email_id=email_id).delivery_status


@shared_task(name="messaging.train_email_classifier")
def train_email_classifier() -> int:
    from .services.email_classifier import email_classifier_train

    return email_classifier_train().version


@shared_task(name="messaging.whatsapp_templates_poll", ignore_result=True)
def whatsapp_templates_poll() -> None:
    """Beat: bring the WhatsApp templates' review status in line with the provider's (Meta's list)."""
    import logging

    from .providers import ProviderError
    from .services.whatsapp import whatsapp_templates_poll as poll

    try:
        poll()
    except ProviderError as exc:
        logging.getLogger("insureops.messaging").warning("WhatsApp template poll failed: %s", exc.message)
