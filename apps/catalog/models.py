"""The product catalogue: lines of business, products, their coverages and data-driven rating rules."""

import uuid
from decimal import Decimal

import pghistory
from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector, SearchVectorField
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q

from apps.core.models import TimeStampedModel


@pghistory.track()
class ProductLine(TimeStampedModel):
    """A line of business (auto, home, health, life, travel, …). Admins add lines; no code change needed."""

    permission_module = "pricing"

    code = models.SlugField(max_length=30, unique=True)
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


@pghistory.track(exclude=["search_vector"])
class Product(TimeStampedModel):
    """Something a customer can buy: base premium, coverages, eligibility and rating rules."""

    permission_module = "pricing"

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=150)
    line = models.ForeignKey(ProductLine, on_delete=models.PROTECT, related_name="products")
    description = models.TextField(blank=True)
    base_premium = models.DecimalField(max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))])
    currency = models.CharField(max_length=3, default="EUR")
    min_age = models.PositiveSmallIntegerField(null=True, blank=True)
    max_age = models.PositiveSmallIntegerField(null=True, blank=True)
    regions = ArrayField(
        models.CharField(max_length=20),
        default=list,
        blank=True,
        help_text="Region codes where it is sold; empty = everywhere.",
    )
    is_active = models.BooleanField(default=True)
    popularity = models.PositiveIntegerField(default=0, editable=False, help_text="Policies sold (kept by policies).")
    search_vector = models.GeneratedField(
        expression=SearchVector("code", "name", "description", config="simple"),
        output_field=SearchVectorField(),
        db_persist=True,
    )

    class Meta:
        ordering = ["name"]
        indexes = [
            GinIndex(fields=["search_vector"], name="products_search_gin"),
            models.Index(fields=["line", "base_premium"], name="products_line_premium", condition=Q(is_active=True)),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(min_age__isnull=True) | Q(max_age__isnull=True) | Q(min_age__lte=models.F("max_age")),
                name="products_age_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    def clean(self):
        self.regions = sorted({r.strip().upper() for r in self.regions if r.strip()})


class Peril(models.TextChoices):
    """What happened, as a claim type: each coverage lists the perils it answers."""

    COLLISION = "collision", "Collision"
    THEFT = "theft", "Theft"
    VANDALISM = "vandalism", "Vandalism"
    FIRE = "fire", "Fire"
    FLOOD = "flood", "Flood"
    STORM = "storm", "Storm or hail"
    GLASS = "glass", "Glass breakage"
    THIRD_PARTY = "third_party_liability", "Third-party liability"
    BREAKDOWN = "breakdown", "Breakdown"
    ESCAPE_OF_WATER = "escape_of_water", "Escape of water"
    ACCIDENTAL_DAMAGE = "accidental_damage", "Accidental damage"
    HOSPITALISATION = "hospitalisation", "Hospitalisation"
    OUTPATIENT = "outpatient", "Outpatient care"
    DENTAL = "dental", "Dental care"


def _validate_perils(value) -> None:
    from django.core.exceptions import ValidationError

    unknown = [p for p in value or [] if p not in Peril.values]
    if not isinstance(value, list) or unknown:
        raise ValidationError(f"Unknown peril(s): {', '.join(map(str, unknown)) or value!r}.")


@pghistory.track()
class Coverage(TimeStampedModel):
    """One cover of a product: its limit and deductible; mandatory, or optional at an extra premium."""

    permission_module = "pricing"

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="coverages")
    code = models.SlugField(max_length=40)
    name = models.CharField(max_length=150)
    limit = models.DecimalField(max_digits=14, decimal_places=2, validators=[MinValueValidator(Decimal("0"))])
    deductible = models.DecimalField(
        max_digits=12, decimal_places=2, default=Decimal("0"), validators=[MinValueValidator(Decimal("0"))]
    )
    is_mandatory = models.BooleanField(default=True)
    annual_premium = models.DecimalField(
        max_digits=12,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
        help_text="Extra yearly premium when an optional cover is chosen.",
    )
    perils = models.JSONField(
        default=list,
        blank=True,
        validators=[_validate_perils],
        help_text="The claim types this cover answers (a claim of another type is refused at filing).",
    )

    class Meta:
        ordering = ["product", "-is_mandatory", "name"]
        constraints = [models.UniqueConstraint(fields=["product", "code"], name="coverages_unique_code")]

    def __str__(self) -> str:
        return f"{self.product.code}:{self.code}"


class RatingFactor(models.TextChoices):
    AGE = "age", "Age of the insured"
    REGION = "region", "Region"
    VEHICLE_VALUE = "vehicle_value", "Vehicle value"
    VEHICLE_AGE = "vehicle_age", "Vehicle age (years)"
    CLAIMS = "claims_count", "Claims in the last 3 years"
    SUM_INSURED = "sum_insured", "Sum insured"
    DEDUCTIBLE = "deductible", "Deductible chosen"


