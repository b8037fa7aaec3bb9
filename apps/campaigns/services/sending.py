"""Sending a campaign: batches over the frozen recipient list, each checked as a whole and then delivered.

`campaign_dispatch` cuts the recipients still without a message into id ranges of CAMPAIGNS_BATCH_SIZE and
queues one `campaign_send_batch` task per range. A batch:

1. under a lock on its recipient rows (FOR UPDATE SKIP LOCKED: a second worker on the same range skips them),
   reads the recipients with their addresses in one query, drops suppressed addresses (bounces, complaints) with
   one query, asks the consent gate for the *whole batch* per channel (`outbound_check_many`, one query each;
   marketing purpose unless the campaign is a service message), and inserts one `CampaignSend` per recipient —
   queued on the first channel allowed, or refused/suppressed with the reason — with ON CONFLICT DO NOTHING on
   (campaign, recipient, variant): a retried or restarted batch can never make a second row;
2. hands each queued message to its provider in its own short transaction, under a row lock, only while it is
   queued: a worker killed mid-batch leaves the rest queued, and the re-run sends exactly those.

Quiet hours are not a refusal for a campaign: such recipients get no row yet and are picked up by the next pass
(beat, every minute) until `send_deadline`, when they are recorded as refused. With A/B variants, the rest of the
audience waits for the winner (`campaign_pick_winner`, after the test window).
"""

import contextlib
import logging
import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.db import connection, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from apps.messaging.models import WhatsAppTemplate
from apps.messaging.providers import ProviderError, provider_for
from apps.messaging.providers.base import OutboundMessage
from apps.messaging.services.consent_bulk import outbound_check_many, refusals_record_many
from apps.policies.models import Policy

from ..models import (
    Campaign,
    CampaignRecipient,
    CampaignSend,
    CampaignStatus,
    CampaignVariant,
    RecipientGroup,
    SendStatus,
    Suppression,
    TrackingEvent,
)
from . import content as c

logger = logging.getLogger("insureops.campaigns")
QUIET = "quiet_hours"


def _pending(campaign: Campaign):
    """Recipients still to be sent to: not holdout, with a variant (or the winner chosen), no final send row."""
    sends = CampaignSend.objects.filter(recipient=OuterRef("pk")).exclude(status=SendStatus.QUEUED)
    qs = (
        CampaignRecipient.objects.filter(campaign=campaign).exclude(group=RecipientGroup.HOLDOUT).exclude(Exists(sends))
    )
    if campaign.winner_id is None:
        qs = qs.filter(variant__isnull=False)
    return qs


def batch_ranges(campaign: Campaign) -> list[tuple[int, int]]:
    """(first, last) recipient ids of each batch of CAMPAIGNS_BATCH_SIZE pending recipients, in one query."""
    sql, params = _pending(campaign).order_by().values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT min(id), max(id) FROM (SELECT p.pk AS id, (row_number() OVER (ORDER BY p.pk) - 1) / %s AS g "  # noqa: S608
            f"FROM ({sql}) p) x GROUP BY g ORDER BY g",
            [settings.CAMPAIGNS_BATCH_SIZE, *params],
        )
        return cursor.fetchall()


def campaign_dispatch(*, campaign_id: int) -> int:
    """Queue a batch task per range of pending recipients; returns how many batches. Safe to run any time."""
    campaign = Campaign.objects.filter(pk=campaign_id).first()
    if campaign is None or campaign.status != CampaignStatus.ACTIVE:
        return 0
    ranges = batch_ranges(campaign)
    from ..tasks import campaign_send_batch

    for first, last in ranges:
        campaign_send_batch.delay(campaign_id, first, last)
    if not ranges:
        campaign_finish_if_done(campaign_id=campaign_id)
    return len(ranges)


def _addresses(rows: list[dict], channel: str) -> dict[int, str]:
    key = "email" if channel == "email" else "phone"
    return {r["id"]: r[key] for r in rows if r[key]}


def _suppressed(channel: str, addresses: list[str]) -> set[str]:
    if not addresses:
        return set()
    lowered = [a.lower() if channel == "email" else a for a in addresses]
    found = set(Suppression.objects.filter(channel=channel, address__in=lowered).values_list("address", flat=True))
    return {a for a, low in zip(addresses, lowered, strict=True) if low in found}


def _whatsapp_template(variant: CampaignVariant) -> WhatsAppTemplate | None:
    pk = variant.content.get("whatsapp_template_id")
    return WhatsAppTemplate.objects.filter(pk=pk).first() if pk else None


