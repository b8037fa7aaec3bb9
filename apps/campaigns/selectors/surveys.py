"""Survey reads: surveys are the firm's (every role with the `surveys` module sees them); responses are scoped —
agents see their own customers' answers and those about them; analytics are computed in SQL over the rows the
user may see (NPS, CSAT, by agent, team, product line and channel, over time, and the free text's categories
and sentiment)."""

from collections.abc import Mapping
from datetime import date, datetime, time
from typing import Any

from django.db.models import Avg, Count, Q, QuerySet
from django.db.models.functions import TruncDay, TruncMonth, TruncWeek
from django.shortcuts import get_object_or_404
from django.utils import timezone

from apps.accounts.models import User
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


def _aggregates() -> dict:
    nps, csat = Q(score_kind="nps", score__isnull=False), Q(score_kind="csat", score__isnull=False)
    return {
        "responses": Count("id"),
        "nps_answers": Count("id", filter=nps),
        "promoters": Count("id", filter=nps & Q(score__gte=9)),
        "passives": Count("id", filter=nps & Q(score__gte=7, score__lte=8)),
        "detractors": Count("id", filter=nps & Q(score__lte=6)),
        "csat_answers": Count("id", filter=csat),
        "satisfied": Count("id", filter=csat & Q(score__gte=4)),
        "csat_average": Avg("score", filter=csat),
        "average_score": Avg("score"),
        "sentiment": Avg("sentiment_score"),
    }


def _bounds(date_from: date | None, date_to: date | None) -> Q:
    zone = timezone.get_current_timezone()
    q = Q()
    if date_from:
        q &= Q(created_at__gte=datetime.combine(date_from, time.min, tzinfo=zone))
    if date_to:
        q &= Q(created_at__lt=datetime.combine(date_to, time.max, tzinfo=zone))
    return q


def survey_analytics(
    *, user: User, survey: Survey, period: str = "month", date_from: date | None = None, date_to: date | None = None
) -> dict:
    """Everything the results screen and GET /surveys/{id}/analytics show, in a fixed number of queries."""
    responses = responses_visible_to(user, survey=survey).filter(_bounds(date_from, date_to)).order_by()
    invitations = invitations_visible_to(user, survey=survey).filter(_bounds(date_from, date_to)).order_by()
    aggregates = _aggregates()
    overall = _figures(responses.aggregate(**aggregates))
    sent = invitations.aggregate(
        invited=Count("id"),
        delivered=Count("id", filter=Q(status__in=("sent", "answered"))),
        not_sent=Count("id", filter=Q(status="not_sent")),
        answered=Count("id", filter=Q(status="answered")),
    )
    overall.update(sent)
    overall["response_rate"] = round(100 * sent["answered"] / sent["delivered"], 1) if sent["delivered"] else None
    by: dict[str, list] = {}
    agent_rows = responses.values("agent_id", "agent__first_name", "agent__last_name").annotate(**aggregates)
    by["agent"] = [
        {
            "key": row["agent_id"],
            "label": f"{row['agent__first_name']} {row['agent__last_name']}".strip() if row["agent_id"] else "—",
            **_figures(row),
        }
        for row in agent_rows.order_by("agent__last_name", "agent_id")
    ]
    team_rows = responses.values("team_id", "team__name").annotate(**aggregates).order_by("team__name", "team_id")
    by["team"] = [{"key": r["team_id"], "label": r["team__name"] or "—", **_figures(r)} for r in team_rows]
    for name in ("product_line", "channel"):
        rows = responses.values(name).annotate(**aggregates).order_by(name)
        by[name] = [{"key": r[name] or None, "label": r[name] or "—", **_figures(r)} for r in rows]
    trunc = PERIODS.get(period, TruncMonth)
    trend_rows = responses.annotate(bucket=trunc("created_at")).values("bucket").annotate(**aggregates)
    trend = [{"period": r["bucket"].date().isoformat(), **_figures(r)} for r in trend_rows.order_by("bucket")]
    category_rows = (
        responses.exclude(feedback_category="")
        .values("feedback_category")
        .annotate(count=Count("id"), sentiment=Avg("sentiment_score"))
        .order_by("-count", "feedback_category")
    )
    sentiment_rows = responses.exclude(sentiment_label="").values("sentiment_label").annotate(count=Count("id"))
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
                    "count": r["count"],
                    "sentiment": round(r["sentiment"], 2) if r["sentiment"] is not None else None,
                }
                for r in category_rows
            ],
            "sentiment": {
                label: next((r["count"] for r in sentiment_rows if r["sentiment_label"] == label), 0)
                for label in ("positive", "neutral", "negative")
            },
        },
    }
