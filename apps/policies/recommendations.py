"""Product recommendations for one customer (seed 002 unique #1): deterministic scores with reasons.

Signals, each explained in the answer:
- eligibility: products the customer cannot buy (age, region) are never recommended;
- gaps in cover: lines the customer holds nothing in, weighted by how essential the line is;
- co-ownership: of the customers who hold the same lines as this one, the share who also hold the product;
- profile: a driver without motor cover, age bands for health and life;
- the relationship ("previous interactions"), over the last RELATIONSHIP_DAYS: what the customer told us
  (interactions that mention a line), what they priced (stored quotes), and what the higher apps know through the
  `recommendations.relationship` hook — the CRM's deals in progress (up), deals declined (down, hidden when the
  total falls to nothing) and activities that mention a line. Each source counts once per line or product (its
  latest), so ten notes about home cover weigh what one does.
Lives here (not in catalog) because it reads holdings, which are policies.
"""

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from django.db.models import Count
from django.utils import timezone

from apps.catalog.models import Product, ProductLine, Quote
from apps.catalog.rating import check_eligibility
from apps.catalog.services import age_on
from apps.customers.models import Customer, Interaction

from .hooks import recommendation_signals
from .models import Policy, PolicyStatus

HELD = (PolicyStatus.ACTIVE, PolicyStatus.QUOTED)
GAP_WEIGHT = {
    "home": Decimal("2.0"),
    "health": Decimal("1.5"),
    "life": Decimal("1.0"),
    "auto": Decimal("1.0"),
    "travel": Decimal("0.5"),
}
CO_OWNERSHIP_WEIGHT = Decimal("3.0")
RELATIONSHIP_DAYS = 365
INTERACTION_POINTS = Decimal("1.0")
QUOTE_POINTS = Decimal("1.5")
# Words that name a line in free text (a note, a call summary), besides the line's own code and name.
LINE_WORDS = {
    "auto": ("car", "cars", "motor", "vehicle", "driving", "driver"),
    "home": ("house", "flat", "apartment", "property", "household", "contents"),
    "health": ("medical", "hospital", "dental", "doctor"),
    "life": ("life insurance", "mortgage protection", "family protection"),
    "travel": ("trip", "holiday", "holidays", "travelling", "traveling"),
}


@dataclass
class Signal:
    """One thing the relationship says about a line (`line`, a ProductLine code) or one product (`product`)."""

    points: Decimal
    reason: str
    source: str
    line: str = ""
    product: str = ""
    at: datetime | None = None


@dataclass
class Recommendation:
    product: Product
    score: Decimal = Decimal("0")
    reasons: list[str] = field(default_factory=list)
    signals: list[Signal] = field(default_factory=list)


def line_patterns(lines) -> dict[str, re.Pattern]:
    """A whole-word pattern per line code: its code, its name and LINE_WORDS."""
    patterns = {}
    for line in lines:
        words = {line.code.lower(), line.name.lower(), *LINE_WORDS.get(line.code, ())}
        alternatives = "|".join(sorted((re.escape(w) for w in words if w), key=len, reverse=True))
        patterns[line.code] = re.compile(rf"\b(?:{alternatives})\b", re.IGNORECASE)
    return patterns


def mentioned_lines(text: str, patterns: dict[str, re.Pattern]) -> list[str]:
    return [code for code, pattern in patterns.items() if pattern.search(text or "")]


def _day(moment: datetime) -> str:
    return f"{timezone.localtime(moment):%d %b %Y}"


