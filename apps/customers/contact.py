"""Reaching a customer on a channel they consented to, outside their quiet hours.

Every outbound message to a customer (renewal and payment reminders now; notifications and campaigns later) goes
through `customer_message_send`. Channels are tried in the customer's own order (`preferred_channels` in their
communication preferences, else email → SMS → WhatsApp) and only where they opted in (`channels[name]` is true:
absent means no), the contact detail exists and a sender is registered. Email is registered here; the messaging
app registers SMS and WhatsApp senders with `sender_register`, with no change to the callers.

When an app provides the `customers.outbound_gate` hook (messaging's consent gate), it decides each channel
instead: DNC list, opt-outs (STOP), the consent ledger (which falls back to the choice above), quiet hours and the
WhatsApp window; when no channel may be used, the refusals are recorded there with their reasons.
"""

import logging
import zoneinfo
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, time

from django.db import transaction
from django.utils import timezone

from .hooks import outbound_gate
from .models import Customer

logger = logging.getLogger("insureops.customers")
DEFAULT_ORDER = ("email", "sms", "whatsapp")


@dataclass(frozen=True)
class Message:
    subject: str
    body: str
    html: str | None = None


# channel -> (address of the customer on it, send(address, message))
_senders: dict[str, tuple[Callable[[Customer], str], Callable[[str, Message], None]]] = {}


def sender_register(channel: str, *, address: Callable[[Customer], str], send: Callable[[str, Message], None]):
    _senders[channel] = (address, send)


def _send_email(address: str, message: Message) -> None:
    from apps.core.tasks import send_email

    send_email.delay(subject=message.subject, body=message.body, html=message.html, to=[address])


sender_register("email", address=lambda c: c.email, send=_send_email)


def in_quiet_hours(quiet: dict | None, *, now: datetime | None = None, default_zone: str = "UTC") -> bool:
    """Whether `now` falls in a {"start": "HH:MM", "end": "HH:MM", "timezone": …} window (which may span
    midnight). An incomplete or unreadable window is no quiet time."""
    quiet = quiet or {}
    if not quiet.get("start") or not quiet.get("end"):
        return False
    try:
        zone = zoneinfo.ZoneInfo(quiet.get("timezone") or default_zone)
        start, end = time.fromisoformat(quiet["start"]), time.fromisoformat(quiet["end"])
    except (ValueError, KeyError, zoneinfo.ZoneInfoNotFoundError):
        return False
    local = (now or timezone.now()).astimezone(zone).time()
    return (start <= local or local < end) if start > end else (start <= local < end)


def customer_in_quiet_hours(customer: Customer, *, now: datetime | None = None) -> bool:
    return in_quiet_hours((customer.communication_preferences or {}).get("quiet_hours"), now=now)


def customer_contact_channel(customer: Customer, *, now: datetime | None = None, record: bool = True) -> str | None:
    """The first channel the customer may be reached on now, has an address on, and we can send on; None if none.
    With the consent gate (hook `customers.outbound_gate`) it decides each channel, and when none is left the
    refusals are recorded (`record`); without it, the customer's own channel choice decides."""
    prefs = customer.communication_preferences or {}
    order = [c for c in prefs.get("preferred_channels") or [] if c in _senders] or list(DEFAULT_ORDER)
    gates = outbound_gate.providers()
    if not gates:
        consent = prefs.get("channels") or {}
        for channel in order:
            if channel in _senders and consent.get(channel) and _senders[channel][0](customer):
                return channel
        return None
    candidates = [(c, _senders[c][0](customer)) for c in order if c in _senders]
    candidates = [(c, address) for c, address in candidates if address]
    refused: list[tuple[str, str, str]] = []  # (channel, address, reason)
    for channel, address in candidates:
        answers = [gate(customer=customer, channel=channel, address=address, source=SOURCE, now=now) for gate in gates]
        if all(allowed for allowed, _ in answers):
            return channel
        refused.append((channel, address, next(reason for allowed, reason in answers if not allowed)))
    if record and refused:
        # One refusal per unsent message: the channel that came closest (refused for more than a missing consent).
        channel, address, _ = next((r for r in refused if r[2] != "no_consent"), refused[0])
        for gate in gates:
            gate(customer=customer, channel=channel, address=address, source=SOURCE, now=now, record=True)
    return None


