"""Reads of the catalogue (public: only active products)."""

from django.db.models import Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404

from .models import Coverage, Product, Quote, RatingRule


def products_for_sale() -> QuerySet[Product]:
    return (
        Product.objects.filter(is_active=True)
        .select_related("line")
        .prefetch_related(Prefetch("coverages", queryset=Coverage.objects.order_by("-is_mandatory", "name")))
    )


def products_eligible(qs: QuerySet[Product], *, age: int | None = None, region: str | None = None) -> QuerySet:
    if age is not None:
        qs = qs.filter(Q(min_age__isnull=True) | Q(min_age__lte=age), Q(max_age__isnull=True) | Q(max_age__gte=age))
    if region:
        qs = qs.filter(Q(regions=[]) | Q(regions__contains=[region.strip().upper()]))
    return qs


def product_for_quote(code: str) -> Product:
    return get_object_or_404(
        Product.objects.select_related("line").prefetch_related(
            Prefetch("rating_rules", queryset=RatingRule.objects.order_by("factor", "position", "id")), "coverages"
        ),
        code=code,
    )


def product_get(code: str) -> Product:
    return get_object_or_404(products_for_sale(), code=code)


def quote_get_for_user(user, reference) -> Quote:
    """A stored quote by its reference. A customer's quote is theirs alone (404 for anyone else, staff included:
    staff reach it through the CRM record it became); a quote nobody owns is open to whoever holds the reference."""
    qs = Quote.objects.select_related("product__line", "picked_up_by")
    if user is not None and user.is_authenticated and user.role == "customer":
        qs = qs.filter(Q(customer__isnull=True) | Q(customer__user=user))
    else:
        qs = qs.filter(customer__isnull=True)
    return get_object_or_404(qs, reference=reference)


def quotes_of_customer(user) -> QuerySet[Quote]:
    """The signed-in customer's own quotes, newest first."""
    return Quote.objects.filter(customer__user=user).select_related("product__line", "picked_up_by")
