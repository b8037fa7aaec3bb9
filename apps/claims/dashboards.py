"""Seed 001 dashboard figures for claims: KPIs, priority alerts, the claims overview and assessment progress.
SQL aggregates over the claims the user can see; a fixed, small number of queries whatever the volume."""

from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Q, Sum
from django.utils import timezone

from apps.accounts.models import User
from apps.core.figures import WHOLE_BOOK, dashboard_figure, money_figure

from .models import (
    OPEN_CLAIM_STATUSES,
    AssessmentStatus,
    ClaimPayment,
    ClaimStatus,
    FraudReview,
)
from .selectors import assessments_visible_to, claims_visible_to

PERIODS = {"week": 7, "month": 30, "quarter": 91}
S = ClaimStatus


def _since(period: str):
    return timezone.now() - timedelta(days=PERIODS[period])


def _ago(day, days: int):
    return day - timedelta(days=days)


def _scope(user: User):
    return claims_visible_to(user).select_related(None).order_by()


@dashboard_figure(shared_by=WHOLE_BOOK)  # admins and managers see every claim
def dashboard_kpi(*, user: User, period: str = "month") -> dict:
    since = _since(period)
    today = timezone.localdate()
    triage_cutoff = today - timedelta(days=settings.CLAIM_TRIAGE_SLA_DAYS)
    open_cutoff = today - timedelta(days=settings.CLAIM_OPEN_SLA_DAYS)
    figures = _scope(user).aggregate(
        open=Count("id", filter=Q(status__in=OPEN_CLAIM_STATUSES)),
        new=Count("id", filter=Q(created_at__gte=since)),
        closed=Count("id", filter=Q(closed_at__gte=since)),
        approved=Count("id", filter=Q(created_at__gte=since, settlement_amount__isnull=False)),
        rejected=Count("id", filter=Q(created_at__gte=since, status=S.REJECTED)),
        reserve=Sum("reserve_amount", filter=Q(status__in=OPEN_CLAIM_STATUSES)),
        fraud_queue=Count("id", filter=Q(fraud_review=FraudReview.PENDING)),
        sla_triage=Count("id", filter=Q(status=S.SUBMITTED, reported_date__lt=triage_cutoff)),
        sla_open=Count("id", filter=Q(status__in=OPEN_CLAIM_STATUSES, reported_date__lt=open_cutoff)),
        time_to_close=Avg(
            ExpressionWrapper(F("closed_at") - F("created_at"), output_field=DurationField()),
            filter=Q(closed_at__gte=since),
        ),
    )
    paid = ClaimPayment.objects.filter(
        status=ClaimPayment.Status.PAID, paid_at__gte=since, claim__in=_scope(user).values("pk")
    ).aggregate(total=Sum("amount"), count=Count("id"))
    decided = figures["approved"] + figures["rejected"]
    duration = figures["time_to_close"]
    return {
        "period": period,
        "openClaims": figures["open"],
        "newClaims": figures["new"],
        "closedClaims": figures["closed"],
        "avgDaysToClose": round(duration.total_seconds() / 86400, 1) if duration else None,
        "approvalRate": round(figures["approved"] / decided, 4) if decided else None,
        "reserveOutstanding": money_figure(figures["reserve"]),
        "paidInPeriod": money_figure(paid["total"]),
        "paymentsInPeriod": paid["count"],
        "fraudReviewQueue": figures["fraud_queue"],
        "slaBreaches": {"triage": figures["sla_triage"], "open": figures["sla_open"]},
    }


