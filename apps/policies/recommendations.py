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

from django.db import connection
from django.db.models import Count, F, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from apps.catalog.models import Product, ProductLine, Quote
from apps.catalog.rating import check_eligibility
from apps.catalog.services import age_on
from apps.customers.models import Customer, Interaction

from .hooks import recommendation_signals, recommendation_signals_many
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


def _interaction_signals(interaction, patterns, names) -> list[Signal]:
    return [
        Signal(
            INTERACTION_POINTS,
            f"You talked to us about {names[code]} cover on {_day(interaction.occurred_at)} "
            f"({interaction.get_type_display().lower()}).",
            "interaction",
            line=code,
            at=interaction.occurred_at,
        )
        for code in mentioned_lines(interaction.summary, patterns)
    ]


def _quote_signal(quote) -> Signal:
    return Signal(
        QUOTE_POINTS,
        f"You priced {quote.product.name} on {_day(quote.created_at)}.",
        "quote",
        product=quote.product.code,
        at=quote.created_at,
    )


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
        signals.extend(_interaction_signals(interaction, patterns, names))
    for quote in Quote.objects.filter(customer=customer, created_at__gte=since).select_related("product")[:50]:
        signals.append(_quote_signal(quote))
    for provider in recommendation_signals.providers():
        signals.extend(provider(customer=customer, since=since))
    return signals


def latest_per_customer(queryset, *, per_customer: int, order_by, customer_field: str = "customer_id"):
    """`queryset` cut to each customer's first `per_customer` rows in `order_by` (a window, not a query apiece),
    ordered by customer then `order_by`: what `filter(customer=...).order_by(...)[:n]` gives for one."""
    ranked = queryset.annotate(_rank=Window(RowNumber(), partition_by=[F(customer_field)], order_by=order_by)).filter(
        _rank__lte=per_customer
    )
    return ranked.order_by(customer_field, *order_by)


def relationship_signals_many(customers: list[Customer], *, lines, since: datetime) -> dict[int, list[Signal]]:
    """`relationship_signals` for many customers at once: a query per source for all of them (the hook's
    `recommendations.relationship_many` providers for the higher apps), each customer's signals in the same order
    as the one-customer function gives them."""
    patterns = line_patterns(lines)
    names = {line.code: line.name.lower() for line in lines}
    ids = [customer.pk for customer in customers]
    signals: dict[int, list[Signal]] = {pk: [] for pk in ids}
    interactions = latest_per_customer(
        Interaction.objects.filter(customer_id__in=ids, occurred_at__gte=since).only(
            "customer_id", "type", "summary", "occurred_at"
        ),
        per_customer=200,
        order_by=[F("occurred_at").desc()],
    )
    for interaction in interactions:
        signals[interaction.customer_id].extend(_interaction_signals(interaction, patterns, names))
    quotes = latest_per_customer(
        Quote.objects.filter(customer_id__in=ids, created_at__gte=since).select_related("product"),
        per_customer=50,
        order_by=[F("created_at").desc(), F("id").desc()],
    )
    for quote in quotes:
        signals[quote.customer_id].append(_quote_signal(quote))
    for provider in recommendation_signals_many.providers():
        for pk, found in provider(customers=customers, since=since).items():
            signals[pk].extend(found)
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


@dataclass
class Standing:
    """What the scores need to know of one customer besides the relationship's signals."""

    age: int | None
    region: str | None
    held_lines: set[str]
    held_products: set[int]
    peer_count: int = 0
    co_owned: dict[int, int] = field(default_factory=dict)


def _standing(customer: Customer, today: date, held_lines: set[str], held_products: set[int]) -> Standing:
    return Standing(
        age=age_on(customer.date_of_birth, today) if customer.date_of_birth else None,
        region=(customer.address or {}).get("region"),
        held_lines=held_lines,
        held_products=held_products,
    )


def _scored(products: list[Product], standing: Standing, signals: list[Signal], limit: int) -> list[Recommendation]:
    """The recommendations for one customer, best first: the scoring both `recommend` and `recommend_many` use."""
    age, region, held_lines, peer_count, co_owned = (
        standing.age,
        standing.region,
        standing.held_lines,
        standing.peer_count,
        standing.co_owned,
    )
    results = []
    for product in products:
        if product.pk in standing.held_products:
            continue
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


def _active_products() -> list[Product]:
    return list(Product.objects.filter(is_active=True).select_related("line").order_by("pk"))


