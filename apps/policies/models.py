"""Policies, their lifecycle timeline, immutable endorsements and insured vehicles."""

from decimal import Decimal

import pghistory
import pgtrigger
from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q

from apps.core.models import TimeStampedModel

POLICY_NUMBER_SEQUENCE = "policies_policy_number_seq"


class PolicyStatus(models.TextChoices):
    QUOTED = "quoted", "Quoted"
    ACTIVE = "active", "Active"
    EXPIRED = "expired", "Expired"
    LAPSED = "lapsed", "Lapsed"
    CANCELLED = "cancelled", "Cancelled"
    RENEWED = "renewed", "Renewed"


class PolicyOrigin(models.TextChoices):
    """Where the policy's current term comes from. We bill what we issue; an imported policy is our record of a
    term an insurer wrote and billed (a renewal sheet): billing leaves that term alone, and bills the next one
    when the renewal is issued here."""

    ISSUED = "issued", "Issued here"
    IMPORTED = "imported", "Imported record"


class PaymentFrequency(models.TextChoices):
    ANNUAL = "annual", "Annual"
    SEMIANNUAL = "semiannual", "Every six months"
    QUARTERLY = "quarterly", "Quarterly"
    MONTHLY = "monthly", "Monthly"


@pghistory.track()
class Policy(TimeStampedModel):
    """A customer's contract for a product over a term. The row holds the *current* terms; the terms at issue
    are in `original_terms` and every change since is an Endorsement, so any past state can be rebuilt."""

    permission_module = "policies"

    policy_number = models.CharField(max_length=30, unique=True, editable=False)
    # indexed by `policies_customer_agent` (and `policies_customer_status`), both led by the customer
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="policies", db_index=False
    )
    product = models.ForeignKey("catalog.Product", on_delete=models.PROTECT, related_name="policies")
    policy_type = models.CharField(max_length=30, db_index=True, help_text="The product line's code.")
    status = models.CharField(max_length=20, choices=PolicyStatus.choices, default=PolicyStatus.QUOTED)
    premium_amount = models.DecimalField(
        max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))]
    )
    currency = models.CharField(max_length=3, default="EUR")
    payment_frequency = models.CharField(
        max_length=20, choices=PaymentFrequency.choices, default=PaymentFrequency.ANNUAL
    )
    start_date = models.DateField()
    end_date = models.DateField()
    renewal_date = models.DateField(null=True, blank=True)
    grace_period_days = models.PositiveSmallIntegerField(default=30)
    sum_insured = models.DecimalField(
        max_digits=14, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(Decimal("0"))]
    )
    coverage_selections = models.JSONField(default=list, blank=True)
    insured_address = models.JSONField(default=dict, blank=True)
    rating_inputs = models.JSONField(default=dict, blank=True)
    quote_breakdown = models.JSONField(default=list, blank=True)
    original_terms = models.JSONField(default=dict, editable=False)
    version = models.PositiveIntegerField(default=1, editable=False)
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="policies"
    )
    branch = models.ForeignKey(
        "accounts.Branch", null=True, blank=True, on_delete=models.SET_NULL, related_name="policies"
    )
    renewed_from = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="renewed_by"
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancellation_reason = models.CharField(max_length=300, blank=True)
    origin = models.CharField(max_length=10, choices=PolicyOrigin.choices, default=PolicyOrigin.ISSUED, editable=False)

    class Meta:
        ordering = ["-start_date", "-id"]
        verbose_name_plural = "policies"
        indexes = [
            models.Index(fields=["customer", "status"], name="policies_customer_status"),
            # a customer's policies with their agent: an agent's scope (their policies, or their book's customers')
            # is tested from this index alone when a name search walks the matching customers' policies
            models.Index(fields=["customer", "agent"], name="policies_customer_agent"),
            models.Index(fields=["status", "renewal_date"], name="policies_status_renewal"),
            models.Index(fields=["agent", "status"], name="policies_agent_status"),
            models.Index(fields=["policy_type", "status", "renewal_date"], name="policies_type_status_renewal"),
            models.Index(fields=["-start_date", "-id"], name="policies_default_order"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(end_date__gt=models.F("start_date")), name="policies_end_after_start"),
            models.CheckConstraint(condition=Q(premium_amount__gt=0), name="policies_premium_positive"),
        ]

    def __str__(self) -> str:
        return self.policy_number

    def terms(self) -> dict:
        """The fields that endorsements change (the policy's current terms)."""
        return {
            "premium_amount": str(self.premium_amount),
            "sum_insured": None if self.sum_insured is None else str(self.sum_insured),
            "coverage_selections": self.coverage_selections,
            "insured_address": self.insured_address,
            "rating_inputs": self.rating_inputs,
        }


