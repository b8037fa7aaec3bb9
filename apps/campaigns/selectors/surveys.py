"""Survey reads: surveys are the firm's (every role with the `surveys` module sees them); responses are scoped —
agents see their own customers' answers and those about them; analytics are computed in SQL over the rows the
user may see (NPS, CSAT, by agent, team, product line and channel, over time, and the free text's categories
and sentiment)."""

from collections.abc import Mapping
from datetime import date, datetime, time
from typing import Any

from django.db import connection
from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncDay, TruncMonth, TruncWeek
from django.shortcuts import get_object_or_404
from django.utils import timezone

from apps.accounts.models import Team, User
from apps.accounts.roles import Role

from ..models import Survey, SurveyInvitation, SurveyResponse

PERIODS = {"day": TruncDay, "week": TruncWeek, "month": TruncMonth}
DIMENSIONS = ("agent", "team", "product_line", "channel")


def surveys_visible_to(user: User) -> QuerySet[Survey]:
    if not user.can("surveys"):
        return Survey.objects.none()
    return Survey.objects.select_related("current_version", "created_by")


def survey_get_for_user(*, user: User, pk) -> Survey:
    return get_object_or_404(surveys_visible_to(user), pk=pk)


def _scoped(qs: QuerySet, user: User) -> QuerySet:
    if user.role == Role.AGENT:
        return qs.filter(Q(customer__agent=user) | Q(agent=user))
    if user.can("surveys"):
        return qs
    return qs.none()


def responses_visible_to(user: User, *, survey: Survey) -> QuerySet[SurveyResponse]:
    """The survey's responses `user` may read, newest first, with what the list shows."""
    qs = SurveyResponse.objects.filter(survey=survey).select_related(
        "customer", "agent", "team", "version", "follow_up__ticket"
    )
    return _scoped(qs, user)


def invitations_visible_to(user: User, *, survey: Survey) -> QuerySet[SurveyInvitation]:
    return _scoped(SurveyInvitation.objects.filter(survey=survey), user)


def _figures(row: Mapping[str, Any]) -> dict:
    """NPS (% promoters − % detractors), CSAT (% of 4–5 answers), the average score and sentiment of a group."""
    nps_n, csat_n = row["nps_answers"], row["csat_answers"]
    return {
        "responses": row["responses"],
        "nps": round(100 * (row["promoters"] - row["detractors"]) / nps_n, 1) if nps_n else None,
        "promoters": row["promoters"],
        "passives": row["passives"],
        "detractors": row["detractors"],
        "csat": round(100 * row["satisfied"] / csat_n, 1) if csat_n else None,
        "csat_average": round(row["csat_average"], 2) if row["csat_average"] is not None else None,
        "average_score": round(row["average_score"], 2) if row["average_score"] is not None else None,
        "sentiment": round(row["sentiment"], 2) if row["sentiment"] is not None else None,
    }


def _bounds(date_from: date | None, date_to: date | None) -> Q:
    zone = timezone.get_current_timezone()
    q = Q()
    if date_from:
        q &= Q(created_at__gte=datetime.combine(date_from, time.min, tzinfo=zone))
    if date_to:
        q &= Q(created_at__lt=datetime.combine(date_to, time.max, tzinfo=zone))
    return q


GROUPED = ("agent_id", "team_id", "product_line", "channel", "bucket", "feedback_category", "sentiment_label")