def campaign_send_batch(*, campaign_id: int, first_id: int, last_id: int, now: datetime | None = None) -> dict:
    """Check and queue the batch's recipients (step 1), then deliver its queued messages (step 2)."""
    now = now or timezone.now()
    counts = _check_and_queue(campaign_id, first_id, last_id, now)
    counts["sent"] = deliver_queued(campaign_id=campaign_id, first_id=first_id, last_id=last_id)
    campaign_finish_if_done(campaign_id=campaign_id)
    return counts


def _check_and_queue(campaign_id: int, first_id: int, last_id: int, now: datetime) -> dict:
    counts = {"queued": 0, "refused": 0, "suppressed": 0, "deferred": 0}
    with transaction.atomic():
        campaign = Campaign.objects.filter(pk=campaign_id).first()
        if campaign is None or campaign.status != CampaignStatus.ACTIVE:
            return counts
        pending = (
            _pending(campaign)
            .filter(pk__gte=first_id, pk__lte=last_id)
            .exclude(Exists(CampaignSend.objects.filter(recipient=OuterRef("pk"))))
            .select_for_update(skip_locked=True, of=("self",))
        )
        rows = list(
            pending.values("id", "customer_id", "variant_id", "customer__email", "customer__phone").order_by("id")
        )
        if not rows:
            return counts
        for r in rows:
            r["email"], r["phone"] = r.pop("customer__email"), r.pop("customer__phone")
            r["variant_id"] = r["variant_id"] or campaign.winner_id
        variants = {v.pk: v for v in CampaignVariant.objects.filter(campaign=campaign)}
        outcome: dict[
            int, tuple[str, str, str, str, str]
        ] = {}  # recipient -> (status, channel, address, reason, detail)
        first_refusal: dict[int, tuple[str, str, str, str]] = {}
        deferred: set[int] = set()
        final = campaign.send_deadline is not None and now >= campaign.send_deadline
        purpose = "service" if campaign.purpose == "service" else "marketing"
        source = f"campaign {campaign.pk}"
        for channel in campaign.channels:
            todo = [r for r in rows if r["id"] not in outcome]
            if not todo:
                break
            addresses = _addresses(todo, channel)
            suppressed = _suppressed(channel, list(addresses.values()))
            asked = []
            for r in todo:
                address = addresses.get(r["id"])
                if address is None:
                    first_refusal.setdefault(r["id"], (channel, "", "no_address", f"no {channel} address"))
                elif address in suppressed:
                    first_refusal.setdefault(r["id"], (channel, address, "suppressed", f"{channel} address suppressed"))
                else:
                    asked.append(r)
            # One gate call per channel and template (WhatsApp variants may name different templates).
            by_template: dict[int | None, list[dict]] = {}
            for r in asked:
                template_id = (
                    variants[r["variant_id"]].content.get("whatsapp_template_id") if channel == "whatsapp" else None
                )
                by_template.setdefault(template_id, []).append(r)
            for template_id, group in by_template.items():
                template = WhatsAppTemplate.objects.filter(pk=template_id).first() if template_id else None
                decisions = outbound_check_many(
                    channel=channel,
                    purpose=purpose,
                    source=source,
                    recipients=[(r["customer_id"], addresses[r["id"]]) for r in group],
                    template=template,
                    now=now,
                    record=False,
                )
                for r, decision in zip(group, decisions, strict=True):
                    if decision.allowed:
                        outcome[r["id"]] = (SendStatus.QUEUED, channel, decision.address, "", "")
                        deferred.discard(r["id"])
                    else:
                        if decision.reason == QUIET and not final:
                            deferred.add(r["id"])
                        first_refusal.setdefault(r["id"], (channel, decision.address, decision.reason, decision.detail))
        refusals = []
        for r in rows:
            if r["id"] in outcome or r["id"] in deferred:
                continue
            channel, address, reason, detail = first_refusal[r["id"]]
            final_status = str(SendStatus.SUPPRESSED if reason in ("suppressed", "no_address") else SendStatus.REFUSED)
            outcome[r["id"]] = (final_status, channel, address, reason, detail)
            if final_status == SendStatus.REFUSED:
                from apps.messaging.services.consent import Decision

                refusals.append(Decision(False, channel, address, purpose, reason, detail, r["customer_id"]))
        refusals_record_many(refusals, source=source, now=now)
        cost = {channel: Decimal(value) for channel, value in settings.CAMPAIGNS_CHANNEL_COST.items()}
        columns: dict[str, list] = {k: [] for k in ("recipients", "variants", "customers", "channels", "addresses")}
        columns |= {k: [] for k in ("statuses", "reasons", "details", "costs")}
        for r in rows:
            if r["id"] not in outcome:
                counts["deferred"] += 1
                continue
            status, channel, address, reason, detail = outcome[r["id"]]
            counts["queued" if status == SendStatus.QUEUED else status] += 1
            for column, value in (
                ("recipients", r["id"]),
                ("variants", r["variant_id"]),
                ("customers", r["customer_id"]),
                ("channels", channel),
                ("addresses", address),
                ("statuses", str(status)),
                ("reasons", reason[:40]),
                ("details", detail[:255]),
                ("costs", cost.get(channel, Decimal("0")) if status == SendStatus.QUEUED else Decimal("0")),
            ):
                columns[column].append(value)
        if columns["recipients"]:
            with connection.cursor() as cursor:
                cursor.execute(_QUEUE, {**columns, "campaign": campaign.pk, "now": now})
    return counts


