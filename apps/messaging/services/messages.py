"""Sending and receiving SMS and WhatsApp messages, and the conversations they belong to.

`message_send` is the one way out: address normalised, body checked, the consent gate asked (a refusal is a 422
naming its reason, recorded by the gate), the message stored queued and handed to the provider after commit
(`message_deliver`, a task: it sends a queued message once, under a row lock). `message_receive` stores an inbound
message once per provider id, links it to the customer with that number, applies STOP/START and publishes
`message:incoming`. `message_status_apply` moves an outbound message's status forward only.
"""

import logging
from collections.abc import Iterable, Sequence
from datetime import datetime

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from apps.accounts.models import User
from apps.core.events import publish, role_group, user_group
from apps.core.exceptions import Invalid
from apps.customers.models import Customer

from ..models import Channel, Conversation, Email, Message, Purpose, WhatsAppTemplate
from ..providers import ProviderError, provider_for, provider_named
from ..providers.base import Inbound, OutboundMessage, StatusUpdate
from .addresses import customer_for_address, phone_normalise
from .consent import MessageRefused, inbound_keyword_apply, outbound_check
from .sms import body_check

logger = logging.getLogger("insureops.messaging")
SENDABLE = (Channel.SMS, Channel.WHATSAPP)
STATUS_RANK = {"queued": 0, "sent": 1, "delivered": 2, "read": 3}
INBOUND_MAX_CHARS = 10_000


def conversation_for(*, customer: Customer | None, address: str) -> Conversation:
    """The customer's conversation, or the unknown address's (created on first use; safe under concurrency)."""
    if customer is not None:
        conversation, _ = Conversation.objects.get_or_create(customer=customer)
        return conversation
    conversation, _ = Conversation.objects.get_or_create(customer=None, address=address)
    return conversation


def _touch(conversation: Conversation, message: Message, *, unread: bool) -> None:
    Conversation.objects.filter(pk=conversation.pk).update(
        last_message_at=message.created_at,
        last_channel=message.channel,
        last_direction=message.direction,
        last_preview=message.body[:160],
        unread_count=F("unread_count") + (1 if unread else 0),
        updated_at=timezone.now(),
    )


_UPSERT = """
INSERT INTO messaging_conversation AS c (created_at, updated_at, customer_id, address, last_message_at, last_channel,
                                         last_direction, last_preview, unread_count)
VALUES {rows}
ON CONFLICT {target} DO UPDATE SET
    updated_at = EXCLUDED.updated_at,
    unread_count = c.unread_count + EXCLUDED.unread_count,
    last_channel = CASE WHEN c.last_message_at IS NULL OR EXCLUDED.last_message_at >= c.last_message_at
                        THEN EXCLUDED.last_channel ELSE c.last_channel END,
    last_direction = CASE WHEN c.last_message_at IS NULL OR EXCLUDED.last_message_at >= c.last_message_at
                          THEN EXCLUDED.last_direction ELSE c.last_direction END,
    last_preview = CASE WHEN c.last_message_at IS NULL OR EXCLUDED.last_message_at >= c.last_message_at
                        THEN EXCLUDED.last_preview ELSE c.last_preview END,
    last_message_at = GREATEST(c.last_message_at, EXCLUDED.last_message_at)
RETURNING c.id, c.customer_id, c.address
"""


def email_preview(email: Email) -> str:
    return (email.subject or email.body_text or "").strip().replace("\n", " ")[:160]


def _conversations_upsert(rows: list[tuple[int | None, str, datetime, str, str, str, int]]) -> dict:
    """Create or bring forward conversations, one statement per kind (a customer's; an unknown address's):
    each row (customer id or None, address, at, channel, direction, preview, unread to add) becomes the last
    message unless the conversation already has a later one. Returns {(customer id, address): conversation id}."""
    now = timezone.now()
    ids: dict = {}
    for target, keyed in (
        ("(customer_id)", [r for r in rows if r[0] is not None]),
        ("(address) WHERE customer_id IS NULL", [r for r in rows if r[0] is None]),
    ):
        if not keyed:
            continue
        params: list = []
        for row in sorted(keyed, key=lambda r: (r[0] or 0, r[1])):  # one lock order: no deadlock between batches
            params += [now, now, row[0], "" if row[0] is not None else row[1], *row[2:]]
        values = ", ".join(["(%s, %s, %s, %s, %s, %s, %s, %s, %s)"] * len(keyed))
        with connection.cursor() as cursor:
            cursor.execute(_UPSERT.format(rows=values, target=target), params)
            for pk, customer_id, address in cursor.fetchall():
                ids[(customer_id, "" if customer_id is not None else address)] = pk
    return ids


