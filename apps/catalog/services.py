"""Catalogue use-cases: quoting (pricing is pure, in rating.py)."""

from datetime import date

from django.core.exceptions import ValidationError

from .models import Product, RatingFactor
from .rating import QuoteResult, quote


def age_on(date_of_birth: date, on: date) -> int:
    return on.year - date_of_birth.year - ((on.month, on.day) < (date_of_birth.month, date_of_birth.day))


def quote_compute(
    *,
    product: Product,
    age: int | None = None,
    date_of_birth: date | None = None,
    region: str | None = None,
    vehicle_value=None,
    vehicle_year: int | None = None,
    claims_count: int | None = None,
    sum_insured=None,
    deductible=None,
    coverages: list[str] | None = None,
    on: date | None = None,
) -> QuoteResult:
    """Price a product for a person/vehicle. Either `age` or `date_of_birth` gives the age."""
    on = on or date.today()
    if age is None and date_of_birth is not None:
        age = age_on(date_of_birth, on)
    if vehicle_year is not None and vehicle_year > on.year + 1:
        raise ValidationError({"vehicle_year": ["Cannot be in the future."]})
    inputs = {
        RatingFactor.AGE: age,
        RatingFactor.REGION: region,
        RatingFactor.VEHICLE_VALUE: vehicle_value,
        RatingFactor.VEHICLE_AGE: (on.year - vehicle_year) if vehicle_year else None,
        RatingFactor.CLAIMS: claims_count,
        RatingFactor.SUM_INSURED: sum_insured,
        RatingFactor.DEDUCTIBLE: deductible,
    }
    return quote(product, inputs, optional_coverages=coverages)
