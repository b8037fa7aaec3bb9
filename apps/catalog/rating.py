"""The quote engine: base premium × the multipliers of the matching rating rules + chosen optional covers.

Pure computation over a product and its rules (prefetched); every line of the breakdown is in cents,
and the lines add up exactly to the total.
"""

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError

from .models import Product, RatingFactor

CENT = Decimal("0.01")


def money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass
class QuoteResult:
    product: Product
    lines: list[dict] = field(default_factory=list)
    total: Decimal = Decimal("0.00")
    inputs: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {
            "product": self.product.code,
            "currency": self.product.currency,
            "lines": self.lines,
            "annual_premium": str(self.total),
            "inputs": self.inputs,
        }


def check_eligibility(product: Product, *, age: int | None, region: str | None) -> list[str]:
    problems = []
    if product.min_age is not None or product.max_age is not None:
        if age is None:
            problems.append("age is required for this product")
        elif (product.min_age is not None and age < product.min_age) or (
            product.max_age is not None and age > product.max_age
        ):
            problems.append(f"age {age} is outside {product.min_age or 0}-{product.max_age or '∞'}")
    if product.regions:
        if not region:
            problems.append("region is required for this product")
        elif region.lower() not in [r.lower() for r in product.regions]:
            problems.append(f"not sold in region {region}")
    return problems


def quote(product: Product, inputs: dict, *, optional_coverages: list[str] | None = None) -> QuoteResult:
    """Price `product` for `inputs` ({factor: value}); ValidationError lists every missing/invalid input."""
    if not product.is_active:
        raise ValidationError({"product": ["This product is not sold any more."]})
    errors: dict[str, list[str]] = {}
    eligibility = check_eligibility(product, age=inputs.get(RatingFactor.AGE), region=inputs.get(RatingFactor.REGION))
    if eligibility:
        errors["eligibility"] = eligibility
    result = QuoteResult(product=product, inputs={k: str(v) for k, v in inputs.items() if v is not None})
    running = product.base_premium
    result.lines.append({"kind": "base", "label": "Base premium", "amount": str(money(running))})
    rules_by_factor: dict[str, list] = {}
    for rule in product.rating_rules.all():  # prefetched, ordered by factor, position
        rules_by_factor.setdefault(rule.factor, []).append(rule)
    for factor, rules in rules_by_factor.items():
        value = inputs.get(factor)
        if value is None or value == "":
            errors.setdefault(factor, []).append(f"{RatingFactor(factor).label} is required to price this product.")
            continue
        try:
            rule = next((r for r in rules if r.matches(value)), None)
        except (ArithmeticError, ValueError):
            errors.setdefault(factor, []).append("Must be a number.")
            continue
        if rule is None:
            errors.setdefault(factor, []).append(f"No rate for {RatingFactor(factor).label.lower()} = {value}.")
            continue
        before = money(running)
        running = running * rule.multiplier
        result.lines.append(
            {
                "kind": "factor",
                "factor": factor,
                "label": str(rule),
                "value": str(value),
                "multiplier": str(rule.multiplier),
                "amount": str(money(running) - before),
            }
        )
    chosen = set(optional_coverages or [])
    optional = {c.code: c for c in product.coverages.all() if not c.is_mandatory}
    unknown = chosen - set(optional)
    if unknown:
        errors["coverages"] = [f"Not an optional cover of this product: {', '.join(sorted(unknown))}."]
    if errors:
        raise ValidationError(errors)
    subtotal = money(running)
    for code in sorted(chosen):
        cover = optional[code]
        subtotal += cover.annual_premium
        result.lines.append(
            {
                "kind": "coverage",
                "coverage": code,
                "label": f"Optional cover: {cover.name}",
                "amount": str(cover.annual_premium),
            }
        )
    result.total = subtotal
    return result
