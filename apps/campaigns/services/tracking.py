"""What happens after a message leaves: the open pixel, click redirects, unsubscribes and the ESP's delivery
webhooks (normalised by django-anymail). Each writes one append-only `TrackingEvent` and sets the send's first
open / click / delivery (only the first: a second open of the same message counts once in the analytics).

Opens by machines are counted apart (`machine_open`): Apple Mail Privacy Protection fetches every image through
Apple's proxy (17.0.0.0/8, a bare "Mozilla/5.0" user agent), security scanners fetch mail as it arrives (a hit
within CAMPAIGNS_PREFETCH_SECONDS of the send), and crawlers and scripts say what they are in the user agent.

Bounces and spam complaints suppress the address (`Suppression`); an unsubscribe — link, one-click POST
(RFC 8058) or the ESP's — withdraws marketing consent on that channel in messaging's consent ledger.
"""

import ipaddress
import json
import logging
import re
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from apps.core.exceptions import Invalid, NotFound
from apps.messaging.models import ConsentRecord
from apps.messaging.services.consent import consent_record

from ..models import CampaignSend, CampaignVariant, SendStatus, Suppression, TrackingEvent, TrackingKind
from . import content as c
from . import tracking_buffer

logger = logging.getLogger("insureops.campaigns")
APPLE_PROXY = ipaddress.ip_network("17.0.0.0/8")
MACHINE_AGENTS = re.compile(
    r"bot|crawl|spider|scanner|barracuda|mimecast|proofpoint|preview|headless|python|curl|wget|go-http|java/",
    re.IGNORECASE,
)


def ip_clean(ip: str | None) -> str | None:
    """The client's address as PostgreSQL's inet takes it, or None when it is not an address."""
    try:
        return str(ipaddress.ip_address(ip)) if ip else None
    except ValueError:
        return None


def is_machine_agent(*, user_agent: str, ip: str | None) -> bool:
    """A machine by what it says it is or where it fetches from (the prefetch rule needs the send: below)."""
    agent = (user_agent or "").strip()
    if agent == "Mozilla/5.0" or MACHINE_AGENTS.search(agent):
        return True
    if not ip:
        return False
    try:
        return ipaddress.ip_address(ip) in APPLE_PROXY
    except ValueError:
        return False


def is_machine_open(*, user_agent: str, ip: str | None, sent_at: datetime | None, now: datetime) -> bool:
    if is_machine_agent(user_agent=user_agent, ip=ip):
        return True
    return sent_at is not None and now - sent_at < timedelta(seconds=settings.CAMPAIGNS_PREFETCH_SECONDS)


def _event(send: CampaignSend, kind: str, now: datetime, **fields) -> TrackingEvent:
    return TrackingEvent.objects.create(
        campaign_id=send.campaign_id, send=send, variant_id_copy=send.variant_id, kind=kind, occurred_at=now, **fields
    )


def _first(send_id: int, field: str, now: datetime) -> None:
    CampaignSend.objects.filter(pk=send_id, **{f"{field}__isnull": True}).update(**{field: now})


_SENDS, _EVENTS = CampaignSend._meta.db_table, TrackingEvent._meta.db_table
# A pixel hit in one statement (one round trip, atomic): the send read, the hit logged as an open or a machine
# open (a machine by its agent or address, decided in Python, or by arriving within the prefetch seconds of the
# sending), and the send's first open or first machine open set when it is the first.
_OPEN = f"""WITH s AS (
    SELECT id, campaign_id, variant_id,
           (%(machine)s OR (sent_at IS NOT NULL AND %(now)s - sent_at < %(prefetch)s)) AS machine
    FROM {_SENDS} WHERE id = %(id)s),
e AS (
    INSERT INTO {_EVENTS} (campaign_id, send_id, variant_id_copy, kind, occurred_at, url, user_agent, ip,
                           provider_event_id)
    SELECT campaign_id, id, variant_id, CASE WHEN machine THEN 'machine_open' ELSE 'open' END, %(now)s, '', %(ua)s,
           %(ip)s, ''
    FROM s RETURNING kind),
u AS (
    UPDATE {_SENDS} c SET opened_at = CASE WHEN s.machine THEN c.opened_at ELSE %(now)s END,
                         machine_opened_at = CASE WHEN s.machine THEN %(now)s ELSE c.machine_opened_at END
    FROM s WHERE c.id = s.id
      AND ((s.machine AND c.machine_opened_at IS NULL) OR (NOT s.machine AND c.opened_at IS NULL)))
SELECT kind FROM e"""  # noqa: S608


