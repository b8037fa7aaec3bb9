"""Seed 003 renewal dashboards: stats, daily trends and per-batch status, each a handful of SQL aggregates over
the cases the asking user can see (agents: their own), filtered by period, product line and case status."""

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Count, DecimalField, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from apps.accounts.models import User
from apps.core.figures import WHOLE_BOOK, dashboard_figure, money_figure

from .models import CLOSED_STATUSES, CaseStatus, PaymentStatus, RenewalCase, UploadBatch
from .selectors import cases_visible_parts

S = CaseStatus
RESOLVED = CLOSED_STATUSES
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


def _scopes(user: User, *, policy_type: str = "all", case_status: str = "all") -> list[QuerySet[RenewalCase]]:
    """The cases the user can see, filtered, as disjoint querysets: figures are summed over them."""
    parts = []
    for qs in cases_visible_parts(user):
        qs = qs.order_by()
        if policy_type != "all":
            qs = qs.filter(policy_type=policy_type)
        if case_status != "all":
            qs = qs.filter(status__in=CASE_STATUS_FILTERS[case_status])
        parts.append(qs)
    return parts


def _aggregate(parts: list[QuerySet], **aggregates) -> dict:
    totals: dict = {}
    for qs in parts:
        for key, value in qs.aggregate(**aggregates).items():
            totals[key] = totals.get(key, 0) + value
    return totals or dict.fromkeys(aggregates, 0)


def _per_day(parts: list[QuerySet], field: str, *keys: str) -> Counter:
    """Counts grouped by the local date of `field` (and `keys`), summed over the parts."""
    counts: Counter = Counter()
    for qs in parts:
        for row in qs.annotate(day=TruncDate(field)).values("day", *keys).annotate(n=Count("*")):
            counts[(row["day"], *(row[k] for k in keys))] += row["n"]
    return counts


def _created_in(period: Period) -> Q:
    return period.bounds("created_at")


@dashboard_figure(shared_by=WHOLE_BOOK)  # admins and managers see every case
def dashboard_stats(*, user: User, period: Period, policy_type: str = "all", case_status: str = "all") -> dict:
    """One aggregate query: counts by status and money collected/pending over the period's cases."""
    zero = Value(0, output_field=_MONEY)
    figures = _aggregate(
        [qs.filter(_created_in(period)) for qs in _scopes(user, policy_type=policy_type, case_status=case_status)],
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
    return {
        "totalCases": figures["total"],
        "inProgress": figures["in_progress"],
        "renewed": figures["renewed"],
        "pendingAction": figures["pending_action"],
        "errors": figures["errors"],
        "paymentCollected": money_figure(figures["collected"]),
        "paymentPending": money_figure(figures["pending"]),
    }


@dashboard_figure(shared_by=WHOLE_BOOK)  # admins and managers see every case
def dashboard_trends(*, user: User, period: Period, policy_type: str = "all", case_status: str = "all") -> list[dict]:
    """Per day: cases opened, cases renewed and the share of the cases closed that day that renewed. Two grouped
    queries (per visible part) whatever the length of the period: opened by `created_at`, closed by `closed_at`."""
    parts = _scopes(user, policy_type=policy_type, case_status=case_status)
    opened = _per_day([qs.filter(_created_in(period)) for qs in parts], "created_at")
    closed = _per_day([qs.filter(period.bounds("closed_at")) for qs in parts], "closed_at", "status")
    renewed = {day: n for (day, status), n in closed.items() if status == S.RENEWED}
    lost = Counter()
    for (day, status), n in closed.items():
        if status != S.RENEWED:
            lost[day] += n
    short = (period.end - period.start).days < 7
    rows = []
    for day in period.days():
        won, closed = renewed.get(day, 0), renewed.get(day, 0) + lost.get(day, 0)
        rows.append(
            {
                "name": day.strftime("%a") if short else day.strftime("%b %d"),
                "date": day.isoformat(),
                "newCases": opened.get((day,), 0),
                "renewals": won,
                "successRate": round(won / closed, 4) if closed else 0.0,
            }
        )
    return rows


@dashboard_figure
def dashboard_batch_status(
    *, user: User, period: Period, policy_type: str = "all", case_status: str = "all", limit: int = 20
) -> list[dict]:
    """The period's most recent batches with their cases by status and payments; two queries (three for an
    agent, whose visible cases come in two parts)."""
    batches = UploadBatch.objects.filter(period.bounds("created_at"))
    if policy_type != "all":
        batches = batches.filter(policy_type=policy_type)
    batches = list(batches.order_by("-created_at", "-id").values("id", "file_name", "status", "failed_records")[:limit])
    zero = Value(0, output_field=_MONEY)
    per_batch: dict[int, Counter] = {}
    for qs in _scopes(user, policy_type=policy_type, case_status=case_status):
        rows = (
            qs.filter(batch_id__in=[b["id"] for b in batches])
            .values("batch_id")
            .annotate(
                renewed=Count("id", filter=Q(status=S.RENEWED)),
                in_progress=Count("id", filter=Q(status=S.IN_PROGRESS)),
                pending=Count("id", filter=Q(status=S.NEW)),
                failed=Count("id", filter=Q(status__in=(S.FAILED, S.LAPSED, S.NOT_TAKEN))),
                received=Coalesce(Sum("renewal_amount", filter=Q(payment_status=PaymentStatus.COMPLETED)), zero),
                outstanding=Coalesce(Sum("renewal_amount", filter=_MONEY_PENDING), zero),
            )
        )
        for row in rows:
            per_batch.setdefault(row.pop("batch_id"), Counter()).update(row)
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
                "payment": {
                    "received": money_figure(row.get("received", 0)),
                    "pending": money_figure(row.get("outstanding", 0)),
                },
            }
        )
    return result
