"""Campaign analytics (seed 003 GET /campaigns/{id}/analytics) in SQL, one aggregate per view.

`sent, delivered, opened, clicked, converted` count sends (each recipient once, whatever happened twice); the
rates are per delivered message as in the seed's example (650 opened of 980 delivered = 66.3). Opens by machines
(privacy proxies, scanners) are counted apart (`machine_opened`), not as opens. A send is converted when the
customer renewed or bound a policy (a policy moved to active or renewed) between the send and `attribution_days`
after it. The holdout's conversion over the same window from the start gives the lift.
"""

from datetime import datetime, timedelta
from decimal import Decimal

from django.db.models import Count, DateTimeField, Exists, ExpressionWrapper, OuterRef, Q, Sum
from django.db.models.functions import TruncDate

from apps.policies.models import PolicyTransition

from ..models import Campaign, CampaignRecipient, CampaignSend, RecipientGroup

CONVERTING = ("active", "renewed")


def _rate(part: int, whole: int) -> float:
    return round(100 * part / whole, 1) if whole else 0.0


def _converted(campaign: Campaign, anchor):
    """EXISTS: a policy of the send's customer moved to active/renewed within the attribution window."""
    window = timedelta(days=campaign.attribution_days)
    end = anchor + window if isinstance(anchor, datetime) else ExpressionWrapper(anchor + window, DateTimeField())
    return Exists(
        PolicyTransition.objects.filter(
            policy__customer_id=OuterRef("customer_id"),
            to_status__in=CONVERTING,
            occurred_at__gte=anchor,
            occurred_at__lte=end,
        )
    )


def _sends(campaign: Campaign, customers=None, group: str | None = None):
    qs = CampaignSend.objects.filter(campaign=campaign)
    if customers is not None:
        qs = qs.filter(customer_id__in=customers)
    if group is not None:
        qs = qs.filter(recipient__group=group)
    return qs


AGGREGATES = {
    "sent": Count("pk", filter=Q(sent_at__isnull=False)),
    "delivered": Count("pk", filter=Q(delivered_at__isnull=False)),
    "opened": Count("pk", filter=Q(opened_at__isnull=False)),
    "machine_opened": Count("pk", filter=Q(machine_opened_at__isnull=False, opened_at__isnull=True)),
    "clicked": Count("pk", filter=Q(clicked_at__isnull=False)),
    "converted": Count("pk", filter=Q(sent_at__isnull=False, is_converted=True)),
    "bounced": Count("pk", filter=Q(status="bounced")),
    "failed": Count("pk", filter=Q(status="failed")),
    "refused": Count("pk", filter=Q(status="refused")),
    "suppressed": Count("pk", filter=Q(status="suppressed")),
    "queued": Count("pk", filter=Q(status="queued")),
    "cancelled": Count("pk", filter=Q(status="cancelled")),
}


def _with_rates(row: dict) -> dict:
    delivered = row["delivered"]
    row["open_rate"] = _rate(row["opened"], delivered)
    row["click_rate"] = _rate(row["clicked"], delivered)
    row["conversion_rate"] = _rate(row["converted"], delivered)
    return row


def variant_figures(campaign: Campaign, *, customers=None, group: str | None = None, now: datetime | None = None):
    """Per variant: the seed's figures and rates (one GROUP BY)."""
    rows = (
        _sends(campaign, customers, group)
        .annotate(is_converted=_converted(campaign, OuterRef("sent_at")))
        .values("variant__code")
        .annotate(**AGGREGATES)
        .order_by("variant__code")
    )
    return [_with_rates({"code": r.pop("variant__code"), **r}) for r in rows]


def campaign_analytics(campaign: Campaign, *, customers=None) -> dict:
    """The analytics answer: seed keys first, then the breakdowns (variants, holdout and lift, budget, over time,
    `customers`: restrict to these customer ids (an agent's)."""
    sends = _sends(campaign, customers).annotate(is_converted=_converted(campaign, OuterRef("sent_at")))
    total = _with_rates(sends.aggregate(**AGGREGATES))
    data = {k: total[k] for k in ("sent", "delivered", "opened", "clicked", "converted")}
    data |= {k: total[k] for k in ("open_rate", "click_rate", "conversion_rate")}
    data |= {
        k: total[k] for k in ("machine_opened", "bounced", "failed", "refused", "suppressed", "queued", "cancelled")
    }
    variants = variant_figures(campaign, customers=customers)
    data["variants"] = variants
    data["winner"] = campaign.winner.code if campaign.winner is not None else None
    data["winner_reason"] = campaign.winner_reason
    # Holdout: conversion from the start, over the same window; lift in percentage points against those sent to.
    holdout = CampaignRecipient.objects.filter(campaign=campaign, group=RecipientGroup.HOLDOUT)
    if customers is not None:
        holdout = holdout.filter(customer_id__in=customers)
    if campaign.started_at is not None:
        held = holdout.annotate(is_converted=_converted(campaign, campaign.started_at)).aggregate(
            n=Count("pk"), converted=Count("pk", filter=Q(is_converted=True))
        )
    else:
        held = {"n": 0, "converted": 0}
    treated_rate = _rate(total["converted"], total["sent"])
    held_rate = _rate(held["converted"], held["n"])
    data["holdout"] = {
        "recipients": held["n"],
        "converted": held["converted"],
        "conversion_rate": held_rate,
        "treated_conversion_rate": treated_rate,
        "lift_points": round(treated_rate - held_rate, 1) if held["n"] else None,
    }
    by_channel = {
        r["channel"]: {"sent": r["n"], "spent": str(r["spent"] or Decimal("0"))}
        for r in sends.filter(sent_at__isnull=False)
        .values("channel")
        .annotate(n=Count("pk"), spent=Sum("cost"))
        .order_by("channel")
    }
    spent = sum((Decimal(v["spent"]) for v in by_channel.values()), Decimal("0"))
    data["budget"] = {
        "budget": str(campaign.budget) if campaign.budget is not None else None,
        "spent": str(spent),
        "remaining": str(campaign.budget - spent) if campaign.budget is not None else None,
        "by_channel": by_channel,
    }
    data["over_time"] = [
        {"date": r["day"].isoformat(), **{k: r[k] for k in ("sent", "opened", "clicked", "converted")}}
        for r in sends.filter(sent_at__isnull=False)
        .annotate(day=TruncDate("sent_at"))
        .values("day")
        .annotate(
            sent=Count("pk"),
            opened=Count("pk", filter=Q(opened_at__isnull=False)),
            clicked=Count("pk", filter=Q(clicked_at__isnull=False)),
            converted=Count("pk", filter=Q(is_converted=True)),
        )
        .order_by("day")
    ]
    return data