class PolicyTransition(models.Model):
    """One step of a policy's lifecycle (the timeline): who moved it from what to what, when and why."""

    permission_module = "policies"

    policy = models.ForeignKey(Policy, on_delete=models.CASCADE, related_name="transitions")
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    note = models.CharField(max_length=500, blank=True)
    occurred_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["occurred_at", "id"]
        indexes = [models.Index(fields=["policy", "occurred_at"], name="policy_transitions_time")]
        triggers = [pgtrigger.Protect(name="append_only", operation=pgtrigger.Update | pgtrigger.Delete)]

    def __str__(self) -> str:
        return f"{self.policy_id}: {self.from_status or '—'} → {self.to_status}"


class EndorsementKind(models.TextChoices):
    COVERAGE = "coverage", "Coverage change"
    SUM_INSURED = "sum_insured", "Sum insured change"
    VEHICLE = "vehicle", "Insured vehicle change"
    ADDRESS = "address", "Address change"


class Endorsement(models.Model):
    """An immutable, effective-dated mid-term change with its pro-rated premium delta."""

    permission_module = "policies"

    policy = models.ForeignKey(Policy, on_delete=models.PROTECT, related_name="endorsements")
    sequence = models.PositiveIntegerField()
    kind = models.CharField(max_length=20, choices=EndorsementKind.choices)
    effective_date = models.DateField()
    changes = models.JSONField(help_text='{"field": {"from": old, "to": new}}')
    annual_premium_before = models.DecimalField(max_digits=12, decimal_places=2)
    annual_premium_after = models.DecimalField(max_digits=12, decimal_places=2)
    premium_delta = models.DecimalField(
        max_digits=12, decimal_places=2, help_text="Pro-rated for the rest of the term; negative = refund."
    )
    reason = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["policy", "sequence"]
        constraints = [models.UniqueConstraint(fields=["policy", "sequence"], name="endorsements_unique_sequence")]
        triggers = [pgtrigger.Protect(name="append_only", operation=pgtrigger.Update | pgtrigger.Delete)]

    def __str__(self) -> str:
        return f"{self.policy.policy_number} #{self.sequence} {self.get_kind_display()}"


@pghistory.track()
class Vehicle(TimeStampedModel):
    """A vehicle insured by an auto policy. Replaced vehicles stay, with `removed_on` set."""

    permission_module = "policies"

    policy = models.ForeignKey(Policy, on_delete=models.CASCADE, related_name="vehicles")
    vin = models.CharField(max_length=17)
    registration = models.CharField(max_length=15)
    make = models.CharField(max_length=60)
    model = models.CharField(max_length=60)
    year = models.PositiveSmallIntegerField()
    value = models.DecimalField(max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal("0"))])
    manufacturer_decoded = models.CharField(max_length=60, blank=True, editable=False)
    added_on = models.DateField()
    removed_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["policy", "-added_on"]
        indexes = [
            models.Index(fields=["vin"], name="vehicles_vin"),
            models.Index(fields=["registration"], name="vehicles_registration"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["policy", "vin"], condition=Q(removed_on__isnull=True), name="vehicles_one_current_per_vin"
            )
        ]

    def __str__(self) -> str:
        return f"{self.registration} {self.make} {self.model} ({self.year})"