# The batch's sends in one statement from arrays (a bulk_create of 500 model instances spent more time building and
# quoting them in Python than PostgreSQL spent inserting): a recipient already given its send (a retried batch) is
# skipped by the unique constraint, as before.
_QUEUE = f"""INSERT INTO {CampaignSend._meta.db_table}
    (campaign_id, recipient_id, variant_id, customer_id, channel, address, status, reason, detail, provider,
     provider_message_id, cost, created_at)
SELECT %(campaign)s, recipient, variant, customer, channel, address, status, reason, detail, '', '', cost, %(now)s
FROM unnest(%(recipients)s::bigint[], %(variants)s::bigint[], %(customers)s::bigint[], %(channels)s::text[],
            %(addresses)s::text[], %(statuses)s::text[], %(reasons)s::text[], %(details)s::text[], %(costs)s::numeric[])
     AS t(recipient, variant, customer, channel, address, status, reason, detail, cost)
ON CONFLICT DO NOTHING"""  # noqa: S608


def _contexts(send_ids: list[int]) -> dict[int, dict]:
    """Personalisation values for the sends, in two queries (customers with agents; their next-renewing policy)."""
    rows = list(
        CampaignSend.objects.filter(pk__in=send_ids).values(
            "pk",
            "customer_id",
            "customer__first_name",
            "customer__last_name",
            "customer__customer_code",
            "customer__agent__first_name",
            "customer__agent__last_name",
            "customer__agent__email",
        )
    )
    customer_ids = {r["customer_id"] for r in rows}
    policies: dict[int, Any] = {}
    for row in (
        Policy.objects.filter(customer_id__in=customer_ids, status="active")
        .order_by("customer_id", "end_date")
        .distinct("customer_id")
        .values("customer_id", "policy_number", "policy_type", "end_date", "premium_amount", "currency")
    ):
        policies[row["customer_id"]] = row
    result = {}
    for r in rows:
        p = policies.get(r["customer_id"], {})
        first, last = r["customer__first_name"], r["customer__last_name"]
        agent = f"{r['customer__agent__first_name'] or ''} {r['customer__agent__last_name'] or ''}".strip()
        result[r["pk"]] = {
            "first_name": first,
            "last_name": last,
            "customer_name": f"{first} {last}".strip(),
            "customer_code": r["customer__customer_code"],
            "agent_name": agent or "your broker",
            "agent_email": r["customer__agent__email"] or "",
            "policy_number": p.get("policy_number", ""),
            "policy_type": p.get("policy_type", ""),
            "renewal_date": f"{p['end_date']:%d %b %Y}" if p else "",
            "premium": f"{p['premium_amount']} {p['currency']}" if p else "",
        }
    return result


def _mailer():
    alias = "campaigns" if "campaigns" in mail.mailers else "default"
    return mail.mailers[alias]


def email_receipts_expected(backend) -> bool:
    """Whether the ESP reports delivery by webhook (anymail); SMTP, console and test backends do not, so a
    message they accepted counts as delivered."""
    module = type(backend).__module__
    return module.startswith("anymail.") and not module.startswith("anymail.backends.test")


class _Content:
    """A variant's words compiled once per delivery pass (`content.Compiled`): per recipient only a substitution."""

    def __init__(self, variant: CampaignVariant, template: WhatsAppTemplate | None):
        self.variant = variant
        self.links = variant.links
        self.subject = c.Compiled(variant.content.get("subject", ""))
        self.body = c.Compiled(variant.content.get("body", ""))
        self.template = template
        self.template_variables = list(variant.content.get("template_variables", []))