def conversations_touch_emails(emails: Iterable[Email]) -> None:
    """Put emails in the unified inbox: each customer's (or unknown correspondent's) conversation gets the latest
    email as its last message and one unread per received email. A whole batch in at most two statements (an
    upsert per kind of conversation), so the IMAP sync pays nothing per message; automatic mail (bounces,
    auto-replies) stays out of the conversations."""
    latest: dict[tuple[int | None, str], tuple[Email, int]] = {}
    for email in emails:
        if email.automated:
            continue
        key = (email.customer_id, "" if email.customer_id else email.correspondent)
        unread = 1 if email.direction == Email.Direction.INBOUND and not email.read_status else 0
        current = latest.get(key)
        if current is None:
            latest[key] = (email, unread)
        else:
            newer = (email.received_at, email.pk or 0) >= (current[0].received_at, current[0].pk or 0)
            latest[key] = (email if newer else current[0], current[1] + unread)
    _conversations_upsert(
        [
            (key[0], key[1], email.received_at, Channel.EMAIL, email.direction, email_preview(email), unread)
            for key, (email, unread) in latest.items()
        ]
    )


def conversation_email_read(email: Email, *, read: bool = True) -> None:
    """A received email was marked read (or unread again) in the inbox: its conversation's unread count follows."""
    if email.automated or email.direction != Email.Direction.INBOUND:
        return
    qs = (
        Conversation.objects.filter(customer_id=email.customer_id)
        if email.customer_id
        else Conversation.objects.filter(customer=None, address=email.correspondent)
    )
    if read:
        qs.filter(unread_count__gt=0).update(unread_count=F("unread_count") - 1)
    else:
        qs.update(unread_count=F("unread_count") + 1)


def message_send(
    *,
    channel: str,
    to: str,
    source: str,
    body: str = "",
    template: WhatsAppTemplate | None = None,
    variables: Sequence[str] = (),
    purpose: str = Purpose.SERVICE,
    actor: User | None = None,
    customer: Customer | None = None,
    now: datetime | None = None,
) -> Message:
    """Send `body` (or an approved WhatsApp `template` with `variables`) to `to` on `channel`, through the consent
    gate. Returns the stored message (queued; delivered after commit). Invalid for bad input, Unprocessable
    (code message_refused, details.reason) when the gate refuses."""
    if channel not in SENDABLE:
        raise Invalid("SMS and WhatsApp are sent here.", code="invalid_channel", details={"channel": [channel]})
    address = phone_normalise(to)
    if template is not None:
        if channel != Channel.WHATSAPP:
            raise Invalid("Templates are WhatsApp templates.", details={"template_id": ["Only on WhatsApp."]})
        if body:
            raise Invalid("Send a body or a template, not both.", details={"body": ["Not with a template."]})
        placeholders = template.body.count("{{")
        if len(variables) != placeholders:
            raise Invalid(
                f"The template takes {placeholders} variable(s).",
                details={"variables": [f"{placeholders} expected, {len(variables)} given."]},
            )
        body = template.render([str(v) for v in variables])
    body_check(channel, body)
    now = now or timezone.now()
    if customer is None:
        customer = customer_for_address(channel, address)
    decision = outbound_check(
        channel=channel,
        address=address,
        purpose=purpose,
        source=source,
        customer=customer,
        template=template,
        now=now,
    )
    if not decision.allowed:
        raise MessageRefused(decision, source=source, now=now)
    provider = provider_for(channel)
    with transaction.atomic():
        conversation = conversation_for(customer=customer, address=address)
        message = Message.objects.create(
            conversation=conversation,
            customer=customer,
            channel=channel,
            direction=Message.Direction.OUTBOUND,
            from_address="",
            to_address=address,
            body=body,
            template=template,
            template_variables=[str(v) for v in variables],
            purpose=purpose,
            provider=provider.name,
            status=Message.Status.QUEUED,
            source=source[:100],
            sent_by=actor,
            created_at=now,
        )
        _touch(conversation, message, unread=False)
        message_id = message.pk
        transaction.on_commit(lambda: _deliver_later(message_id), robust=True)
    return message


