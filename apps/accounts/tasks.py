"""Account tasks (thin, idempotent)."""

from celery import shared_task


@shared_task(name="accounts.send_password_reset", acks_late=True)
def send_password_reset(*, email: str) -> bool:
    from apps.accounts.services import password_reset_email

    return password_reset_email(email=email)
