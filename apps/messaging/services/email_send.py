"""The one way an email leaves the inbox: `email_send()` sends a stored outbound Email through its account's SMTP
server (Django's SMTP backend; implicit TLS or STARTTLS as the account says), with the threading headers the
reply was stored with and our loop-detection header. A `sandbox` account hands the message to the project's
default mailer instead (the console in `make run`). Sending is idempotent: only a queued email is sent, under its
row lock, and it is marked sent or failed in the same transaction."""

import logging
import smtplib

from django.core.mail import EmailMessage, mailers
from django.core.mail.backends.smtp import EmailBackend
from django.db import transaction
from django.utils import timezone

from apps.messaging.models import Email, EmailAccount

from .email_parsing import LOOP_HEADER

logger = logging.getLogger("insureops.messaging")
SANDBOX = "sandbox"


def _connection(account: EmailAccount):
    if account.provider == SANDBOX:
        return mailers.default
    return EmailBackend(
        host=account.smtp_server,
        port=account.smtp_port,
        username=account.username,
        password=account.password_encrypted,
        use_ssl=account.use_ssl,
        use_tls=account.smtp_starttls and not account.use_ssl,
        timeout=30,
        alias=f"messaging-account-{account.pk}",
    )


def _message(email: Email) -> EmailMessage:
    account = email.account
    headers = {"Message-ID": email.message_id, LOOP_HEADER: account.email}
    if email.in_reply_to:
        headers["In-Reply-To"] = email.in_reply_to
    if email.references:
        headers["References"] = email.references
    return EmailMessage(
        subject=email.subject,
        body=email.body_text,
        from_email=f"{account.name} <{account.email}>",
        to=[email.to_email],
        cc=list(email.cc_emails),
        headers=headers,
    )


def email_send(*, email_id: int) -> Email:
    """Send a queued outbound email once; a sent or failed one is left as it is."""
    with transaction.atomic():
        email = Email.objects.select_for_update(of=("self",)).select_related("account").get(pk=email_id)
        if email.direction != Email.Direction.OUTBOUND or email.delivery_status != Email.Delivery.QUEUED:
            return email
        # the consent gate was passed when the reply was written (services.email.email_reply)
        try:
            sent = _connection(email.account).send_messages([_message(email)])
        except (TimeoutError, smtplib.SMTPException, OSError) as exc:
            logger.warning("Sending email %s failed: %s", email.pk, exc)
            email.delivery_status, email.delivery_error = Email.Delivery.FAILED, str(exc)[:2000]
        else:
            if sent:
                email.delivery_status, email.delivery_error = Email.Delivery.SENT, ""
                email.received_at = timezone.now()
            else:
                email.delivery_status, email.delivery_error = Email.Delivery.FAILED, "The mail server accepted nothing."
        email.save(update_fields=["delivery_status", "delivery_error", "received_at", "updated_at"])
    return email
