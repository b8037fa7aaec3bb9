"""The SMS and WhatsApp senders of `customers.contact` (so a
customer who consented only to SMS or WhatsApp gets their renewal and payment reminders there)."""

import logging

from django.conf import settings

from apps.core.errors import SERVICE_ERRORS
from apps.customers.contact import Message as ContactMessage
from apps.customers.contact import sender_register

from .models import Channel, Purpose

logger = logging.getLogger("insureops.messaging")
SOURCE = "customer contact"


def _text(message: ContactMessage) -> str:
    return f"{message.subject}\n\n{message.body}".strip() if message.subject else message.body.strip()


def send_sms(address: str, message: ContactMessage) -> None:
    """A reminder or notice by SMS: the whole text when it fits the segment limit, else the subject and where to
    read the rest."""
    from .services.messages import message_send
    from .services.sms import body_check

    text = _text(message)
    try:
        body_check(Channel.SMS, text)
    except SERVICE_ERRORS:
        text = f"{message.subject}. Details: {settings.SITE_URL}/"
    try:
        message_send(channel=Channel.SMS, to=address, body=text, purpose=Purpose.SERVICE, source=SOURCE)
    except SERVICE_ERRORS as exc:  # refused by the gate (recorded there) or unsendable: logged, not raised
        logger.warning("SMS to %s not sent: %s", address, exc)


def send_whatsapp(address: str, message: ContactMessage) -> None:
    """A reminder or notice by WhatsApp: free text inside the 24-hour window, else the approved notice template."""
    from .services.consent import outbound_check
    from .services.messages import message_send
    from .services.whatsapp import reminder_template

    text = _text(message)[:4096]
    free = outbound_check(
        channel=Channel.WHATSAPP, address=address, purpose=Purpose.SERVICE, source=SOURCE, record=False
    )
    template = None if free.allowed else reminder_template()
    try:
        if template is not None:
            message_send(
                channel=Channel.WHATSAPP,
                to=address,
                template=template,
                variables=[message.subject[:1000]],
                purpose=Purpose.SERVICE,
                source=SOURCE,
            )
        else:
            message_send(channel=Channel.WHATSAPP, to=address, body=text, purpose=Purpose.SERVICE, source=SOURCE)
    except SERVICE_ERRORS as exc:
        logger.warning("WhatsApp to %s not sent: %s", address, exc)


def register() -> None:
    sender_register(Channel.SMS, address=lambda customer: customer.phone, send=send_sms)
    sender_register(Channel.WHATSAPP, address=lambda customer: customer.phone, send=send_whatsapp)