@pghistory.track()
class RatingRule(TimeStampedModel):
    """A multiplier applied to a product's premium when an input falls in a band (or equals a value).

    Rules are data: the quote engine has no per-product branches. For a factor, the first rule (by
    `position`) whose band contains the input applies; bands are [min_value, max_value).
    """

    permission_module = "pricing"

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="rating_rules")
    factor = models.CharField(max_length=20, choices=RatingFactor.choices)
    min_value = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    max_value = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    match = models.CharField(max_length=40, blank=True, help_text="Exact value for non-numeric factors (region).")
    multiplier = models.DecimalField(max_digits=6, decimal_places=4, validators=[MinValueValidator(Decimal("0"))])
    label = models.CharField(max_length=120, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["product", "factor", "position", "id"]
        indexes = [models.Index(fields=["product", "factor", "position"], name="rating_rules_lookup")]
        constraints = [
            models.CheckConstraint(
                condition=Q(min_value__isnull=True)
                | Q(max_value__isnull=True)
                | Q(min_value__lt=models.F("max_value")),
                name="rating_rules_band",
            ),
        ]

    def __str__(self) -> str:
        return self.label or f"{self.get_factor_display()} ×{self.multiplier}"

    def matches(self, value) -> bool:
        if self.match:
            return str(value).strip().lower() == self.match.strip().lower()
        number = Decimal(str(value))
        return (self.min_value is None or number >= self.min_value) and (
            self.max_value is None or number < self.max_value
        )


class QuoteStatus(models.TextChoices):
    """Where a stored quote is, as the customer sees it."""

    QUOTED = "quoted", "Quoted"
    REQUESTED = "requested", "Requested"
    PICKED_UP = "picked_up", "With an agent"


class QuoteChannel(models.TextChoices):
    PORTAL = "portal", "Portal"
    API = "api", "API"


@pghistory.track()
class Quote(TimeStampedModel):
    """A price given for a product (`POST /quotes`, the portal's quote page), kept so the customer can turn it into
    an application ("I'd like this cover", `quote_apply`): then it is in an agent's pipeline (the CRM holds the lead
    or opportunity, through the `quotes.application` hook) until an agent picks it up.

    The `reference` (a random UUID) is what the asker is given: for a quote with no customer it is the only
    credential, so it is never sequential. Prices are frozen as computed (lines and total), valid until
    `expires_at`."""

    permission_module = "pricing"

    reference = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="quotes")
    customer = models.ForeignKey(
        "customers.Customer", null=True, blank=True, on_delete=models.SET_NULL, related_name="quotes"
    )
    inputs = models.JSONField(default=dict, blank=True)
    coverages = models.JSONField(default=list, blank=True)
    lines = models.JSONField(default=list, blank=True)
    annual_premium = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3, default="EUR")
    channel = models.CharField(max_length=10, choices=QuoteChannel.choices, default=QuoteChannel.API)
    expires_at = models.DateTimeField()
    status = models.CharField(max_length=20, choices=QuoteStatus.choices, default=QuoteStatus.QUOTED)
    # the application: who asked for the cover (a prospect's own words; a customer's come from their record)
    applied_at = models.DateTimeField(null=True, blank=True)
    applicant_first_name = models.CharField(max_length=100, blank=True)
    applicant_last_name = models.CharField(max_length=100, blank=True)
    applicant_email = models.EmailField(max_length=255, blank=True)
    applicant_phone = models.CharField(max_length=20, blank=True)
    applicant_message = models.TextField(blank=True, max_length=2000)
    # the first agent who acted on it
    picked_up_at = models.DateTimeField(null=True, blank=True)
    picked_up_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["customer", "-created_at"], name="quotes_customer", condition=Q(customer__isnull=False)
            ),
            # the clean-up of quotes nobody applied for
            models.Index(fields=["expires_at"], name="quotes_unapplied_expiry", condition=Q(applied_at__isnull=True)),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status=QuoteStatus.QUOTED) | Q(applied_at__isnull=False), name="quotes_applied_at"
            ),
            models.CheckConstraint(
                condition=~Q(status=QuoteStatus.PICKED_UP) | Q(picked_up_at__isnull=False), name="quotes_picked_up_at"
            ),
            models.CheckConstraint(condition=Q(annual_premium__gte=0), name="quotes_premium_positive"),
        ]

    def __str__(self) -> str:
        return f"Quote {str(self.reference)[:8]} · {self.product.code}"

    @property
    def short_reference(self) -> str:
        return str(self.reference)[:8].upper()
