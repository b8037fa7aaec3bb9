"""Product recommendations for one customer (seed 002 unique #1): deterministic scores with reasons.

Signals, each explained in the answer:
- eligibility: products the customer cannot buy (age, region) are never recommended;
- gaps in cover: lines the customer holds nothing in, weighted by how essential the line is;
- co-ownership: of the customers who hold the same lines as this one, the share who also hold the product;
- profile: a driver without motor cover, age bands for health and life.
Lives here (not in catalog) because it reads holdings, which are policies.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Count

from apps.catalog.models import Product
from apps.catalog.rating import check_eligibility
from apps.catalog.services import age_on
from apps.customers.models import Customer

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


@dataclass
class Recommendation:
    product: Product
    score: Decimal = Decimal("0")
    reasons: list[str] = field(default_factory=list)


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
        if rec.score > 0:
            rec.score = rec.score.quantize(Decimal("0.001"))
            results.append(rec)
    results.sort(key=lambda r: (-r.score, r.product.code))
    return results[:limit]
