"""The consent gate: the one function every outbound message passes (DESIGN.md, "Contacting people").

    decision = outbound_check(channel="sms", address="+351912345678", purpose="service", source="agent reply")
    if not decision.allowed: ...  # decision.reason: dnc | opted_out | no_consent | quiet_hours | whatsapp_window …

In order: the address must parse (E.164 / email); it must not be on the DNC list (on that channel or all); the
latest consent-ledger entry for (address or customer, channel, purpose) must not be a withdrawal; there must be
consent — a ledger grant, or for service messages the customer's own channel choice in their communication
preferences, or the contact having written to us on this channel in the last 24 hours (a reply to them); it
must be outside the customer's quiet hours (marketing also outside the brokerage's default quiet hours), unless
they wrote to us within the last hour; on WhatsApp, outside the 24-hour customer-service window only an
approved template may go. Every refusal is recorded (`OutboundRefusal`, counted per day) with its reason.

STOP / START (and local equivalents) received on any channel withdraw or restore consent on that channel
(`inbound_keyword_apply`).
"""

import functools
import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from apps.accounts.models import User
from apps.core.exceptions import Conflict, Invalid, Unprocessable
from apps.customers.contact import in_quiet_hours
from apps.customers.models import Customer

from ..models import Channel, ConsentRecord, DncEntry, Message, OutboundRefusal, Purpose, WhatsAppTemplate
from .addresses import address_kind_normalise, address_normalise, customer_for_address

logger = logging.getLogger("insureops.messaging")
Reason = OutboundRefusal.Reason