SOURCE = "customer contact"


def customer_contact_channels(
    customers: Sequence[Customer], *, now: datetime | None = None, record: bool = True
) -> dict[int, str | None]:
    """`customer_contact_channel` for many customers at once (a scheduled job's batch): {customer id: channel or
    None}, the same answer for each. When every gate offers `gate.many(recipients=[(customer, address)], channel,
    source, now, record)` (messaging's does: one query per channel), it is asked once per channel and round of
    the customers' channel orders instead of once per customer and channel; the refusals are recorded in bulk."""
    gates = outbound_gate.providers()
    unique = list({customer.pk: customer for customer in customers}.values())
    if not gates or not all(hasattr(gate, "many") for gate in gates):
        return {customer.pk: customer_contact_channel(customer, now=now, record=record) for customer in unique}
    now = now or timezone.now()
    candidates: dict[int, list[tuple[str, str]]] = {}
    for customer in unique:
        prefs = customer.communication_preferences or {}
        order = [c for c in prefs.get("preferred_channels") or [] if c in _senders] or list(DEFAULT_ORDER)
        addressed = [(c, _senders[c][0](customer)) for c in order if c in _senders]
        candidates[customer.pk] = [(c, address) for c, address in addressed if address]
    chosen: dict[int, str] = {}
    refused: dict[int, list[tuple[str, str, str]]] = {}  # customer -> (channel, address, reason) in order
    pending = [customer for customer in unique if candidates[customer.pk]]
    step = 0
    while pending:
        by_channel: dict[str, list[tuple[Customer, str]]] = {}
        for customer in pending:
            channel, address = candidates[customer.pk][step]
            by_channel.setdefault(channel, []).append((customer, address))
        answers: dict[int, list[tuple[bool, str]]] = {}
        for gate in gates:
            for channel, batch in by_channel.items():
                given = gate.many(recipients=batch, channel=channel, source=SOURCE, now=now, record=False)
                for (customer, _), answer in zip(batch, given, strict=True):
                    answers.setdefault(customer.pk, []).append(answer)
        left = []
        for customer in pending:
            channel, address = candidates[customer.pk][step]
            given = answers[customer.pk]
            if all(allowed for allowed, _ in given):
                chosen[customer.pk] = channel
                continue
            refused.setdefault(customer.pk, []).append(
                (channel, address, next(reason for allowed, reason in given if not allowed))
            )
            if step + 1 < len(candidates[customer.pk]):
                left.append(customer)
        pending, step = left, step + 1
    if record:
        # as one by one: per unreached customer, one refusal on the channel that came closest
        closest: dict[str, list[tuple[Customer, str]]] = {}
        by_pk = {customer.pk: customer for customer in unique}
        for pk, tried in refused.items():
            if pk in chosen:
                continue
            channel, address, _ = next((r for r in tried if r[2] != "no_consent"), tried[0])
            closest.setdefault(channel, []).append((by_pk[pk], address))
        for gate in gates:
            for channel, batch in closest.items():
                gate.many(recipients=batch, channel=channel, source=SOURCE, now=now, record=True)
    return {customer.pk: chosen.get(customer.pk) for customer in unique}


def customer_message_send(
    *, customer: Customer, message: Message, now: datetime | None = None, channel: str | None = None
) -> str | None:
    """Queue `message` (after commit) on the customer's channel. Returns the channel, or None when the customer
    cannot be reached now (no consent, no address, quiet hours, or refused by the consent gate — the caller may
    try again later). `channel`: the answer `customer_contact_channels` just gave for this customer at `now` (a
    batch asked the gate once for all), not asked again."""
    if channel is None:
        channel = customer_contact_channel(customer, now=now)
    if channel is None or (not outbound_gate.providers() and customer_in_quiet_hours(customer, now=now)):
        return None
    address, send = _senders[channel][0](customer), _senders[channel][1]
    transaction.on_commit(lambda: send(address, message), robust=True)
    return channel