def _grouped(responses: QuerySet, trunc) -> dict[str, list[dict]]:
    """The figures of every group analytics shows, from one scan of the responses: PostgreSQL's GROUPING SETS
    over the scoped queryset (its SQL, parameters bound by Django). {column: [row per value], "all": [total]}."""
    base = responses.annotate(bucket=trunc("created_at")).values(
        "id", *GROUPED, "score", "score_kind", "sentiment_score"
    )
    sql, params = base.query.sql_with_params()
    columns = ", ".join(GROUPED)
    nps = "score_kind = 'nps' AND score IS NOT NULL"
    csat = "score_kind = 'csat' AND score IS NOT NULL"
    query = f"""
        WITH r AS ({sql})
        SELECT GROUPING({columns}) AS grouping_mask, {columns},
               COUNT(*) AS responses,
               COUNT(*) FILTER (WHERE {nps}) AS nps_answers,
               COUNT(*) FILTER (WHERE {nps} AND score >= 9) AS promoters,
               COUNT(*) FILTER (WHERE {nps} AND score BETWEEN 7 AND 8) AS passives,
               COUNT(*) FILTER (WHERE {nps} AND score <= 6) AS detractors,
               COUNT(*) FILTER (WHERE {csat}) AS csat_answers,
               COUNT(*) FILTER (WHERE {csat} AND score >= 4) AS satisfied,
               AVG(score) FILTER (WHERE {csat}) AS csat_average,
               AVG(score) AS average_score,
               AVG(sentiment_score) AS sentiment
        FROM r
        GROUP BY GROUPING SETS ((), {", ".join(f"({c})" for c in GROUPED)})
    """  # noqa: S608 (only our column names are formatted in; values are bound parameters)
    full = (1 << len(GROUPED)) - 1
    mask_of = {full - (1 << (len(GROUPED) - 1 - i)): name for i, name in enumerate(GROUPED)} | {full: "all"}
    out: dict[str, list[dict]] = {name: [] for name in (*GROUPED, "all")}
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        names = [d[0] for d in cursor.description]
        for values in cursor.fetchall():
            row = dict(zip(names, values, strict=True))
            for key in ("csat_average", "average_score", "sentiment"):
                row[key] = float(row[key]) if row[key] is not None else None
            out[mask_of[row["grouping_mask"]]].append(row)
    return out


def survey_analytics(
    *, user: User, survey: Survey, period: str = "month", date_from: date | None = None, date_to: date | None = None
) -> dict:
    """Everything the results screen and GET /surveys/{id}/analytics show, in a fixed number of queries."""
    responses = responses_visible_to(user, survey=survey).filter(_bounds(date_from, date_to)).order_by()
    invitations = invitations_visible_to(user, survey=survey).filter(_bounds(date_from, date_to)).order_by()
    groups = _grouped(responses, PERIODS.get(period, TruncMonth))
    overall = _figures(groups["all"][0])
    sent = invitations.aggregate(
        invited=Count("id"),
        delivered=Count("id", filter=Q(status__in=("sent", "answered"))),
        not_sent=Count("id", filter=Q(status="not_sent")),
        answered=Count("id", filter=Q(status="answered")),
    )
    overall.update(sent)
    overall["response_rate"] = round(100 * sent["answered"] / sent["delivered"], 1) if sent["delivered"] else None
    agents = {
        u["id"]: f"{u['first_name']} {u['last_name']}".strip()
        for u in User.objects.filter(pk__in=[r["agent_id"] for r in groups["agent_id"] if r["agent_id"]]).values(
            "id", "first_name", "last_name"
        )
    }
    teams = dict(
        Team.objects.filter(pk__in=[r["team_id"] for r in groups["team_id"] if r["team_id"]]).values_list("id", "name")
    )
    by: dict[str, list] = {
        "agent": sorted(
            (
                {"key": r["agent_id"], "label": agents.get(r["agent_id"], "—"), **_figures(r)}
                for r in groups["agent_id"]
            ),
            key=lambda row: (row["key"] is None, row["label"], row["key"] or 0),
        ),
        "team": sorted(
            ({"key": r["team_id"], "label": teams.get(r["team_id"], "—"), **_figures(r)} for r in groups["team_id"]),
            key=lambda row: (row["key"] is None, row["label"], row["key"] or 0),
        ),
    }
    for name in ("product_line", "channel"):
        by[name] = sorted(
            ({"key": r[name] or None, "label": r[name] or "—", **_figures(r)} for r in groups[name]),
            key=lambda row: row["label"],
        )
    trend = [
        {"period": r["bucket"].date().isoformat(), **_figures(r)}
        for r in sorted(groups["bucket"], key=lambda r: r["bucket"])
    ]
    category_rows = sorted(
        (r for r in groups["feedback_category"] if r["feedback_category"]),
        key=lambda r: (-r["responses"], r["feedback_category"]),
    )
    sentiment_counts = {r["sentiment_label"]: r["responses"] for r in groups["sentiment_label"]}
    return {
        "survey_id": survey.pk,
        "kind": survey.kind,
        "period": period if period in PERIODS else "month",
        "overall": overall,
        "trend": trend,
        "by_agent": by["agent"],
        "by_team": by["team"],
        "by_product_line": by["product_line"],
        "by_channel": by["channel"],
        "feedback": {
            "categories": [
                {
                    "category": r["feedback_category"],
                    "count": r["responses"],
                    "sentiment": round(r["sentiment"], 2) if r["sentiment"] is not None else None,
                }
                for r in category_rows
            ],
            "sentiment": {label: sentiment_counts.get(label, 0) for label in ("positive", "neutral", "negative")},
        },
    }