def _email(send: dict, content: _Content, context: dict) -> EmailMultiAlternatives:
    send_id, campaign_id = send["id"], send["campaign_id"]
    body = content.body.render(context)
    subject = content.subject.render(context)
    unsubscribe = c.unsubscribe_url(send_id)
    variant_id = content.variant.pk
    text = c.tracked_text(body, send_id=send_id, links=content.links, variant_id=variant_id)
    text += f"\n\n--\nUnsubscribe: {unsubscribe}\n"
    domain = settings.CAMPAIGNS_MESSAGE_ID_DOMAIN
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=settings.CAMPAIGNS_FROM_EMAIL,
        to=[send["address"]],
        headers={
            "Message-ID": f"<campaign-{campaign_id}-send-{send_id}.{uuid.uuid4().hex[:12]}@{domain}>",
            # RFC 2369 + RFC 8058 one-click: mail clients POST "List-Unsubscribe=One-Click" to the URL.
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "X-Campaign-Id": str(campaign_id),
        },
    )
    html = c.tracked_html(body, send_id=send_id, links=content.links, variant_id=variant_id)
    message.attach_alternative(html, "text/html")
    message.tags = [f"campaign-{campaign_id}"]  # type: ignore[attr-defined]  # anymail: ESP tags
    message.metadata = {"campaign_send": str(send_id)}  # type: ignore[attr-defined]
    return message


def _outbound(send: dict, content: _Content, context: dict) -> OutboundMessage:
    if send["channel"] == "whatsapp" and content.template is not None:
        return OutboundMessage(
            channel=send["channel"],
            to=send["address"],
            template_name=content.template.name,
            template_language=content.template.language,
            variables=tuple(str(context.get(name, "")) for name in content.template_variables),
        )
    body = content.body.render(context)
    return OutboundMessage(
        channel=send["channel"],
        to=send["address"],
        body=c.tracked_text(body, send_id=send["id"], links=content.links, variant_id=content.variant.pk),
    )


def _survey_links(campaign_id: int, survey_id: int, rows: list[dict], contexts: dict[int, dict]) -> dict[int, int]:
    """A campaign carrying a survey: each recipient's own signed link into their `survey_link` variable, the
    chunk's invitations made in one insert (`campaign_invitations`). {customer id: invitation id}."""
    from .surveys import campaign_invitations

    issued = campaign_invitations(
        survey_id=survey_id,
        campaign_id=campaign_id,
        customer_ids=[r["customer_id"] for r in rows],
        now=timezone.now(),
    )
    for r in rows:
        contexts[r["id"]]["survey_link"] = issued[r["customer_id"]][1] if r["customer_id"] in issued else ""
    return {customer: invitation for customer, (invitation, _url) in issued.items()}


def _survey_links_sent(surveyed: dict[str, list[int]]) -> None:
    """The invitations whose link went out, marked sent on the message's channel (one UPDATE per channel)."""
    from ..models import SurveyInvitation

    for channel, ids in surveyed.items():
        SurveyInvitation.objects.filter(pk__in=ids, status=SurveyInvitation.Status.PENDING).update(
            status=SurveyInvitation.Status.SENT, channel=channel, sent_at=timezone.now()
        )


LOCK_CLASS = 1919  # pg advisory lock namespace of campaign sends (int4 pair: this, send id mod 2^31)
_SENDS, _EVENTS = CampaignSend._meta.db_table, TrackingEvent._meta.db_table
# The one write per message, durable before the next provider call: the send marked (only while still queued)
# and, for a delivery the provider reported at once, its tracking event — a single statement, a single round trip.
_MARK = f"""WITH u AS (
    UPDATE {_SENDS} SET status = %s, sent_at = %s, delivered_at = %s, failed_at = %s, provider = %s,
        provider_message_id = %s, reason = %s, detail = %s, cost = CASE WHEN %s THEN 0 ELSE cost END
    WHERE id = %s AND status = 'queued'
    RETURNING id, campaign_id, variant_id, delivered_at)
INSERT INTO {_EVENTS} (campaign_id, send_id, variant_id_copy, kind, occurred_at, url, user_agent, provider_event_id)
SELECT campaign_id, id, variant_id, 'delivered', delivered_at, '', '', '' FROM u WHERE delivered_at IS NOT NULL"""  # noqa: S608