def open_record(*, token: str, user_agent: str = "", ip: str | None = None, now: datetime | None = None) -> str:
    """A pixel hit: 'open' or 'machine_open'. NotFound for a token that is not ours (nothing counted)."""
    now = now or timezone.now()
    try:
        send_id = c.send_token_read(token, salt=c.OPEN_SALT)
    except Exception:  # signing.BadSignature and anything malformed
        raise NotFound("Unknown image.") from None
    # the time rule is applied in SQL (it needs sent_at): here only the agent and the address
    machine = is_machine_agent(user_agent=user_agent, ip=ip)
    params: dict[str, Any] = {
        "id": send_id,
        "machine": machine,
        "now": now,
        "prefetch": timedelta(seconds=settings.CAMPAIGNS_PREFETCH_SECONDS),
        "ua": (user_agent or "")[:255],
        "ip": ip,
    }
    with connection.cursor() as cursor:
        cursor.execute(_OPEN, params)
        row = cursor.fetchone()
    if row is None:
        raise NotFound("Unknown image.")
    return row[0]


# A click in one statement: the send and the variant's link it names (NULL when there is no such link: nothing
# is written then), the click logged, the send's first click (and first open: a click is an open the pixel may have
# missed, images off) set when it is the first.
_CLICK = f"""WITH s AS (
    SELECT c.id, c.campaign_id, c.variant_id, v.links -> %(index)s #>> '{{}}' AS url, v.links
    FROM {_SENDS} c JOIN {CampaignVariant._meta.db_table} v ON v.id = c.variant_id WHERE c.id = %(id)s),
e AS (
    INSERT INTO {_EVENTS} (campaign_id, send_id, variant_id_copy, kind, occurred_at, url, user_agent, ip,
                           provider_event_id)
    SELECT campaign_id, id, variant_id, 'click', %(now)s, left(url, 2000), %(ua)s, %(ip)s, ''
    FROM s WHERE url IS NOT NULL RETURNING id),
u AS (
    UPDATE {_SENDS} c SET clicked_at = coalesce(c.clicked_at, %(now)s), opened_at = coalesce(c.opened_at, %(now)s)
    FROM s WHERE c.id = s.id AND s.url IS NOT NULL AND (c.clicked_at IS NULL OR c.opened_at IS NULL))
SELECT url, variant_id, links FROM s"""  # noqa: S608


def click_record(*, token: str, user_agent: str = "", ip: str | None = None, now: datetime | None = None) -> str:
    """A click: the URL to redirect to — always one of the variant's own links. Invalid (bad_signature) for a
    forged or altered token, NotFound for a send or link that does not exist; nothing is counted then."""
    now = now or timezone.now()
    try:
        send_id, index, variant_id = c.click_token_read(token)
    except Exception:
        raise Invalid("This link is not valid.", code="bad_signature") from None
    if index < 0:  # (a JSON index below 0 counts from the end in PostgreSQL)
        raise NotFound("This link is not valid.")
    params: dict[str, Any] = {"id": send_id, "index": index, "now": now, "ua": (user_agent or "")[:255], "ip": ip}
    with connection.cursor() as cursor:
        cursor.execute(_CLICK, params)
        row = cursor.fetchone()
    if row is None or row[0] is None:
        raise NotFound("This link is not valid.")
    if variant_id == row[1] and tracking_buffer.buffering():
        # the fast path answers this variant's next clicks in this process without the database
        tracking_buffer.links_remember(row[1], json.loads(row[2]) if isinstance(row[2], str) else row[2])
    return row[0]


