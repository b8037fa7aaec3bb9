"""Audience segments as data (seed 003 `target_audience`), compiled to one query over customers.

    {"policy_types": ["auto", "health"], "renewal_window": "30_days", "regions": ["north", "south"],
     "products": ["auto-plus"], "tenure_years_min": 2, "claims_max": 0, "claims_within_days": 365,
     "lead_statuses": ["Quoted"], "consented_only": true, "agent_ids": [7], "customer_ids": [1, 2]}

Every key is optional and they combine with AND. Policy keys (`policy_types`, `products`, `renewal_window`) must
hold for the same active policy. `regions` match the customer's address region or city (case-insensitive).
`tenure_years_min/max`: years since the customer's first policy started. `claims_min/max`: claims reported in the
last `claims_within_days` (365). `lead_statuses`: the status of the CRM lead the customer was converted from.
`consented_only`: a marketing grant (the latest ledger entry) on one of the campaign's channels.

Suppression by situation (a business decision the issue states): unless the campaign is a service message,
customers with an open complaint ticket or a disputed claim (reopened, or rejected in the last 90 days) are left
out. Erased and deleted customers never match.
"""

import re
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db.models import Count, Exists, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce, Lower
from django.utils import timezone

from apps.claims.models import Claim
from apps.crm.models import Lead
from apps.customers.models import Customer
from apps.messaging.models import ConsentRecord
from apps.policies.models import Policy
from apps.support.models import DONE_STATUSES, Ticket

LIST_KEYS = ("policy_types", "regions", "products", "lead_statuses")
ID_KEYS = ("agent_ids", "customer_ids")
INT_KEYS = ("tenure_years_min", "tenure_years_max", "claims_min", "claims_max", "claims_within_days")
KNOWN = (*LIST_KEYS, *ID_KEYS, *INT_KEYS, "renewal_window", "consented_only")
WINDOW = re.compile(r"^(\d{1,3})_days$")
DISPUTE_DAYS = 90


def audience_validate(spec) -> dict:
    """The audience spec cleaned, or ValidationError naming each bad key (`target_audience.<key>`)."""
    if spec in (None, ""):
        return {}
    if not isinstance(spec, dict):
        raise ValidationError({"target_audience": ["An object of filters."]})
    errors: dict[str, list[str]] = {}
    clean: dict = {}
    for key, value in spec.items():
        field = f"target_audience.{key}"
        if key not in KNOWN:
            errors[field] = [f"Unknown filter. Known: {', '.join(KNOWN)}."]
        elif key in LIST_KEYS:
            if not isinstance(value, list) or not all(isinstance(v, str) and 0 < len(v) <= 100 for v in value):
                errors[field] = ["A list of names."]
            elif value:
                clean[key] = sorted({v.strip() for v in value})
        elif key in ID_KEYS:
            if not isinstance(value, list) or not all(type(v) is int and 0 < v < 2**63 for v in value):
                errors[field] = ["A list of ids."]
            elif value:
                clean[key] = sorted(set(value))
        elif key in INT_KEYS:
            if type(value) is not int or not 0 <= value <= 100_000:
                errors[field] = ["A whole number from 0."]
            else:
                clean[key] = value
        elif key == "renewal_window":
            match = WINDOW.match(str(value)) if isinstance(value, str) else None
            if match is None or not 1 <= int(match.group(1)) <= 366:
                errors[field] = ['Like "30_days" (1 to 366 days).']
            else:
                clean[key] = value
        elif key == "consented_only":
            if not isinstance(value, bool):
                errors[field] = ["true or false."]
            elif value:
                clean[key] = True
    if errors:
        raise ValidationError(errors)
    return clean