def _lock(cursor, ids: list[int]) -> list[int]:
    """Session advisory locks on the sends (one statement), so a second worker on the same range skips them; they
    go with the connection if the worker dies. Returns the ids locked."""
    cursor.execute(
        "SELECT id FROM unnest(%s::bigint[]) AS t(id) WHERE pg_try_advisory_lock(%s, (id %% 2147483647)::int)",
        [ids, LOCK_CLASS],
    )
    return [row[0] for row in cursor.fetchall()]


def _unlock(cursor, ids: list[int]) -> None:
    if ids:
        cursor.execute(
            "SELECT count(pg_advisory_unlock(%s, (id %% 2147483647)::int)) FROM unnest(%s::bigint[]) AS t(id)",
            [LOCK_CLASS, ids],
        )


def deliver_queued(*, campaign_id: int, first_id: int | None = None, last_id: int | None = None) -> int:
    """Hand the queued messages (of the recipient range) to their providers, each exactly once.

    Set-based around the provider calls: the queued sends are read, locked (advisory, per send) and re-read as
    still queued in three statements per chunk of CAMPAIGNS_DELIVER_CHUNK; their personalisation in two; each
    variant's content is compiled once. Per message there is the provider call and one statement (`_MARK`) that
    records it before the next call — the only write that cannot be batched if a worker killed at any point must
    leave every message either recorded as sent or still queued (a batched update after N calls would resend up
    to N-1 messages after a kill). Stops when the campaign is paused or cancelled. Returns how many were sent."""
    qs = CampaignSend.objects.filter(campaign_id=campaign_id, status=SendStatus.QUEUED)
    if first_id is not None:
        qs = qs.filter(recipient_id__gte=first_id, recipient_id__lte=last_id)
    ids = list(qs.order_by("pk").values_list("pk", flat=True))
    if not ids:
        return 0
    variants = {v.pk: v for v in CampaignVariant.objects.filter(campaign_id=campaign_id)}
    template_ids = {v.content.get("whatsapp_template_id") for v in variants.values()} - {None, ""}
    templates = {t.pk: t for t in WhatsAppTemplate.objects.filter(pk__in=template_ids)}
    contents: dict[int, _Content] = {}
    survey_id = Campaign.objects.filter(pk=campaign_id).values_list("survey_id", flat=True).first()
    mailer = None
    receipts = False
    sent = 0
    providers: dict[str, Any] = {}
    chunk_size = settings.CAMPAIGNS_DELIVER_CHUNK
    with connection.cursor() as cursor, contextlib.ExitStack() as closing:
        if not connection.in_atomic_block:
            # Each mark is its own transaction; its commit need not wait for the WAL flush: it is visible to every
            # other session at once and survives a killed worker (only a crash of PostgreSQL itself could lose
            # the last ~0.6 s of marks). Reset when the pass ends.
            cursor.execute("SET synchronous_commit TO off")
            closing.callback(cursor.execute, "RESET synchronous_commit")
        for start in range(0, len(ids), chunk_size):
            if not Campaign.objects.filter(pk=campaign_id, status=CampaignStatus.ACTIVE).exists():
                break
            locked = _lock(cursor, ids[start : start + chunk_size])
            try:
                rows: list[dict[str, Any]] = [
                    dict(r)
                    for r in CampaignSend.objects.filter(pk__in=locked, status=SendStatus.QUEUED)
                    .order_by("pk")
                    .values("id", "campaign_id", "variant_id", "channel", "address", "customer_id")
                ]
                contexts = _contexts([r["id"] for r in rows])
                surveyed: dict[str, list[int]] = {}  # channel → invitations whose link went out
                links = _survey_links(campaign_id, survey_id, rows, contexts) if survey_id else {}
                for send in rows:
                    content = contents.get(send["variant_id"])
                    if content is None:
                        variant = variants[send["variant_id"]]
                        content = contents[send["variant_id"]] = _Content(
                            variant, templates.get(variant.content.get("whatsapp_template_id"))
                        )
                    now = timezone.now()
                    delivered = failed = False
                    try:
                        if send["channel"] == "email":
                            if mailer is None:
                                mailer = _mailer()
                                mailer.open()
                                closing.callback(mailer.close)
                                receipts = email_receipts_expected(mailer)
                            message = _email(send, content, contexts[send["id"]])
                            mailer.send_messages([message])
                            status = getattr(message, "anymail_status", None)
                            provider = "email"
                            provider_id = (
                                (status.message_id if status is not None and status.message_id else "")
                                or message.extra_headers["Message-ID"]
                            )[:255]
                            delivered = not receipts
                        else:
                            adapter = providers.get(send["channel"]) or provider_for(send["channel"])
                            providers[send["channel"]] = adapter
                            result = adapter.send(_outbound(send, content, contexts[send["id"]]))
                            provider, provider_id = adapter.name, result.provider_message_id[:255]
                            if getattr(adapter, "simulates_receipts", False):
                                receipt, _ = adapter.receipt_for(send["address"])
                                delivered, failed = receipt == "delivered", receipt == "failed"
                    except ProviderError as exc:
                        cursor.execute(
                            _MARK,
                            [
                                SendStatus.FAILED,
                                None,
                                None,
                                now,
                                "",
                                "",
                                (exc.code or "provider_error")[:40],
                                exc.message[:255],
                                True,
                                send["id"],
                            ],
                        )
                        continue
                    except OSError as exc:  # SMTP down: leave it queued for the next pass
                        logger.warning("Campaign %s send %s: %s", campaign_id, send["id"], exc)
                        return sent
                    final = SendStatus.DELIVERED if delivered else (SendStatus.FAILED if failed else SendStatus.SENT)
                    cursor.execute(
                        _MARK,
                        [
                            final,
                            now,
                            now if delivered else None,
                            now if failed else None,
                            provider,
                            provider_id,
                            "",
                            "",
                            False,
                            send["id"],
                        ],
                    )
                    sent += 1
                    if send["customer_id"] in links:
                        surveyed.setdefault(send["channel"], []).append(links[send["customer_id"]])
            finally:
                _unlock(cursor, locked)
                _survey_links_sent(surveyed)
    return sent