def unsubscribe_send(token: str) -> CampaignSend:
    try:
        send_id = c.send_token_read(token, salt=c.UNSUBSCRIBE_SALT)
    except Exception:
        raise NotFound("This unsubscribe link is not valid.") from None
    send = CampaignSend.objects.filter(pk=send_id).select_related("campaign", "customer").first()
    if send is None or not send.address:
        raise NotFound("This unsubscribe link is not valid.")
    return send


def _withdraw(send: CampaignSend, *, note: str, now: datetime) -> bool:
    """Withdraw marketing consent for the send's address and channel, unless the latest entry already is one."""
    latest = (
        ConsentRecord.objects.filter(address=send.address, channel=send.channel, purpose="marketing")
        .order_by("-recorded_at", "-id")
        .first()
    )
    if latest is not None and not latest.granted:
        return False
    consent_record(
        channel=send.channel,
        address=send.address,
        purpose="marketing",
        granted=False,
        source=ConsentRecord.Source.PORTAL,
        customer=send.customer,
        note=note,
        now=now,
    )
    return True


def unsubscribe_record(*, token: str, how: str = "link", now: datetime | None = None) -> CampaignSend:
    """The recipient asked to stop (the unsubscribe page, or a mail client's RFC 8058 one-click POST): marketing
    consent on that channel is withdrawn in the ledger (once; repeating changes nothing)."""
    now = now or timezone.now()
    send = unsubscribe_send(token)
    with transaction.atomic():
        if _withdraw(send, note=f"Unsubscribed ({how}) from campaign {send.campaign_id}", now=now):
            _event(send, TrackingKind.UNSUBSCRIBE, now)
    return send


def _suppress(send: CampaignSend, reason: str, detail: str) -> None:
    address = send.address.lower() if send.channel == "email" else send.address
    try:
        with transaction.atomic():
            Suppression.objects.create(
                channel=send.channel, address=address, reason=reason, detail=detail[:255], send=send
            )
    except IntegrityError:
        pass  # already suppressed


ESP_KINDS = {
    "delivered": TrackingKind.DELIVERED,
    "bounced": TrackingKind.BOUNCE,
    "complained": TrackingKind.COMPLAINT,
    "unsubscribed": TrackingKind.UNSUBSCRIBE,
    "rejected": TrackingKind.FAILED,
    "failed": TrackingKind.FAILED,
    "opened": TrackingKind.OPEN,
    "clicked": TrackingKind.CLICK,
}