def recommend(customer: Customer, *, limit: int = 5, today: date | None = None) -> list[Recommendation]:
    today = today or date.today()
    held = Policy.objects.filter(customer=customer, status__in=HELD)
    standing = _standing(
        customer,
        today,
        set(held.values_list("policy_type", flat=True)),
        set(held.values_list("product_id", flat=True)),
    )
    # Customers like this one: they hold at least one of the same lines.
    peers = (
        Customer.objects.filter(policies__status__in=HELD, policies__policy_type__in=standing.held_lines)
        .exclude(pk=customer.pk)
        .distinct()
        if standing.held_lines
        else Customer.objects.none()
    )
    standing.peer_count = peers.count()
    if standing.peer_count:
        standing.co_owned = dict(
            Policy.objects.filter(customer__in=peers, status__in=HELD)
            .values("product_id")
            .annotate(n=Count("customer", distinct=True))
            .values_list("product_id", "n")
        )

    since = timezone.now() - timedelta(days=RELATIONSHIP_DAYS)
    signals = _latest_per_target(relationship_signals(customer, lines=list(ProductLine.objects.all()), since=since))
    return _scored(_active_products(), standing, signals, limit)


# Customers per set of lines held, and per set and product: who holds the same lines as whom, for every customer
# in one pass over the held policies (the peers `recommend` counts one customer at a time).
_HOLDINGS_SQL = """
WITH holdings AS (
    SELECT customer_id,
           array_agg(DISTINCT policy_type ORDER BY policy_type) AS lines,
           array_agg(DISTINCT product_id) AS products
      FROM policies_policy
     WHERE status = ANY(%s)
     GROUP BY customer_id
)
SELECT lines, NULL::bigint, count(*) FROM holdings GROUP BY lines
UNION ALL
SELECT lines, product_id, count(*) FROM holdings, unnest(products) AS product_id GROUP BY lines, product_id
"""


class Peers:
    """`recommend`'s peers (customers holding at least one of the same lines, the customer aside) and what they
    hold, for any set of lines, from the holdings of everyone counted once."""

    def __init__(self) -> None:
        self.customers: dict[frozenset, int] = {}
        self.products: dict[frozenset, dict[int, int]] = {}
        self._answers: dict[frozenset, tuple[int, dict[int, int]]] = {}
        with connection.cursor() as cursor:
            cursor.execute(_HOLDINGS_SQL, [list(HELD)])
            for lines, product_id, n in cursor.fetchall():
                key = frozenset(lines)
                if product_id is None:
                    self.customers[key] = n
                else:
                    self.products.setdefault(key, {})[product_id] = n

    def of(self, held_lines: set[str]) -> tuple[int, dict[int, int]]:
        """(peer count, {product id: peers holding it}) for a customer who holds `held_lines` (not empty): they
        are among the holders counted, so one less; they hold none of the products recommended to them, so
        those counts stand."""
        key = frozenset(held_lines)
        if key not in self._answers:
            count, co_owned = 0, {}
            for lines, n in self.customers.items():
                if lines & key:
                    count += n
                    for product_id, m in self.products.get(lines, {}).items():
                        co_owned[product_id] = co_owned.get(product_id, 0) + m
            self._answers[key] = (count - 1, co_owned)
        return self._answers[key]


def recommend_many(
    customers: list[Customer], *, limit: int = 5, today: date | None = None, peers: Peers | None = None
) -> dict[int, list[Recommendation]]:
    """`recommend` for many customers at once (the CRM's daily cross-sell): the same scores and reasons, from a
    handful of queries for all of them — the holdings, everyone's peers in one aggregate, each relationship
    source in one windowed query — rather than a dozen per customer."""
    today = today or date.today()
    held_lines: dict[int, set[str]] = {customer.pk: set() for customer in customers}
    held_products: dict[int, set[int]] = {customer.pk: set() for customer in customers}
    rows = Policy.objects.filter(customer_id__in=list(held_lines), status__in=HELD).values_list(
        "customer_id", "policy_type", "product_id"
    )
    for customer_id, policy_type, product_id in rows:
        held_lines[customer_id].add(policy_type)
        held_products[customer_id].add(product_id)
    if peers is None and any(held_lines.values()):
        peers = Peers()
    since = timezone.now() - timedelta(days=RELATIONSHIP_DAYS)
    signals = relationship_signals_many(customers, lines=list(ProductLine.objects.all()), since=since)
    products = _active_products()
    answers = {}
    for customer in customers:
        standing = _standing(customer, today, held_lines[customer.pk], held_products[customer.pk])
        if standing.held_lines and peers is not None:
            standing.peer_count, standing.co_owned = peers.of(standing.held_lines)
        answers[customer.pk] = _scored(products, standing, _latest_per_target(signals[customer.pk]), limit)
    return answers