def campaign_finish_if_done(*, campaign_id: int, now: datetime | None = None) -> bool:
    """Mark the campaign completed when nobody is left to send to (nothing pending, nothing queued, no A/B
    winner awaited)."""
    now = now or timezone.now()
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().filter(pk=campaign_id).first()
        if campaign is None or campaign.status != CampaignStatus.ACTIVE:
            return False
        waiting = (
            campaign.winner_id is None
            and CampaignRecipient.objects.filter(
                campaign=campaign, group=RecipientGroup.REST, variant__isnull=True
            ).exists()
        )
        if waiting or _pending(campaign).exists():
            campaign.metrics = campaign_progress(campaign)
            campaign.save(update_fields=["metrics", "updated_at"])
            return False
        campaign.status = CampaignStatus.COMPLETED
        campaign.finished_at = now
        campaign.metrics = campaign_progress(campaign)
        campaign.save(update_fields=["status", "finished_at", "metrics", "updated_at"])
    return True


def campaign_progress(campaign: Campaign) -> dict:
    """Live progress: the frozen list's size and the sends by status, in one query each."""
    from django.db.models import Count

    by_status = dict(
        CampaignSend.objects.filter(campaign=campaign).values_list("status").annotate(n=Count("pk")).order_by()
    )
    groups = dict(
        CampaignRecipient.objects.filter(campaign=campaign).values_list("group").annotate(n=Count("pk")).order_by()
    )
    recipients = sum(groups.values())
    done = sum(by_status.values()) - by_status.get(SendStatus.QUEUED, 0)
    target = recipients - groups.get(RecipientGroup.HOLDOUT, 0)
    return {
        "recipients": recipients,
        "groups": groups,
        "by_status": by_status,
        "done": done,
        "percent": round(100 * done / target, 1) if target else 100.0,
    }


def campaigns_tick(*, now: datetime | None = None) -> dict:
    """Beat, every minute: start due scheduled campaigns, pick A/B winners whose test window ended, and give every
    active campaign another pass (deferred recipients, batches of a worker that died)."""
    from .campaigns import campaigns_start_due
    from .winners import campaign_pick_winner

    now = now or timezone.now()
    started = campaigns_start_due(now=now)
    winners = []
    for pk in Campaign.objects.filter(
        status=CampaignStatus.ACTIVE, winner__isnull=True, test_ends_at__lte=now
    ).values_list("pk", flat=True):
        if campaign_pick_winner(campaign_id=pk, actor=None, now=now) is not None:
            winners.append(pk)
    dispatched = [
        pk
        for pk in Campaign.objects.filter(status=CampaignStatus.ACTIVE).values_list("pk", flat=True)
        if campaign_dispatch(campaign_id=pk) >= 0
    ]
    return {"started": started, "winners": winners, "dispatched": dispatched}