def audience_queryset(spec: dict, *, channels: list[str], purpose: str = "marketing") -> QuerySet[Customer]:
    """The customers the (validated) spec selects: one SQL statement (filters are EXISTS / scalar subqueries)."""
    today = timezone.localdate()
    qs = Customer.objects.filter(erased_at__isnull=True)
    if spec.get("customer_ids"):
        qs = qs.filter(pk__in=spec["customer_ids"])
    if spec.get("agent_ids"):
        qs = qs.filter(agent_id__in=spec["agent_ids"])
    if spec.get("regions"):
        regions = [r.lower() for r in spec["regions"]]
        qs = qs.annotate(_region=Lower("address__region"), _city=Lower("address__city")).filter(
            Q(_region__in=regions) | Q(_city__in=regions)
        )
    policy_filter = Q()
    if spec.get("policy_types"):
        policy_filter &= Q(policy_type__in=spec["policy_types"])
    if spec.get("products"):
        policy_filter &= Q(product__code__in=spec["products"])
    if spec.get("renewal_window"):
        days = int(WINDOW.match(spec["renewal_window"]).group(1))  # type: ignore[union-attr]
        policy_filter &= Q(renews__gte=today, renews__lte=today + timedelta(days=days))
    if policy_filter:
        policies = Policy.objects.annotate(renews=Coalesce("renewal_date", "end_date")).filter(
            policy_filter, customer=OuterRef("pk"), status="active"
        )
        qs = qs.filter(Exists(policies))
    if "tenure_years_min" in spec:
        cutoff = today - timedelta(days=round(365.25 * spec["tenure_years_min"]))
        qs = qs.filter(Exists(Policy.objects.filter(customer=OuterRef("pk"), start_date__lte=cutoff)))
    if "tenure_years_max" in spec:
        cutoff = today - timedelta(days=round(365.25 * spec["tenure_years_max"]))
        qs = qs.exclude(Exists(Policy.objects.filter(customer=OuterRef("pk"), start_date__lt=cutoff)))
    if "claims_min" in spec or "claims_max" in spec:
        since = today - timedelta(days=spec.get("claims_within_days", 365))
        counted = (
            Claim.objects.filter(customer=OuterRef("pk"), reported_date__gte=since)
            .order_by()
            .values("customer")
            .annotate(n=Count("pk"))
            .values("n")
        )
        qs = qs.annotate(_claims=Coalesce(Subquery(counted, output_field=IntegerField()), Value(0)))
        if "claims_min" in spec:
            qs = qs.filter(_claims__gte=spec["claims_min"])
        if "claims_max" in spec:
            qs = qs.filter(_claims__lte=spec["claims_max"])
    if spec.get("lead_statuses"):
        qs = qs.filter(Exists(Lead.objects.filter(converted_customer=OuterRef("pk"), status__in=spec["lead_statuses"])))
    if spec.get("consented_only"):
        latest = ConsentRecord.objects.filter(
            customer=OuterRef("customer"), channel=OuterRef("channel"), purpose=OuterRef("purpose")
        ).order_by("-recorded_at", "-id")
        granted = ConsentRecord.objects.filter(
            customer=OuterRef("pk"), channel__in=channels, purpose="marketing", granted=True
        ).filter(pk=Subquery(latest.values("pk")[:1]))
        qs = qs.filter(Exists(granted))
    if purpose != "service":
        complaints = Ticket.objects.filter(customer=OuterRef("pk"), category="complaint").exclude(
            status__in=DONE_STATUSES
        )
        qs = qs.exclude(Exists(complaints))
        disputed = Claim.objects.filter(customer=OuterRef("pk")).filter(
            Q(status="reopened") | Q(status="rejected", updated_at__gte=timezone.now() - timedelta(days=DISPUTE_DAYS))
        )
        qs = qs.exclude(Exists(disputed))
    return qs


def audience_preview(spec: dict, *, channels: list[str], purpose: str = "marketing", sample: int = 10) -> dict:
    """How many customers the audience selects now, and a sample of them (id, code, name)."""
    qs = audience_queryset(spec, channels=channels, purpose=purpose)
    rows = list(qs.order_by("pk").values("pk", "customer_code", "first_name", "last_name")[:sample])
    return {
        "count": qs.count(),
        "sample": [
            {"id": r["pk"], "customer_code": r["customer_code"], "name": f"{r['first_name']} {r['last_name']}".strip()}
            for r in rows
        ],
    }