# Carrier / Twilio standard keywords plus Portuguese, Spanish, French and German ones. Whole message only.
STOP_WORDS = frozenset(
    {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT", "OPT-OUT", "REVOKE"}
    | {"PARAR", "PARE", "SAIR", "CANCELAR", "BAJA", "ALTO", "ARRET", "ARRÊT", "DESABONNER", "STOPP", "ABMELDEN"}
)
START_WORDS = frozenset({"START", "UNSTOP", "SUBSCRIBE", "OPTIN", "INICIAR", "COMEÇAR", "COMECAR", "ALTA", "ANMELDEN"})
_KEYWORD_STRIP = re.compile(r"^[\s\W]+|[\s\W]+$")


@dataclass(frozen=True)
class Decision:
    """The gate's answer. `reason` is empty when allowed; `detail` says what exactly (for the refusal record and
    the person who asked)."""

    allowed: bool
    channel: str
    address: str
    purpose: str
    reason: str = ""
    detail: str = ""
    customer_id: int | None = None

    def __bool__(self) -> bool:
        return self.allowed


def _last_inbound(channel: str, address: str) -> datetime | None:
    return (
        Message.objects.filter(channel=channel, direction=Message.Direction.INBOUND, from_address=address)
        .order_by("-created_at")
        .values_list("created_at", flat=True)
        .first()
    )


def _latest_consent(channel: str, address: str, purpose: str, customer: Customer | None) -> ConsentRecord | None:
    who = Q(address=address)
    if customer is not None:
        who |= Q(customer=customer)
    return ConsentRecord.objects.filter(who, channel=channel, purpose=purpose).order_by("-recorded_at", "-id").first()


def _dnc_entry(channel: str, address: str, now: datetime) -> DncEntry | None:
    return (
        DncEntry.objects.filter(Q(channel="") | Q(channel=channel), address=address)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        .first()
    )


@dataclass(frozen=True)
class Facts:
    """What the gate's rules read about one (address, customer): the DNC entry (id, reason) if any, the latest
    consent-ledger entry (granted, recorded_at, source label) if any, the contact's last inbound message on the
    channel, and the customer's communication preferences. Gathered per message (`_facts`) or for a whole batch
    in one query (`consent_bulk.outbound_check_many`); `_decide` applies the same rules to both."""

    dnc: tuple[int, str] | None
    consent: tuple[bool, datetime, str] | None
    last_inbound: datetime | None
    prefs: dict


def _facts(*, channel: str, address: str, purpose: str, customer: Customer | None, now: datetime) -> Facts:
    entry = _dnc_entry(channel, address, now)
    latest = _latest_consent(channel, address, purpose, customer)
    return Facts(
        dnc=(entry.pk, entry.reason) if entry is not None else None,
        consent=(latest.granted, latest.recorded_at, latest.get_source_display()) if latest is not None else None,
        last_inbound=_last_inbound(channel, address) if channel != Channel.EMAIL and entry is None else None,
        prefs=(customer.communication_preferences or {}) if customer is not None else {},
    )


def _decide(
    facts: Facts,
    *,
    channel: str,
    purpose: str,
    template_status: str | None,
    template_name: str = "",
    now: datetime,
    answering: bool = False,
) -> tuple[str, str]:
    """The rules, on gathered facts: (reason, detail) of a refusal, ("", "") when the message may go."""
    if facts.dnc is not None:
        pk, why = facts.dnc
        return Reason.DNC, f"DNC entry #{pk}" + (f": {why}" if why else "")
    if facts.consent is not None and not facts.consent[0]:
        return Reason.OPTED_OUT, f"withdrawn {facts.consent[1]:%Y-%m-%d %H:%M} ({facts.consent[2]})"
    last_inbound = facts.last_inbound if channel != Channel.EMAIL else None
    conversing = answering or (last_inbound is not None and now - last_inbound < timedelta(hours=24))
    if facts.consent is None:
        chosen = bool((facts.prefs.get("channels") or {}).get(channel))
        if purpose == Purpose.MARKETING or not (chosen or conversing):
            return Reason.NO_CONSENT, f"no {purpose} consent on {channel}"
    just_wrote = answering or (last_inbound is not None and now - last_inbound < timedelta(hours=1))
    if not just_wrote:
        quiet = facts.prefs.get("quiet_hours")
        if not quiet and purpose == Purpose.MARKETING:
            quiet = settings.MESSAGING_DEFAULT_QUIET_HOURS
        if quiet and in_quiet_hours(quiet, now=now, default_zone=settings.TIME_ZONE):
            return Reason.QUIET_HOURS, f"quiet hours {quiet.get('start')}–{quiet.get('end')}"
    if template_status is not None and template_status != WhatsAppTemplate.Status.APPROVED:
        return Reason.WHATSAPP_WINDOW, f"template {template_name} is {template_status}, not approved"
    if channel == Channel.WHATSAPP and not conversing and template_status is None:
        return Reason.WHATSAPP_WINDOW, "no message from the contact in 24 hours: only an approved template may go"
    return "", ""


def _precheck(channel: str, purpose: str) -> tuple[str, str]:
    if channel not in Channel.values:
        return Reason.INVALID_ADDRESS, f"unknown channel {channel!r}"
    if purpose not in Purpose.values:
        return Reason.NO_CONSENT, f"unknown purpose {purpose!r}"
    return "", ""


def _evaluate(
    *,
    channel: str,
    address: str,
    purpose: str,
    customer: Customer | None,
    template: WhatsAppTemplate | None,
    now: datetime,
    answering: bool = False,
) -> tuple[str, str]:
    """(reason, detail) of a refusal, ("", "") when the message may go. `answering`: the message answers one the
    contact sent us (an email reply), which counts as the contact writing just now."""
    refusal = _precheck(channel, purpose)
    if refusal[0]:
        return refusal
    facts = _facts(channel=channel, address=address, purpose=purpose, customer=customer, now=now)
    return _decide(
        facts,
        channel=channel,
        purpose=purpose,
        template_status=template.status if template is not None else None,
        template_name=template.name if template is not None else "",
        now=now,
        answering=answering,
    )


def refusal_record(decision: Decision, *, source: str, now: datetime | None = None) -> None:
    """Count the refusal (one row per day, address, channel, purpose, reason and source)."""
    now = now or timezone.now()
    key = {
        "day": now.date(),
        "address": decision.address[:255],
        "channel": decision.channel if decision.channel in Channel.values else "sms",
        "purpose": decision.purpose if decision.purpose in Purpose.values else "service",
        "reason": decision.reason,
        "source": source[:100],
    }
    try:
        with transaction.atomic():
            OutboundRefusal.objects.create(
                **key, detail=decision.detail[:255], customer_id=decision.customer_id, first_at=now, last_at=now
            )
    except IntegrityError:
        OutboundRefusal.objects.filter(**key).update(count=F("count") + 1, last_at=now, detail=decision.detail[:255])
    logger.info("Outbound %s to %s refused (%s): %s", key["channel"], key["address"], decision.reason, decision.detail)


class MessageRefused(Unprocessable):
    """The consent gate refused a message (422 `message_refused`, `details.reason`). It carries the decision, so a
    caller whose transaction the refusal rolls back can keep the refusal's record (`refusal_kept`)."""

    def __init__(self, decision: Decision, *, source: str, now: datetime | None = None):
        super().__init__(
            f"Not sent: {decision.detail or decision.reason}.",
            code="message_refused",
            details={"reason": decision.reason, "detail": decision.detail},
        )
        self.decision, self.source, self.at = decision, source, now


def refusal_kept(function):
    """Decorate a service that runs the gate inside its own transaction (`@transaction.atomic` below this one):
    when the gate refuses, the transaction — and the refusal row the gate wrote in it — roll back; the refusal is
    then recorded again, outside, in the caller's transaction (the admin's save commits, since it shows the error)
    or in autocommit. Never counted twice: the row written inside is gone."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except MessageRefused as exc:
            refusal_record(exc.decision, source=exc.source, now=exc.at)
            raise

    return wrapper


def outbound_check(
    *,
    channel: str,
    address: str,
    purpose: str,
    source: str,
    customer: Customer | None = None,
    template: WhatsAppTemplate | None = None,
    now: datetime | None = None,
    record: bool = True,
    answering: bool = False,
) -> Decision:
    """May a message go to `address` on `channel` for `purpose` now? The one consent gate; see the module doc.
    `source` names the sending path (recorded with a refusal); `record=False` only asks (a channel probe).
    `answering=True` for a reply to a message the contact sent (an email answered from the inbox): the contact
    started the exchange, so no channel consent or quiet hours are needed — the DNC list and an opt-out still
    refuse it."""
    now = now or timezone.now()
    try:
        normalised = address_normalise(channel, address)
    except Invalid as exc:
        decision = Decision(False, channel, (address or "")[:255], purpose, Reason.INVALID_ADDRESS, exc.message)
    else:
        if customer is None:
            customer = customer_for_address(channel, normalised)
        reason, detail = _evaluate(
            channel=channel,
            address=normalised,
            purpose=purpose,
            customer=customer,
            template=template,
            now=now,
            answering=answering,
        )
        decision = Decision(
            not reason, channel, normalised, purpose, reason, detail, customer.pk if customer is not None else None
        )
    if not decision.allowed and record:
        refusal_record(decision, source=source, now=now)
    return decision


def customer_channel_gate(
    *, customer: Customer, channel: str, address: str, source: str, now: datetime | None = None, record: bool = False
) -> tuple[bool, str]:
    """The `customers.outbound_gate` hook: may a service message (a reminder, a notice) reach `customer` on
    `channel` now? On WhatsApp it may go as the configured reminder template when the 24-hour window is shut."""
    from .whatsapp import reminder_template

    template = reminder_template() if channel == Channel.WHATSAPP else None
    decision = outbound_check(
        channel=channel,
        address=address,
        purpose=Purpose.SERVICE,
        source=source,
        customer=customer,
        template=None,
        now=now,
        record=False,
    )
    if decision.reason == Reason.WHATSAPP_WINDOW and template is not None:
        decision = outbound_check(
            channel=channel,
            address=address,
            purpose=Purpose.SERVICE,
            source=source,
            customer=customer,
            template=template,
            now=now,
            record=False,
        )
    if not decision.allowed and record:
        refusal_record(decision, source=source, now=now)
    return decision.allowed, decision.reason


# --- the ledger ------------------------------------------------------------------------------------------------


def consent_record(
    *,
    channel: str,
    address: str,
    purpose: str,
    granted: bool,
    source: str,
    customer: Customer | None = None,
    actor: User | None = None,
    note: str = "",
    now: datetime | None = None,
) -> ConsentRecord:
    """Append a grant or withdrawal to the ledger (the address normalised; the customer found by it if not given)."""
    normalised = address_normalise(channel, address)
    if customer is None:
        customer = customer_for_address(channel, normalised)
    record = ConsentRecord(
        customer=customer,
        channel=channel,
        address=normalised,
        purpose=purpose,
        granted=granted,
        source=source,
        note=note[:255],
        recorded_by=actor,
        recorded_at=now or timezone.now(),
    )
    record.full_clean()
    record.save()
    return record


def keyword_of(text: str) -> str | None:
    """ "stop" / "start" when the whole message is an opt-out or opt-in keyword (any case, punctuation around)."""
    word = _KEYWORD_STRIP.sub("", (text or "").strip()).upper()
    if word in STOP_WORDS:
        return "stop"
    if word in START_WORDS:
        return "start"
    return None


def inbound_keyword_apply(
    *, channel: str, address: str, text: str, customer: Customer | None = None, now: datetime | None = None
) -> str | None:
    """STOP withdraws every purpose on that channel; START restores service messages only (marketing needs a
    fresh, explicit opt-in). Returns the keyword applied, or None. Called for every inbound message, any channel."""
    keyword = keyword_of(text)
    if keyword is None:
        return None
    purposes = list(Purpose.values) if keyword == "stop" else [Purpose.SERVICE]
    for purpose in purposes:
        consent_record(
            channel=channel,
            address=address,
            purpose=purpose,
            granted=keyword == "start",
            source=ConsentRecord.Source.KEYWORD,
            customer=customer,
            note=f"{keyword.upper()} received: {text.strip()[:50]}",
            now=now,
        )
    return keyword


# --- the DNC list (seed 004 §3.8) ----------------------------------------------------------------------------


def dnc_entry_create(
    *,
    address: str,
    actor: User | None,
    channel: str = "",
    reason: str = "",
    source: str = "staff",
    expires_at: datetime | None = None,
) -> DncEntry:
    normalised = address_kind_normalise(address)
    if channel and channel not in Channel.values:
        raise Invalid("Unknown channel.", code="invalid_channel", details={"channel": [channel]})
    if ("@" in normalised and channel in ("sms", "whatsapp")) or ("@" not in normalised and channel == "email"):
        raise Invalid(f"A {channel} DNC entry needs a matching address.", details={"channel": [channel]})
    customer = customer_for_address("email" if "@" in normalised else "sms", normalised)
    entry = DncEntry(
        address=normalised,
        channel=channel,
        reason=reason,
        source=source,
        customer=customer,
        added_by=actor,
        expires_at=expires_at,
    )
    entry.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            entry.save()
    except IntegrityError:
        existing = DncEntry.objects.filter(address=normalised, channel=channel).values_list("pk", flat=True).first()
        raise Conflict("This address is already on the DNC list.", code="duplicate", details={"id": existing}) from None
    return entry


def dnc_entry_update(*, entry: DncEntry, actor: User | None, **fields) -> DncEntry:
    if "address" in fields:
        fields["address"] = address_kind_normalise(fields["address"])
    for name, value in fields.items():
        setattr(entry, name, value)
    entry.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            entry.save()
    except IntegrityError:
        raise Conflict("This address is already on the DNC list.", code="duplicate") from None
    return entry


def dnc_entry_delete(*, entry: DncEntry, actor: User | None) -> None:
    entry.delete()
