"""Campaign analytics (seed 003 GET /campaigns/{id}/analytics) in SQL: one pass over the sends (grouping sets).

`sent, delivered, opened, clicked, converted` count sends (each recipient once, whatever happened twice); the
rates are per delivered message as in the seed's example (650 opened of 980 delivered = 66.3). Opens by machines
(privacy proxies, scanners) are counted apart (`machine_opened`), not as opens. A send is converted when the
customer renewed or bound a policy (a policy moved to active or renewed) between the send and `attribution_days`
after it. The holdout's conversion over the same window from the start gives the lift.
"""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import Count, DateTimeField, Exists, ExpressionWrapper, OuterRef, Q

from apps.policies.models import PolicyTransition

from ..models import Campaign, CampaignRecipient, CampaignSend, CampaignSendRollup, CampaignVariant, RecipientGroup
from ..models.campaigns import ROLLUP_FIGURES as ROLLUP

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


FIGURES = (
    "sent",
    "delivered",
    "opened",
    "machine_opened",
    "clicked",
    "converted",
    "bounced",
    "failed",
    "refused",
    "suppressed",
    "queued",
    "cancelled",
)


def _with_rates(row: dict) -> dict:
    delivered = row["delivered"]
    row["open_rate"] = _rate(row["opened"], delivered)
    row["click_rate"] = _rate(row["clicked"], delivered)
    row["conversion_rate"] = _rate(row["converted"], delivered)
    return row


_COUNTS = """count(*) FILTER (WHERE sent_at IS NOT NULL) AS sent,
    count(*) FILTER (WHERE delivered_at IS NOT NULL) AS delivered,
    count(*) FILTER (WHERE opened_at IS NOT NULL) AS opened,
    count(*) FILTER (WHERE machine_opened_at IS NOT NULL AND opened_at IS NULL) AS machine_opened,
    count(*) FILTER (WHERE clicked_at IS NOT NULL) AS clicked,
    count(*) FILTER (WHERE sent_at IS NOT NULL AND converted) AS converted,
    count(*) FILTER (WHERE status = 'bounced') AS bounced,
    count(*) FILTER (WHERE status = 'failed') AS failed,
    count(*) FILTER (WHERE status = 'refused') AS refused,
    count(*) FILTER (WHERE status = 'suppressed') AS suppressed,
    count(*) FILTER (WHERE status = 'queued') AS queued,
    count(*) FILTER (WHERE status = 'cancelled') AS cancelled,
    sum(cost) FILTER (WHERE sent_at IS NOT NULL) AS spent"""


