"""Seed 003 renewal dashboards: stats, daily trends and per-batch status, each a handful of SQL aggregates over
the cases the asking user can see (agents: their own), filtered by period, product line and case status."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Count, DecimalField, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from apps.accounts.models import User

from .models import CaseStatus, PaymentStatus, RenewalCase, UploadBatch
from .selectors import cases_visible_to

S = CaseStatus
RESOLVED = (S.RENEWED, S.NOT_TAKEN, S.LAPSED)
CASE_STATUS_FILTERS = {"new": (S.NEW,), "in_progress": (S.IN_PROGRESS,), "resolved": RESOLVED}
_MONEY = DecimalField(max_digits=14, decimal_places=2)
# Money still to come: unpaid or part-paid cases that are still open (a lapsed case's premium is not pending).
_MONEY_PENDING = Q(payment_status__in=(PaymentStatus.PENDING, PaymentStatus.PARTIAL), status__in=(S.NEW, S.IN_PROGRESS))


@dataclass(frozen=True)
class Period:
    """Cases created from `start` to `end` inclusive (local dates)."""

    start: date
    end: date

    @classmethod
    def from_params(cls, date_range: str, start_date: date | None, end_date: date | None) -> "Period":
        today = timezone.localdate()
        if date_range == "custom":
            return cls(start_date, end_date)
        return cls(today - timedelta(days=6 if date_range == "week" else 29), today)

    def bounds(self, field: str) -> Q:
        """`field` within the period as a timestamp range (sargable: the index on `field` is used, which
        `field__date` — a cast per row — would prevent)."""
        tz = timezone.get_current_timezone()
        start = datetime.combine(self.start, time.min, tzinfo=tz)
        end = datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=tz)
        return Q(**{f"{field}__gte": start, f"{field}__lt": end})

    def days(self) -> list[date]:
        return [self.start + timedelta(days=n) for n in range((self.end - self.start).days + 1)]


def _scope(user: User, *, policy_type: str = "all", case_status: str = "all") -> QuerySet[RenewalCase]:
    qs = cases_visible_to(user).select_related(None).order_by()
    if policy_type != "all":
        qs = qs.filter(policy__policy_type=policy_type)
    if case_status != "all":
        qs = qs.filter(status__in=CASE_STATUS_FILTERS[case_status])
    return qs


def _created_in(period: Period) -> Q:
    return period.bounds("created_at")


def dashboard_stats(*, user: User, period: Period, policy_type: str = "all", case_status: str = "all") -> dict:
    """One aggregate query: counts by status and money collected/pending over the period's cases."""
    zero = Value(0, output_field=_MONEY)
    figures = (
        _scope(user, policy_type=policy_type, case_status=case_status)
        .filter(_created_in(period))
        .aggregate(
            total=Count("*"),
            in_progress=Count("id", filter=Q(status=S.IN_PROGRESS)),
            renewed=Count("id", filter=Q(status=S.RENEWED)),
            pending_action=Count("id", filter=Q(status=S.NEW)),
            errors=Count("id", filter=Q(status=S.FAILED)),
            collected=Coalesce(Sum("renewal_amount", filter=Q(payment_status=PaymentStatus.COMPLETED)), zero),
            pending=Coalesce(
                Sum("renewal_amount", filter=_MONEY_PENDING),
                zero,
            ),
        )
    )
    return {
        "totalCases": figures["total"],
        "inProgress": figures["in_progress"],
        "renewed": figures["renewed"],
        "pendingAction": figures["pending_action"],
        "errors": figures["errors"],
        "paymentCollected": str(figures["collected"]),
        "paymentPending": str(figures["pending"]),
    }


def dashboard_trends(*, user: User, period: Period, policy_type: str = "all", case_status: str = "all") -> list[dict]:
    """Per day: cases opened, cases renewed (the day the next term was issued) and the share of the cases closed
    that day that renewed. Three grouped queries whatever the length of the period."""
    scope = _scope(user, policy_type=policy_type, case_status=case_status)
    opened = dict(
        scope.filter(_created_in(period))
        .annotate(day=TruncDate("created_at"))
        .values("day")
        .annotate(n=Count("*"))
        .values_list("day", "n")
    )
    renewed = dict(
        scope.filter(period.bounds("renewed_policy__created_at"), status=S.RENEWED)
        .annotate(day=TruncDate("renewed_policy__created_at"))
        .values("day")
        .annotate(n=Count("*"))
        .values_list("day", "n")
    )
    lost = dict(
        scope.filter(period.bounds("updated_at"), status__in=(S.NOT_TAKEN, S.LAPSED))
        .annotate(day=TruncDate("updated_at"))
        .values("day")
        .annotate(n=Count("*"))
        .values_list("day", "n")
    )
    short = (period.end - period.start).days < 7
    rows = []
    for day in period.days():
        won, closed = renewed.get(day, 0), renewed.get(day, 0) + lost.get(day, 0)
        rows.append(
            {
                "name": day.strftime("%a") if short else day.strftime("%b %d"),
                "date": day.isoformat(),
                "newCases": opened.get(day, 0),
                "renewals": won,
                "successRate": round(won / closed, 4) if closed else 0.0,
            }
        )
    return rows


def dashboard_batch_status(
    *, user: User, period: Period, policy_type: str = "all", case_status: str = "all", limit: int = 20
) -> list[dict]:
    """The period's most recent batches with their cases by status and payments; two queries."""
    batches = UploadBatch.objects.filter(period.bounds("created_at"))
    if policy_type != "all":
        batches = batches.filter(policy_type=policy_type)
    batches = list(batches.order_by("-created_at", "-id").values("id", "file_name", "status", "failed_records")[:limit])
    zero = Value(0, output_field=_MONEY)
    per_batch = {
        row["batch_id"]: row
        for row in _scope(user, policy_type=policy_type, case_status=case_status)
        .filter(batch_id__in=[b["id"] for b in batches])
        .values("batch_id")
        .annotate(
            renewed=Count("id", filter=Q(status=S.RENEWED)),
            in_progress=Count("id", filter=Q(status=S.IN_PROGRESS)),
            pending=Count("id", filter=Q(status=S.NEW)),
            failed=Count("id", filter=Q(status__in=(S.FAILED, S.LAPSED, S.NOT_TAKEN))),
            received=Coalesce(Sum("renewal_amount", filter=Q(payment_status=PaymentStatus.COMPLETED)), zero),
            outstanding=Coalesce(
                Sum("renewal_amount", filter=_MONEY_PENDING),
                zero,
            ),
        )
    }
    result = []
    for batch in batches:
        row = per_batch.get(batch["id"], {})
        result.append(
            {
                "id": batch["id"],
                "fileName": batch["file_name"],
                "batchStatus": batch["status"],
                "status": {
                    "renewed": row.get("renewed", 0),
                    "inProgress": row.get("in_progress", 0),
                    "pending": row.get("pending", 0),
                    "failed": row.get("failed", 0) + batch["failed_records"],
                },
                "payment": {"received": str(row.get("received", 0)), "pending": str(row.get("outstanding", 0))},
            }
        )
    return result
