"""Catalogue use-cases: quoting (pricing is pure, in rating.py), keeping the quote, and turning it into an
application ("I'd like this cover") that the CRM puts in an agent's pipeline."""

from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from apps.accounts.models import User
from apps.accounts.roles import Role
from apps.core.exceptions import Conflict
from apps.core.validators import e164_validator
from apps.customers.models import Customer

from .hooks import quote_application
from .models import Product, Quote, QuoteChannel, QuoteStatus, RatingFactor
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


def _customer_of(actor: User | None) -> Customer | None:
    if actor is None or not actor.is_authenticated or actor.role != Role.CUSTOMER:
        return None
    return Customer.objects.filter(user=actor).first()


@transaction.atomic
def quote_create(*, product: Product, actor: User | None, channel: str = QuoteChannel.API, **inputs) -> Quote:
    """Price the product (`quote_compute`) and keep the quote, valid for CATALOG_QUOTE_VALID_DAYS: a signed-in
    customer's is theirs; anyone else's is reachable only by its random reference."""
    result = quote_compute(product=product, **inputs)
    stored = Quote.objects.create(
        product=product,
        customer=_customer_of(actor),
        inputs=result.inputs,
        coverages=sorted(inputs.get("coverages") or []),
        lines=result.lines,
        annual_premium=result.total,
        currency=product.currency,
        channel=channel,
        expires_at=timezone.now() + timedelta(days=settings.CATALOG_QUOTE_VALID_DAYS),
    )
    return stored


@transaction.atomic
def quote_apply(
    *,
    quote: Quote,
    actor: User | None,
    channel: str = QuoteChannel.API,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    phone: str = "",
    message: str = "",
) -> Quote:
    """ "I'd like this cover": the quote becomes an application in an agent's pipeline (the `quotes.application`
    hook: a lead for a prospect, an opportunity for an existing customer), in this transaction — a refusal there
    leaves the quote as it was.

    A signed-in customer applies as themselves (an unowned quote becomes theirs); anyone else is a prospect and
    gives a first name and an email or phone. Refused: an expired quote, a product no longer sold, a quote
    already applied for (409 each, saying which)."""
    quote = Quote.objects.select_for_update(of=("self",)).select_related("product__line", "customer").get(pk=quote.pk)
    if quote.status != QuoteStatus.QUOTED:
        when = timezone.localtime(quote.applied_at).strftime("%d %b %Y") if quote.applied_at else ""
        raise Conflict(
            f"You already asked for this cover on {when}; it is {quote.get_status_display().lower()}.",
            code="quote_already_requested",
            details={"status": quote.status, "applied_at": quote.applied_at.isoformat() if quote.applied_at else None},
        )
    now = timezone.now()
    if quote.expires_at <= now:
        raise Conflict(
            f"This quote expired on {timezone.localtime(quote.expires_at):%d %b %Y}; ask for a new quote.",
            code="quote_expired",
            details={"expires_at": quote.expires_at.isoformat()},
        )
    if not quote.product.is_active:
        raise Conflict("This product is not sold any more; ask for a quote on another.", code="product_withdrawn")
    customer = _customer_of(actor)
    if customer is not None:
        if quote.customer_id not in (None, customer.pk):  # the selector hides these; a guard for other callers
            raise Conflict("This quote belongs to someone else.", code="quote_foreign")
        quote.customer = customer
    else:
        first_name, last_name = (first_name or "").strip(), (last_name or "").strip()
        email, phone = (email or "").strip().lower(), (phone or "").strip()
        problems: dict[str, list[str]] = {}
        if not first_name:
            problems["first_name"] = ["Tell us your name so an agent can contact you."]
        if not email and not phone:
            problems["email"] = ["Give an email address or a phone number so an agent can contact you."]
        if phone:
            try:
                e164_validator(phone)
            except ValidationError as exc:
                problems["phone"] = exc.messages
        if problems:
            raise ValidationError(problems)
        quote.applicant_first_name, quote.applicant_last_name = first_name, last_name
        quote.applicant_email, quote.applicant_phone = email, phone
    quote.applicant_message = (message or "").strip()[:2000]
    quote.status = QuoteStatus.REQUESTED
    quote.applied_at = now
    quote.channel = channel
    quote.full_clean(exclude=["product", "customer", "picked_up_by"])
    quote.save()
    for provider in quote_application.providers():
        provider(quote=quote, actor=actor)
    return quote


@transaction.atomic
def quote_pick_up(*, quote_id: int, agent: User) -> Quote | None:
    """The first agent to act on a requested quote picks it up (the customer sees "With an agent"). Answers the
    quote when this call picked it up, None when it was not waiting (already picked up, or never requested)."""
    quote = Quote.objects.select_for_update().filter(pk=quote_id, status=QuoteStatus.REQUESTED).first()
    if quote is None:
        return None
    quote.status = QuoteStatus.PICKED_UP
    quote.picked_up_at = timezone.now()
    quote.picked_up_by = agent
    quote.save(update_fields=["status", "picked_up_at", "picked_up_by", "updated_at"])
    return quote


def quotes_unapplied_purge(*, before=None, limit: int = 10_000) -> int:
    """Delete quotes nobody applied for, expired more than CATALOG_QUOTE_KEEP_DAYS ago (anonymous pricing
    would otherwise grow the table forever). Answers the rows deleted; safe to run twice."""
    before = before or timezone.now() - timedelta(days=settings.CATALOG_QUOTE_KEEP_DAYS)
    ids = list(
        Quote.objects.filter(applied_at__isnull=True, expires_at__lt=before).values_list("pk", flat=True)[:limit]
    )
    deleted, _ = Quote.objects.filter(pk__in=ids, applied_at__isnull=True).delete()
    return deleted