def _grouped(campaign: Campaign, *, customers=None, group: str | None = None) -> list[dict]:
    """The sends' figures in one pass over the campaign's sends: all, per variant, per channel, per day
    (GROUPING SETS; `g_variant`, `g_channel`, `g_day` say which a row is). Conversion is a hash join, not a
    probe per send: the converting policy moves of the whole span (first send .. last send + window) are read
    once, joined to the sends by customer and kept when they fall in that send's own window."""
    where: list[str] = ["campaign_id = %s"]
    params: list[Any] = [campaign.pk]
    if customers is not None:  # a queryset of customer ids (an agent's scope) or the ids
        if hasattr(customers, "query"):
            sql, sub = customers.query.sql_with_params()
            where.append(f"customer_id IN ({sql})")
            params += list(sub)
        else:
            where.append("customer_id = ANY(%s)")
            params.append(list(customers))
    if group is not None:
        where.append(f'recipient_id IN (SELECT id FROM {CampaignRecipient._meta.db_table} WHERE "group" = %s)')  # noqa: S608
        params.append(group)
    window = timedelta(days=campaign.attribution_days)
    transitions, policies = PolicyTransition._meta.db_table, PolicyTransition._meta.get_field("policy").related_model
    query = f"""
    WITH s AS MATERIALIZED (
        SELECT id, variant_id, channel, customer_id, status, sent_at, delivered_at, opened_at, machine_opened_at,
               clicked_at, cost
        FROM {CampaignSend._meta.db_table} WHERE {" AND ".join(where)}),
    moved AS (
        SELECT p.customer_id, t.occurred_at
        FROM {transitions} t JOIN {policies._meta.db_table} p ON p.id = t.policy_id,
             (SELECT min(sent_at) AS lo, max(sent_at) + %s AS hi FROM s) span
        WHERE t.to_status = ANY(%s) AND t.occurred_at >= span.lo AND t.occurred_at <= span.hi),
    conv AS (
        SELECT DISTINCT s.id FROM s JOIN moved m ON m.customer_id = s.customer_id
        WHERE m.occurred_at >= s.sent_at AND m.occurred_at <= s.sent_at + %s)
    SELECT x.variant_id, x.channel, x.day, GROUPING(x.variant_id) AS g_variant, GROUPING(x.channel) AS g_channel,
           GROUPING(x.day) AS g_day, {_COUNTS}
    FROM (SELECT s.*, (s.sent_at AT TIME ZONE %s)::date AS day, conv.id IS NOT NULL AS converted
          FROM s LEFT JOIN conv ON conv.id = s.id) x
    GROUP BY GROUPING SETS ((), (x.variant_id), (x.channel), (x.day))"""  # noqa: S608
    params += [window, list(CONVERTING), window, "UTC"]
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        names = [col.name for col in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _key(row: dict) -> tuple:
    return (row["g_variant"], row["g_channel"], row["g_day"], row["variant_id"], row["channel"], row["day"])


def _from_rollup(campaign: Campaign) -> list[dict]:
    """The same rows as `_grouped` for the whole campaign, from the rollup the triggers keep (a few rows per day)
    and, for conversion, from the converting policy moves of the sends' span joined to the sends of those
    customers only (by the customer index) — exact, without reading every send."""
    sums = ", ".join(f"sum({name})" + ("" if name == "spent" else "::bigint") + f" AS {name}" for name in ROLLUP)
    sets = "GROUPING SETS ((), (variant_id), (channel), (day))"
    labels = "variant_id, channel, day, GROUPING(variant_id) AS g_variant, GROUPING(channel) AS g_channel, "
    labels += "GROUPING(day) AS g_day"
    window = timedelta(days=campaign.attribution_days)
    transitions, policies = PolicyTransition._meta.db_table, PolicyTransition._meta.get_field("policy").related_model
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {labels}, {sums} FROM {CampaignSendRollup._meta.db_table} WHERE campaign_id = %s GROUP BY {sets}",  # noqa: S608
            [campaign.pk],
        )
        names = [col.name for col in cursor.description]
        rows = [dict(zip(names, row, strict=True)) | {"converted": 0} for row in cursor.fetchall()]
        days = [r["day"] for r in rows if r["g_day"] == 0 and r["day"] is not None and r["sent"]]
        if not days:
            return rows
        lo = datetime.combine(min(days), datetime.min.time(), tzinfo=UTC)
        hi = datetime.combine(max(days) + timedelta(days=1), datetime.min.time(), tzinfo=UTC) + window
        cursor.execute(
            f"""WITH moved AS (
                SELECT p.customer_id, t.occurred_at FROM {transitions} t JOIN {policies._meta.db_table} p
                ON p.id = t.policy_id WHERE t.to_status = ANY(%s) AND t.occurred_at >= %s AND t.occurred_at <= %s),
            conv AS (
                SELECT DISTINCT s.id, s.variant_id, s.channel, (s.sent_at AT TIME ZONE 'UTC')::date AS day
                FROM moved m JOIN {CampaignSend._meta.db_table} s ON s.customer_id = m.customer_id
                WHERE s.campaign_id = %s AND s.sent_at IS NOT NULL
                  AND m.occurred_at >= s.sent_at AND m.occurred_at <= s.sent_at + %s)
            SELECT {labels}, count(*) AS converted FROM conv GROUP BY {sets}""",  # noqa: S608
            [list(CONVERTING), lo, hi, campaign.pk, window],  # type: ignore[list-item]  # psycopg: interval
        )
        names = [col.name for col in cursor.description]
        converted = {_key(r): r["converted"] for r in (dict(zip(names, row, strict=True)) for row in cursor.fetchall())}
    for row in rows:
        row["converted"] = converted.get(_key(row), 0)
    return rows


def _variants(campaign: Campaign, rows: list[dict]) -> list[dict]:
    codes = dict(CampaignVariant.objects.filter(campaign=campaign).values_list("pk", "code"))
    out = [
        _with_rates({"code": codes[r["variant_id"]], **{k: r[k] for k in FIGURES}}) for r in rows if r["g_variant"] == 0
    ]
    return sorted(out, key=lambda f: f["code"])


def variant_figures(campaign: Campaign, *, customers=None, group: str | None = None, now: datetime | None = None):
    """Per variant: the seed's figures and rates (one pass)."""
    return _variants(campaign, _grouped(campaign, customers=customers, group=group))


def campaign_analytics(campaign: Campaign, *, customers=None) -> dict:
    """The analytics answer: seed keys first, then the breakdowns (variants, holdout and lift, budget, over time,
    `customers`: restrict to these customer ids (an agent's). The whole campaign is read from the rollup the
    triggers keep; an agent's part from one pass over their customers' sends. Days are UTC days."""
    rows = _from_rollup(campaign) if customers is None else _grouped(campaign, customers=customers)
    total = next((r for r in rows if r["g_variant"] and r["g_channel"] and r["g_day"]), None)
    total = _with_rates({k: (total or {}).get(k) or 0 for k in FIGURES})
    data = {k: total[k] for k in ("sent", "delivered", "opened", "clicked", "converted")}
    data |= {k: total[k] for k in ("open_rate", "click_rate", "conversion_rate")}
    data |= {
        k: total[k] for k in ("machine_opened", "bounced", "failed", "refused", "suppressed", "queued", "cancelled")
    }
    variants = _variants(campaign, rows)
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
        r["channel"]: {"sent": r["sent"], "spent": str(r["spent"] or Decimal("0"))}
        for r in sorted(rows, key=lambda r: r["channel"] or "")
        if r["g_channel"] == 0 and r["sent"]
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
        for r in sorted(rows, key=lambda r: r["day"] or date.min)
        if r["g_day"] == 0 and r["day"] is not None
    ]
    return data