def esp_event_apply(
    *,
    event_type: str,
    message_id: str,
    event_id: str = "",
    timestamp: datetime | None = None,
    detail: str = "",
    url: str = "",
    user_agent: str = "",
) -> str | None:
    """An ESP's tracking event (anymail's normalised `AnymailTrackingEvent`): recorded once per event id, the send
    moved on (delivered, bounced…), bounces and complaints suppress the address, an unsubscribe withdraws consent.
    Returns the kind recorded, None for an unknown message, an event kind we do not track, or a repeat."""
    kind = ESP_KINDS.get(event_type)
    if kind is None or not message_id:
        return None
    send = (
        CampaignSend.objects.filter(channel="email", provider_message_id=message_id).select_related("customer").first()
    )
    if send is None:
        return None
    now = timestamp or timezone.now()
    key = (event_id or f"{message_id}:{event_type}:{now.isoformat()}")[:255]
    try:
        with transaction.atomic():
            _event(send, kind, now, provider_event_id=key, url=url[:2000], user_agent=(user_agent or "")[:255])
            if kind == TrackingKind.DELIVERED:
                _first(send.pk, "delivered_at", now)
                CampaignSend.objects.filter(pk=send.pk, status=SendStatus.SENT).update(status=SendStatus.DELIVERED)
            elif kind == TrackingKind.BOUNCE:
                CampaignSend.objects.filter(pk=send.pk).update(status=SendStatus.BOUNCED, failed_at=now)
                _suppress(send, Suppression.Reason.BOUNCE, detail)
            elif kind == TrackingKind.COMPLAINT:
                _suppress(send, Suppression.Reason.COMPLAINT, detail)
                _withdraw(send, note=f"Spam complaint about campaign {send.campaign_id}", now=now)
            elif kind == TrackingKind.UNSUBSCRIBE:
                _withdraw(send, note=f"Unsubscribed at the ESP from campaign {send.campaign_id}", now=now)
            elif kind == TrackingKind.FAILED:
                CampaignSend.objects.filter(pk=send.pk, status__in=(SendStatus.SENT,)).update(
                    status=SendStatus.FAILED, failed_at=now
                )
            elif kind == TrackingKind.OPEN:
                _first(send.pk, "opened_at", now)
            elif kind == TrackingKind.CLICK:
                _first(send.pk, "clicked_at", now)
    except IntegrityError:
        return None  # the ESP delivered this event before
    return kind


def _soft_bounce(event) -> bool:
    """Anymail reports soft bounces as `bounced` too: a temporary failure must not suppress the address. Postmark
    says so in `Type`, Mailgun in `severity`, SES in `bounceType`."""
    raw = event.esp_event if isinstance(event.esp_event, dict) else {}
    data = raw.get("event-data", raw)
    bounce = (raw.get("bounce") or {}) if isinstance(raw.get("bounce"), dict) else {}
    return (
        raw.get("Type") in ("SoftBounce", "Transient", "DnsError")
        or data.get("severity") == "temporary"
        or bounce.get("bounceType") == "Transient"
    )


def anymail_tracking_received(sender, event, esp_name, **kwargs) -> None:
    """Receiver of anymail's `tracking` signal: hands the normalised event to `esp_event_apply`."""
    event_type = str(event.event_type or "")
    if event_type == "bounced" and _soft_bounce(event):
        event_type = "deferred"  # not tracked: the ESP retries, and a hard bounce follows if it gives up
    esp_event_apply(
        event_type=event_type,
        message_id=str(event.message_id or ""),
        event_id=f"{esp_name}:{event.event_id}" if event.event_id else "",
        timestamp=event.timestamp,
        detail=str(event.description or event.reject_reason or "")[:255],
        url=str(event.click_url or ""),
        user_agent=str(event.user_agent or ""),
    )


def receipt_apply(*, provider: str, update) -> bool:
    """An SMS/WhatsApp delivery receipt (messaging's `messaging.status` hook) for a campaign send: delivered or
    read → delivered (once: the first receipt sets `delivered_at` and writes the event), failed/undelivered → failed
    unless already delivered. False when no send has that provider id (not ours)."""
    if not update.provider_message_id:
        return False
    with transaction.atomic():
        send = (
            CampaignSend.objects.select_for_update()
            .filter(provider=provider, provider_message_id=update.provider_message_id)
            .exclude(channel="email")
            .first()
        )
        if send is None:
            return False
        now = timezone.now()
        if update.status in ("delivered", "read") and send.delivered_at is None and send.status == SendStatus.SENT:
            send.status, send.delivered_at = SendStatus.DELIVERED, now
            send.save(update_fields=["status", "delivered_at"])
            _event(send, TrackingKind.DELIVERED, now, provider_event_id="")
        elif update.status in ("failed", "undelivered") and send.status == SendStatus.SENT:
            send.status, send.failed_at = SendStatus.FAILED, now
            send.reason, send.detail = (update.error_code or "undelivered")[:40], (update.error_message or "")[:255]
            send.save(update_fields=["status", "failed_at", "reason", "detail"])
            _event(send, TrackingKind.FAILED, now)
    return True
