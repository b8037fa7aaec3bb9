"""The consent gate for a whole batch at once (campaigns): the same rules as `consent.outbound_check`, with the
facts for every recipient read in ONE query instead of three per message.

    decisions = outbound_check_many(channel="email", purpose="marketing", source="campaign 12",
                                    recipients=[(customer_id, "ana@example.com"), ...])

The query joins the batch (unnested arrays) laterally to the DNC list, the latest consent-ledger entry for the
address or the customer, the contact's last inbound message on the channel and the customer's preferences; the
rules are then `consent._decide`, the very function the one-by-one gate applies, so the two cannot disagree
(tests/campaigns/test_campaign_consent_bulk.py checks them side by side). Refusals are counted in
`OutboundRefusal` by one INSERT … ON CONFLICT.
"""

import json
from collections.abc import Sequence
from datetime import datetime

from django.db import connection
from django.utils import timezone

from apps.core.exceptions import Invalid
from apps.customers.models import Customer

from ..models import Channel, ConsentRecord, DncEntry, Message, OutboundRefusal, Purpose, WhatsAppTemplate
from .addresses import address_normalise
from .consent import Decision, Facts, Reason, _decide, _precheck

_SOURCE_LABELS = dict(ConsentRecord.Source.choices)

_FACTS_SQL = f"""
WITH batch AS (
    SELECT * FROM unnest(%(idx)s::int[], %(address)s::text[], %(customer)s::bigint[]) AS b(idx, address, customer_id)
)
SELECT b.idx, dnc.id, dnc.reason, consent.granted, consent.recorded_at, consent.source, inbound.created_at,
       c.communication_preferences
FROM batch b
LEFT JOIN {Customer._meta.db_table} c ON c.id = b.customer_id
LEFT JOIN LATERAL (
    SELECT d.id, d.reason FROM {DncEntry._meta.db_table} d
    WHERE d.address = b.address AND (d.channel = '' OR d.channel = %(channel)s)
      AND (d.expires_at IS NULL OR d.expires_at > %(now)s)
    LIMIT 1
) dnc ON true
LEFT JOIN LATERAL (
    SELECT r.granted, r.recorded_at, r.source FROM (
        (SELECT r1.granted, r1.recorded_at, r1.source, r1.id FROM {ConsentRecord._meta.db_table} r1
         WHERE r1.address = b.address AND r1.channel = %(channel)s AND r1.purpose = %(purpose)s
         ORDER BY r1.recorded_at DESC, r1.id DESC LIMIT 1)
        UNION ALL
        (SELECT r2.granted, r2.recorded_at, r2.source, r2.id FROM {ConsentRecord._meta.db_table} r2
         WHERE r2.customer_id = b.customer_id AND r2.channel = %(channel)s AND r2.purpose = %(purpose)s
         ORDER BY r2.recorded_at DESC, r2.id DESC LIMIT 1)
    ) r ORDER BY r.recorded_at DESC, r.id DESC LIMIT 1
) consent ON true
LEFT JOIN LATERAL (
    SELECT m.created_at FROM {Message._meta.db_table} m
    WHERE %(phone)s AND m.channel = %(channel)s AND m.direction = 'inbound' AND m.from_address = b.address
    ORDER BY m.created_at DESC LIMIT 1
) inbound ON true
"""  # noqa: S608 - table names from the models; values are bound parameters