def _deliver_later(message_id: int) -> None:
    from ..tasks import message_deliver

    message_deliver.delay(message_id)


def message_deliver(*, message_id: int) -> Message | None:
    """Hand a queued message to its provider, once: under a row lock, only while it is queued without a provider
    id (a second run, or a retried task, sends nothing)."""
    with transaction.atomic():
        message = (
            Message.objects.select_for_update(of=("self",)).select_related("template").filter(pk=message_id).first()
        )
        if message is None or message.status != Message.Status.QUEUED or message.provider_message_id:
            return message
        adapter = provider_named(message.provider)
        outbound = OutboundMessage(
            channel=message.channel,
            to=message.to_address,
            body=message.body,
            template_name=message.template.name if message.template else "",
            template_language=message.template.language if message.template else "",
            variables=tuple(message.template_variables or ()),
        )
        now = timezone.now()
        try:
            result = adapter.send(outbound)
        except ProviderError as exc:
            message.status = Message.Status.FAILED
            message.error_code, message.error_message = exc.code[:50], exc.message[:255]
            message.status_updated_at = now
            message.save(update_fields=["status", "error_code", "error_message", "status_updated_at"])
            logger.warning("Message %s not sent by %s: %s", message.pk, message.provider, exc.message)
            return message
        message.provider_message_id, message.status, message.status_updated_at = (
            result.provider_message_id,
            result.status,
            now,
        )
        message.save(update_fields=["provider_message_id", "status", "status_updated_at"])
        if getattr(adapter, "simulates_receipts", False):
            status, error = adapter.receipt_for(message.to_address)
            update = StatusUpdate(result.provider_message_id, status, "sandbox" if error else "", error)
            transaction.on_commit(lambda: message_status_apply(provider=adapter.name, update=update), robust=True)
    return message


def message_status_apply(*, provider: str, update: StatusUpdate) -> Message | None:
    """A delivery receipt: moves the outbound message forward (queued → sent → delivered → read), or to failed
    from queued/sent; a late or repeated receipt changes nothing. None when no message has that id."""
    with transaction.atomic():
        message = (
            Message.objects.select_for_update()
            .filter(provider=provider, provider_message_id=update.provider_message_id, direction="outbound")
            .first()
        )
        if message is None:
            return None
        current = STATUS_RANK.get(message.status)
        if update.status == Message.Status.FAILED:
            if current is None or current > STATUS_RANK["sent"]:
                return message
            message.error_code, message.error_message = update.error_code[:50], update.error_message[:255]
        elif update.status not in STATUS_RANK or current is None or STATUS_RANK[update.status] <= current:
            return message
        message.status = update.status
        message.status_updated_at = timezone.now()
        message.save(update_fields=["status", "status_updated_at", "error_code", "error_message"])
    return message


