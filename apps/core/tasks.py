"""Platform-level Celery tasks (thin, idempotent wrappers)."""

from celery import shared_task
from django.core.mail import EmailMultiAlternatives


@shared_task(
    name="core.send_email",
    autoretry_for=(OSError,),
    retry_backoff=True,
    retry_kwargs={"max_retries": 5},
    acks_late=True,
)
def send_email(*, subject: str, body: str, to: list[str], html: str | None = None) -> int:
    """Send one email through the default mailer; SMTP hiccups are retried with backoff."""
    message = EmailMultiAlternatives(subject=subject, body=body, to=to)
    if html:
        message.attach_alternative(html, "text/html")
    return message.send()