@dashboard_figure
def dashboard_alerts(*, user: User, limit: int = 50) -> list[dict]:
    """What needs someone now, most severe first: SLA breaches, high fraud scores waiting for review, large
    reserves, stale claims, payments waiting for approval."""
    today = timezone.localdate()
    now = timezone.now()
    scope = _scope(user).only(
        "id", "claim_number", "status", "reported_date", "fraud_score", "reserve_amount", "updated_at", "currency"
    )
    alerts: list[dict] = []

    def add(kind, severity, claim, message, since):
        alerts.append(
            {
                "type": kind,
                "severity": severity,
                "claimId": claim.pk,
                "claimNumber": claim.claim_number,
                "message": message,
                "since": since.isoformat() if since else None,
            }
        )

    triage_cutoff = today - timedelta(days=settings.CLAIM_TRIAGE_SLA_DAYS)
    for claim in scope.filter(status=S.SUBMITTED, reported_date__lt=triage_cutoff).order_by("reported_date")[:limit]:
        days = (today - claim.reported_date).days
        add("sla_breach", "high", claim, f"Not triaged {days} days after it was reported.", claim.reported_date)
    for claim in scope.filter(fraud_review=FraudReview.PENDING).order_by("-fraud_score")[:limit]:
        add("fraud", "high", claim, f"Fraud score {claim.fraud_score} waiting for review.", None)
    large = Decimal(settings.CLAIM_LARGE_RESERVE)
    for claim in scope.filter(status__in=OPEN_CLAIM_STATUSES, reserve_amount__gte=large).order_by("-reserve_amount")[
        :limit
    ]:
        add("large_reserve", "medium", claim, f"Reserve of {claim.reserve_amount} {claim.currency}.", None)
    stale_cutoff = now - timedelta(days=settings.CLAIM_STALE_DAYS)
    for claim in scope.filter(status__in=OPEN_CLAIM_STATUSES, updated_at__lt=stale_cutoff).order_by("updated_at")[
        :limit
    ]:
        days = (now - claim.updated_at).days
        add("stale", "medium", claim, f"No change for {days} days.", claim.updated_at.date())
    pending = (
        ClaimPayment.objects.filter(status=ClaimPayment.Status.PENDING_APPROVAL, claim__in=_scope(user).values("pk"))
        .select_related("claim")
        .order_by("created_at")[:limit]
    )
    for payment in pending:
        add(
            "payment_approval",
            "medium",
            payment.claim,
            f"Payment of {payment.amount} {payment.currency} to {payment.payee_name} waiting for approval.",
            payment.created_at.date(),
        )
    rank = {"high": 0, "medium": 1}
    return sorted(alerts, key=lambda a: (rank[a["severity"]], a["since"] or ""))[:limit]


@dashboard_figure(shared_by=WHOLE_BOOK)  # admins and managers see every claim
def dashboard_claims(*, user: User) -> dict:
    """Overview: counts by status, priority and type; open claims by age since reported."""
    scope = _scope(user)
    by_status = dict(scope.values("status").annotate(n=Count("id")).values_list("status", "n"))
    open_scope = scope.filter(status__in=OPEN_CLAIM_STATUSES)
    by_priority = dict(open_scope.values("priority").annotate(n=Count("id")).values_list("priority", "n"))
    by_type = dict(open_scope.values("claim_type").annotate(n=Count("id")).values_list("claim_type", "n"))
    today = timezone.localdate()
    buckets = open_scope.aggregate(
        d7=Count("id", filter=Q(reported_date__gte=today - timedelta(days=7))),
        d30=Count("id", filter=Q(reported_date__lt=_ago(today, 7), reported_date__gte=_ago(today, 30))),
        d90=Count("id", filter=Q(reported_date__lt=_ago(today, 30), reported_date__gte=_ago(today, 90))),
        older=Count("id", filter=Q(reported_date__lt=today - timedelta(days=90))),
    )
    return {
        "byStatus": {status: by_status.get(status, 0) for status in S.values},
        "openByPriority": by_priority,
        "openByType": by_type,
        "openByAge": {"0-7": buckets["d7"], "8-30": buckets["d30"], "31-90": buckets["d90"], "90+": buckets["older"]},
    }


@dashboard_figure
def dashboard_assessments(*, user: User) -> dict:
    """Progress: assessments by status, average completion of the open ones, total-loss recommendations,
    inspections overdue (scheduled in the past, not started)."""
    scope = assessments_visible_to(user).select_related(None).order_by()
    figures = scope.aggregate(
        scheduled=Count("id", filter=Q(status=AssessmentStatus.SCHEDULED)),
        in_progress=Count("id", filter=Q(status=AssessmentStatus.IN_PROGRESS)),
        completed=Count("id", filter=Q(status=AssessmentStatus.COMPLETED)),
        cancelled=Count("id", filter=Q(status=AssessmentStatus.CANCELLED)),
        avg_completion=Avg(
            "completion_percentage",
            filter=Q(status__in=(AssessmentStatus.SCHEDULED, AssessmentStatus.IN_PROGRESS)),
        ),
        total_loss=Count("id", filter=Q(total_loss_recommendation=True)),
        overdue=Count("id", filter=Q(status=AssessmentStatus.SCHEDULED, scheduled_for__lt=timezone.now())),
    )
    recent = list(
        scope.filter(status__in=(AssessmentStatus.SCHEDULED, AssessmentStatus.IN_PROGRESS))
        .order_by("-updated_at")
        .values("id", "claim__claim_number", "status", "completion_percentage", "overall_severity")[:10]
    )
    return {
        "byStatus": {
            "scheduled": figures["scheduled"],
            "in_progress": figures["in_progress"],
            "completed": figures["completed"],
            "cancelled": figures["cancelled"],
        },
        "avgCompletionOpen": round(figures["avg_completion"] or 0, 1),
        "totalLossRecommended": figures["total_loss"],
        "overdueInspections": figures["overdue"],
        "inProgress": [
            {
                "id": a["id"],
                "claimNumber": a["claim__claim_number"],
                "status": a["status"],
                "completion": a["completion_percentage"],
                "severity": a["overall_severity"],
            }
            for a in recent
        ],
    }