def message_receive(*, provider: str, inbound: Inbound, check_duplicate: bool = True) -> tuple[Message, bool]:
    """Store an inbound message once (unique per provider and provider id), linked to the customer with that
    number (the unknown sender's own conversation otherwise), apply STOP/START, publish `message:incoming`.
    Returns (message, created). `check_duplicate=False` skips the look-up for an earlier copy and lets the unique
    constraint refuse one (IntegrityError, the caller's transaction then rolls back): the webhook's fast path,
    which retries a refused delivery with the look-up."""
    if inbound.channel not in SENDABLE:
        raise Invalid("Unknown channel.", code="malformed_event", details={"channel": [inbound.channel]})
    if not inbound.provider_message_id or len(inbound.provider_message_id) > 255:
        raise Invalid("A message id of 1 to 255 characters is required.", code="malformed_event")
    if check_duplicate:
        existing = Message.objects.filter(provider=provider, provider_message_id=inbound.provider_message_id).first()
        if existing is not None:
            return existing, False
    sender = phone_normalise(inbound.from_address)
    try:
        recipient = phone_normalise(inbound.to_address) if inbound.to_address else ""
    except Invalid:
        recipient = inbound.to_address.strip()[:255]
    body = inbound.body.replace("\x00", "")[:INBOUND_MAX_CHARS]
    customer = customer_for_address(inbound.channel, sender)
    now = timezone.now()
    # No savepoint of its own: inside the webhook's transaction a concurrent duplicate (the same delivery twice at
    # once) fails the whole delivery, which the webhook then retries once and answers as a duplicate.
    with transaction.atomic(savepoint=False):
        conversation_id = _conversations_upsert(
            [(customer.pk if customer else None, sender, now, inbound.channel, "inbound", body[:160], 1)]
        )[(customer.pk if customer else None, "" if customer else sender)]
        message = Message.objects.create(
            conversation_id=conversation_id,
            customer=customer,
            channel=inbound.channel,
            direction=Message.Direction.INBOUND,
            from_address=sender,
            to_address=recipient,
            body=body,
            provider=provider,
            provider_message_id=inbound.provider_message_id,
            status=Message.Status.RECEIVED,
            source=f"{provider} webhook",
            created_at=now,
            status_updated_at=inbound.received_at,
        )
        inbound_keyword_apply(channel=inbound.channel, address=sender, text=body, customer=customer, now=now)
        # The announcement (websocket fan-out, the service desk's ticket) is not the provider's business: one task
        # queued after commit does it, so the webhook answers without waiting for Redis and the subscribers.
        message_id = message.pk
        transaction.on_commit(lambda: _announce_later(message_id), robust=True)
    return message, True


def _announce_later(message_id: int) -> None:
    from ..tasks import message_incoming_announce

    message_incoming_announce.delay(message_id)


def message_incoming_announce(*, message_id: int) -> None:
    """Publish `message:incoming` for a stored inbound message: to managers and the customer's agent, or for an
    unknown sender to every agent too (the shared queue)."""
    message = (
        Message.objects.select_related("customer")
        .only("id", "conversation_id", "channel", "from_address", "body", "customer__id", "customer__agent_id")
        .filter(pk=message_id, direction=Message.Direction.INBOUND)
        .first()
    )
    if message is None:
        return
    customer = message.customer
    audience = [role_group("manager")]
    if customer is not None and customer.agent_id:
        audience.append(user_group(customer.agent_id))
    elif customer is None:
        audience.append(role_group("agent"))  # an unknown sender: the shared queue
    publish(
        "message:incoming",
        {
            "message_id": message.pk,
            "conversation_id": message.conversation_id,
            "channel": message.channel,
            "from": message.from_address,
            "customer_id": customer.pk if customer is not None else None,
            "preview": message.body[:160],
        },
        audience=audience,
    )


def conversation_mark_read(*, conversation: Conversation) -> int:
    """Staff opened the conversation: its inbound messages and emails are read."""
    with transaction.atomic():
        count = Message.objects.filter(
            conversation=conversation, direction=Message.Direction.INBOUND, read_at__isnull=True
        ).update(read_at=timezone.now())
        emails = Email.objects.filter(direction=Email.Direction.INBOUND, read_status=False)
        emails = (
            emails.filter(customer_id=conversation.customer_id)
            if conversation.customer_id
            else emails.filter(customer=None, correspondent=conversation.address)
        )
        count += emails.update(read_status=True, updated_at=timezone.now())
        if conversation.unread_count:
            Conversation.objects.filter(pk=conversation.pk).update(unread_count=0)
    return count


def conversation_link_customer(*, customer: Customer) -> int:
    """Link the unknown sender's conversation with the customer's phone number to the customer (their messages
    move into the customer's conversation). Returns how many messages moved."""
    if not customer.phone:
        return 0
    with transaction.atomic():
        orphan = Conversation.objects.select_for_update().filter(customer=None, address=customer.phone).first()
        if orphan is None:
            return 0
        target = conversation_for(customer=customer, address=customer.phone)
        moved = Message.objects.filter(conversation=orphan).update(conversation=target, customer=customer)
        latest = Message.objects.filter(conversation=target).order_by("-created_at", "-id").first()
        Conversation.objects.filter(pk=target.pk).update(
            unread_count=F("unread_count") + orphan.unread_count,
            last_message_at=latest.created_at if latest else None,
            last_channel=latest.channel if latest else "",
            last_direction=latest.direction if latest else "",
            last_preview=latest.body[:160] if latest else "",
        )
        orphan.delete()
    return moved