def outbound_check_many(
    *,
    channel: str,
    purpose: str,
    source: str,
    recipients: Sequence[tuple[int | None, str]],
    template: WhatsAppTemplate | None = None,
    now: datetime | None = None,
    record: bool = True,
) -> list[Decision]:
    """A `Decision` per (customer_id, address) of `recipients`, in order: what `outbound_check` would answer for
    each, computed with one query. `record`: count the refusals in `OutboundRefusal`, as the one-by-one gate does."""
    now = now or timezone.now()
    decisions: list[Decision | None] = [None] * len(recipients)
    pre_reason, pre_detail = _precheck(channel, purpose)
    idx: list[int] = []
    addresses: list[str] = []
    customers: list[int | None] = []
    for i, (customer_id, raw) in enumerate(recipients):
        if pre_reason:
            decisions[i] = Decision(False, channel, (raw or "")[:255], purpose, pre_reason, pre_detail, customer_id)
            continue
        try:
            normalised = address_normalise(channel, raw)
        except Invalid as exc:
            decisions[i] = Decision(
                False, channel, (raw or "")[:255], purpose, Reason.INVALID_ADDRESS, exc.message, customer_id
            )
            continue
        idx.append(i)
        addresses.append(normalised)
        customers.append(customer_id)
    if idx:
        with connection.cursor() as cursor:
            cursor.execute(
                _FACTS_SQL,
                {
                    "idx": idx,
                    "address": addresses,
                    "customer": customers,
                    "channel": channel,
                    "purpose": purpose,
                    "now": now,
                    "phone": channel != Channel.EMAIL,
                },
            )
            rows = cursor.fetchall()
        by_idx = {row[0]: row for row in rows}
        for position, i in enumerate(idx):
            _, dnc_id, dnc_reason, granted, recorded_at, consent_source, inbound_at, prefs = by_idx[i]
            facts = Facts(
                dnc=(dnc_id, dnc_reason) if dnc_id is not None else None,
                consent=(granted, recorded_at, str(_SOURCE_LABELS.get(consent_source, consent_source)))
                if granted is not None
                else None,
                last_inbound=inbound_at,
                prefs=(json.loads(prefs) if isinstance(prefs, str) else prefs) or {},
            )
            reason, detail = _decide(
                facts,
                channel=channel,
                purpose=purpose,
                template_status=template.status if template is not None else None,
                template_name=template.name if template is not None else "",
                now=now,
            )
            decisions[i] = Decision(
                not reason, channel, addresses[position], purpose, reason, detail, customers[position]
            )
    result = [d for d in decisions if d is not None]
    if record:
        refusals_record_many([d for d in result if not d.allowed], source=source, now=now)
    return result


def refusals_record_many(decisions: Sequence[Decision], *, source: str, now: datetime | None = None) -> None:
    """Count refusals like `consent.refusal_record`, for many at once (one statement)."""
    if not decisions:
        return
    now = now or timezone.now()
    counted: dict[tuple, list] = {}
    for d in decisions:
        key = (
            d.address[:255],
            d.channel if d.channel in Channel.values else "sms",
            d.purpose if d.purpose in ("service", "marketing") else "service",
            d.reason,
        )
        entry = counted.setdefault(key, [0, d.detail[:255], d.customer_id])
        entry[0] += 1
    table = OutboundRefusal._meta.db_table
    keys = list(counted)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {table} (day, address, channel, purpose, reason, source, detail, customer_id, count,
                                 first_at, last_at)
            SELECT %(day)s, a, ch, p, r, %(source)s, d, c, n, %(now)s, %(now)s
            FROM unnest(%(a)s::text[], %(ch)s::text[], %(p)s::text[], %(r)s::text[], %(d)s::text[],
                        %(c)s::bigint[], %(n)s::int[]) AS t(a, ch, p, r, d, c, n)
            ON CONFLICT (day, address, channel, purpose, reason, source)
            DO UPDATE SET count = {table}.count + EXCLUDED.count, last_at = EXCLUDED.last_at, detail = EXCLUDED.detail
            """,  # noqa: S608 - table names from the models; values are bound parameters
            {
                "day": now.date(),
                "source": source[:100],
                "now": now,
                "a": [k[0] for k in keys],
                "ch": [k[1] for k in keys],
                "p": [k[2] for k in keys],
                "r": [k[3] for k in keys],
                "d": [counted[k][1] for k in keys],
                "c": [counted[k][2] for k in keys],
                "n": [counted[k][0] for k in keys],
            },
        )


def customer_channel_gate_many(
    *,
    recipients: Sequence[tuple[Customer, str]],
    channel: str,
    source: str,
    now: datetime | None = None,
    record: bool = False,
) -> list[tuple[bool, str]]:
    """`consent.customer_channel_gate` for a batch (its `.many`, for `customers.contact.customer_contact_channels`):
    (allowed, reason) per (customer, address), in order; on WhatsApp a refusal for the shut 24-hour window is asked
    again as the reminder template, as one by one."""
    from .whatsapp import reminder_template

    now = now or timezone.now()
    pairs = [(customer.pk, address) for customer, address in recipients]
    decisions = outbound_check_many(
        channel=channel, purpose=Purpose.SERVICE, source=source, recipients=pairs, now=now, record=False
    )
    template = reminder_template() if channel == Channel.WHATSAPP else None
    if template is not None:
        again = [i for i, decision in enumerate(decisions) if decision.reason == Reason.WHATSAPP_WINDOW]
        if again:
            retried = outbound_check_many(
                channel=channel,
                purpose=Purpose.SERVICE,
                source=source,
                recipients=[pairs[i] for i in again],
                template=template,
                now=now,
                record=False,
            )
            for i, decision in zip(again, retried, strict=True):
                decisions[i] = decision
    if record:
        refusals_record_many([d for d in decisions if not d.allowed], source=source, now=now)
    return [(decision.allowed, decision.reason) for decision in decisions]