def relationship_signals(customer: Customer, *, lines, since: datetime) -> list[Signal]:
    """The relationship's signals: interactions and quotes here, the rest from the hook's providers."""
    patterns = line_patterns(lines)
    names = {line.code: line.name.lower() for line in lines}
    signals: list[Signal] = []
    interactions = (
        Interaction.objects.filter(customer=customer, occurred_at__gte=since)
        .only("type", "summary", "occurred_at")
        .order_by("-occurred_at")[:200]
    )
    for interaction in interactions:
        for code in mentioned_lines(interaction.summary, patterns):
            signals.append(
                Signal(
                    INTERACTION_POINTS,
                    f"You talked to us about {names[code]} cover on {_day(interaction.occurred_at)} "
                    f"({interaction.get_type_display().lower()}).",
                    "interaction",
                    line=code,
                    at=interaction.occurred_at,
                )
            )
    for quote in Quote.objects.filter(customer=customer, created_at__gte=since).select_related("product")[:50]:
        signals.append(
            Signal(
                QUOTE_POINTS,
                f"You priced {quote.product.name} on {_day(quote.created_at)}.",
                "quote",
                product=quote.product.code,
                at=quote.created_at,
            )
        )
    for provider in recommendation_signals.providers():
        signals.extend(provider(customer=customer, since=since))
    return signals


EPOCH = datetime.min.replace(tzinfo=UTC)


def _latest_per_target(signals: list[Signal]) -> list[Signal]:
    """One signal per (source, line, product): the latest; a later one of the same kind says the same thing."""
    kept: dict[tuple, Signal] = {}
    for signal in signals:
        key = (signal.source, signal.line, signal.product)
        current = kept.get(key)
        if current is None or (signal.at or EPOCH) > (current.at or EPOCH):
            kept[key] = signal
    return list(kept.values())


def recommend(customer: Customer, *, limit: int = 5, today: date | None = None) -> list[Recommendation]:
    today = today or date.today()
    age = age_on(customer.date_of_birth, today) if customer.date_of_birth else None
    region = (customer.address or {}).get("region")
    held = Policy.objects.filter(customer=customer, status__in=HELD)
    held_lines = set(held.values_list("policy_type", flat=True))
    held_products = set(held.values_list("product_id", flat=True))

    # Customers like this one: they hold at least one of the same lines.
    peers = (
        Customer.objects.filter(policies__status__in=HELD, policies__policy_type__in=held_lines)
        .exclude(pk=customer.pk)
        .distinct()
        if held_lines
        else Customer.objects.none()
    )
    peer_count = peers.count()
    co_owned = {}
    if peer_count:
        co_owned = dict(
            Policy.objects.filter(customer__in=peers, status__in=HELD)
            .values("product_id")
            .annotate(n=Count("customer", distinct=True))
            .values_list("product_id", "n")
        )

    since = timezone.now() - timedelta(days=RELATIONSHIP_DAYS)
    signals = _latest_per_target(relationship_signals(customer, lines=list(ProductLine.objects.all()), since=since))

    results = []
    for product in Product.objects.filter(is_active=True).select_related("line").exclude(pk__in=held_products):
        # Rule out on what we know; an unknown age or region does not exclude (the quote will ask for it).
        if [p for p in check_eligibility(product, age=age, region=region) if "required" not in p]:
            continue
        rec = Recommendation(product=product)
        line = product.line.code
        if line not in held_lines:
            weight = GAP_WEIGHT.get(line, Decimal("0.5"))
            rec.score += weight
            rec.reasons.append(f"You have no {product.line.name.lower()} cover yet.")
        if peer_count and co_owned.get(product.pk):
            share = Decimal(co_owned[product.pk]) / Decimal(peer_count)
            rec.score += CO_OWNERSHIP_WEIGHT * share
            rec.reasons.append(f"{co_owned[product.pk]} of {peer_count} customers with similar cover hold it.")
        if line == "health" and age is not None and age >= 40:
            rec.score += Decimal("0.5")
            rec.reasons.append("Health cover matters more from 40.")
        if line == "life" and age is not None and 25 <= age <= 55:
            rec.score += Decimal("0.5")
            rec.reasons.append("Life cover protects a household during working years.")
        for signal in signals:
            if signal.product == product.code or (signal.line == line and not signal.product):
                rec.score += signal.points
                rec.reasons.append(signal.reason)
                rec.signals.append(signal)
        if rec.score > 0:
            rec.score = rec.score.quantize(Decimal("0.001"))
            results.append(rec)
    results.sort(key=lambda r: (-r.score, r.product.code))
    return results[:limit]
