"""Lead scoring that explains itself: points per factor, each with its reason, stored on the lead.

Five factors (issue 17): source, engagement, completeness, recency, product fit. Each has a ceiling; the total
is their sum (0-100). `lead_score()` is pure (it reads the lead and counts of its activities), so it is
recomputed whenever the lead or its activities change (apps.crm.services).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.utils import timezone

from .models import ActivityKind, Lead, LeadKind, LeadSource

SOURCE_POINTS = {
    LeadSource.REFERRAL: 25,
    LeadSource.QUOTE: 22,
    LeadSource.WEBSITE: 15,
    LeadSource.EVENT: 15,
    LeadSource.SOCIAL: 10,
    LeadSource.COLD_CALL: 6,
    LeadSource.IMPORT: 5,
    LeadSource.PURCHASED: 3,
    LeadSource.OTHER: 5,
}
# Two-way contact counts more than a note to self.
ENGAGEMENT_POINTS = {ActivityKind.MEETING: 10, ActivityKind.CALL: 7, ActivityKind.EMAIL: 4, ActivityKind.SMS: 3}
ENGAGEMENT_MAX = 25
RECENCY_STEPS = ((timedelta(days=7), 15), (timedelta(days=30), 8), (timedelta(days=90), 3))
HIGH_VALUE = Decimal("1000")


@dataclass(frozen=True)
class Factor:
    factor: str
    points: int
    max: int
    reason: str

    def as_dict(self) -> dict:
        # what dataclasses.asdict gives, without its recursive deep copy (a bulk import scores thousands of leads)
        return {"factor": self.factor, "points": self.points, "max": self.max, "reason": self.reason}


def _source(lead: Lead) -> Factor:
    points = SOURCE_POINTS.get(lead.source, 5)
    return Factor("source", points, 25, f"Source {lead.source}: {points} points.")


def _engagement(counts: dict[str, int]) -> Factor:
    raw = sum(ENGAGEMENT_POINTS.get(kind, 0) * n for kind, n in counts.items())
    points = min(raw, ENGAGEMENT_MAX)
    parts = [f"{n} {kind}" for kind, n in sorted(counts.items()) if n and kind in ENGAGEMENT_POINTS]
    reason = ("Contact so far: " + ", ".join(parts) + ".") if parts else "No calls, emails or meetings yet."
    return Factor("engagement", points, ENGAGEMENT_MAX, reason)


def _completeness(lead: Lead) -> Factor:
    wanted = {"email": bool(lead.email), "phone": bool(lead.phone), "city": bool(lead.city)}
    if lead.kind == LeadKind.CLIENT:
        wanted["product interest"] = lead.product_interest_id is not None
        wanted["estimated value"] = lead.estimated_value is not None
    else:
        wanted["experience"] = lead.years_experience is not None
    have = [name for name, ok in wanted.items() if ok]
    missing = [name for name, ok in wanted.items() if not ok]
    points = round(15 * len(have) / len(wanted))
    reason = f"Has {', '.join(have) or 'no contact details'}" + (f"; missing {', '.join(missing)}." if missing else ".")
    return Factor("completeness", points, 15, reason)


def _recency(lead: Lead, now: datetime) -> Factor:
    last = lead.last_activity_at or lead.created_at or now
    age = now - last
    for limit, points in RECENCY_STEPS:
        if age <= limit:
            return Factor("recency", points, 15, f"Last touched {age.days} days ago (within {limit.days}).")
    return Factor("recency", 0, 15, f"Last touched {age.days} days ago.")


def _fit(lead: Lead) -> Factor:
    if lead.kind == LeadKind.CLIENT:
        points, reasons = 0, []
        if lead.product_interest_id is not None:
            points += 10
            reasons.append("interested in a line we sell")
        if lead.estimated_value is not None and lead.estimated_value >= HIGH_VALUE:
            points += 10
            reasons.append(f"expected premium {lead.estimated_value} ≥ {HIGH_VALUE}")
        return Factor("product_fit", points, 20, ("Fit: " + "; ".join(reasons) + ".") if reasons else "No fit shown.")
    points, reasons = 0, []
    if lead.licensed:
        points += 12
        reasons.append("already licensed")
    if (lead.years_experience or 0) >= 2:
        points += 8
        reasons.append(f"{lead.years_experience} years in insurance sales")
    return Factor("product_fit", points, 20, ("Fit: " + "; ".join(reasons) + ".") if reasons else "No fit shown.")


def lead_score(lead: Lead, activity_counts: dict[str, int], *, now: datetime | None = None) -> tuple[int, list[dict]]:
    """(total 0-100, breakdown) for the lead with these activity counts by kind."""
    now = now or timezone.now()
    factors = [_source(lead), _engagement(activity_counts), _completeness(lead), _recency(lead, now), _fit(lead)]
    total = min(100, sum(f.points for f in factors))
    return total, [f.as_dict() for f in factors]
