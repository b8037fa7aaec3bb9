"""Claims (seed 001 + seed 003 claims tables): first notice of loss to settlement, with an append-only timeline,
a communications log, reserve changes and payments against the reserve."""

from decimal import Decimal

import pghistory
import pgtrigger
from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from apps.catalog.models import Peril
from apps.core.models import TimeStampedModel

CLAIM_NUMBER_SEQUENCE = "claims_claim_number_seq"
MONEY = {"max_digits": 12, "decimal_places": 2}


class ClaimStatus(models.TextChoices):
    SUBMITTED = "submitted", "Submitted"
    TRIAGE = "triage", "In triage"
    ASSESSMENT = "assessment", "In assessment"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    SETTLEMENT = "settlement", "In settlement"
    PAID = "paid", "Paid"
    CLOSED = "closed", "Closed"
    WITHDRAWN = "withdrawn", "Withdrawn"
    REOPENED = "reopened", "Reopened"


OPEN_CLAIM_STATUSES = (
    ClaimStatus.SUBMITTED,
    ClaimStatus.TRIAGE,
    ClaimStatus.ASSESSMENT,
    ClaimStatus.APPROVED,
    ClaimStatus.SETTLEMENT,
    ClaimStatus.REOPENED,
)


class ClaimPriority(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"
    URGENT = "urgent", "Urgent"


class ClaimChannel(models.TextChoices):
    PORTAL = "portal", "Customer portal"
    API = "api", "API"
    AGENT = "agent", "Agent on the customer's behalf"
    PHONE = "phone", "Phone"


class FraudReview(models.TextChoices):
    PENDING = "pending", "Waiting for review"
    CLEARED = "cleared", "Cleared"
    INVESTIGATING = "investigating", "Under investigation"
    CONFIRMED = "confirmed", "Fraud confirmed"


@pghistory.track(model_name="ClaimHistory")  # "ClaimEvent" is the claim's own timeline below
class Claim(TimeStampedModel):
    """One loss reported against one policy. The money columns are kept by the services: the outstanding reserve,
    what has been paid and the agreed settlement."""

    permission_module = "claims"

    claim_number = models.CharField(max_length=30, unique=True, editable=False)
    policy = models.ForeignKey("policies.Policy", on_delete=models.PROTECT, related_name="claims")
    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="claims")
    vehicle = models.ForeignKey(
        "policies.Vehicle", null=True, blank=True, on_delete=models.PROTECT, related_name="claims"
    )
    claim_type = models.CharField(max_length=30, choices=Peril.choices)
    coverage_code = models.CharField(max_length=40, help_text="The policy's cover that answers this claim.")
    coverage_limit = models.DecimalField(max_digits=14, decimal_places=2)
    deductible = models.DecimalField(**MONEY, default=Decimal("0"))
    claimed_amount = models.DecimalField(**MONEY, validators=[MinValueValidator(Decimal("0.01"))])
    currency = models.CharField(max_length=3)
    description = models.TextField()
    incident_date = models.DateField()
    incident_time = models.TimeField(null=True, blank=True)
    incident_place = models.CharField(max_length=255)
    reported_date = models.DateField()
    status = models.CharField(max_length=20, choices=ClaimStatus.choices, default=ClaimStatus.SUBMITTED)
    priority = models.CharField(max_length=10, choices=ClaimPriority.choices, default=ClaimPriority.MEDIUM)
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="handled_claims"
    )
    assessor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="assessed_claims"
    )
    estimated_cost = models.DecimalField(**MONEY, null=True, blank=True)
    reserve_amount = models.DecimalField(**MONEY, default=Decimal("0"), help_text="Outstanding reserve.")
    paid_amount = models.DecimalField(**MONEY, default=Decimal("0"))
    settlement_amount = models.DecimalField(**MONEY, null=True, blank=True)
    settlement_date = models.DateField(null=True, blank=True)
    fraud_score = models.PositiveSmallIntegerField(null=True, blank=True)
    fraud_review = models.CharField(
        max_length=20, choices=FraudReview.choices, blank=True, help_text="Set when the score reaches the threshold."
    )
    channel = models.CharField(max_length=10, choices=ClaimChannel.choices, default=ClaimChannel.API)
    filed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    duplicate_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="duplicates"
    )
    closed_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "-created_at"], name="claims_status_created"),
            models.Index(fields=["priority", "-created_at"], name="claims_priority_created"),
            models.Index(fields=["handler", "status"], name="claims_handler_status"),
            models.Index(fields=["assessor", "status"], name="claims_assessor_status"),
            models.Index(fields=["customer", "-created_at"], name="claims_customer_created"),
            models.Index(fields=["policy", "incident_date", "claim_type"], name="claims_policy_incident"),
            models.Index(fields=["-fraud_score"], condition=Q(fraud_review="pending"), name="claims_fraud_queue"),
            # dashboards: SLA (reported date per status), stale claims, closing times, large reserves
            models.Index(fields=["status", "reported_date"], name="claims_status_reported"),
            models.Index(fields=["status", "updated_at"], name="claims_status_updated"),
            models.Index(fields=["closed_at"], condition=Q(closed_at__isnull=False), name="claims_closed"),
            models.Index(fields=["-reserve_amount"], condition=Q(reserve_amount__gt=0), name="claims_reserve"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(reserve_amount__gte=0), name="claims_reserve_not_negative"),
            models.CheckConstraint(condition=Q(paid_amount__gte=0), name="claims_paid_not_negative"),
        ]

    def __str__(self) -> str:
        return self.claim_number


class ClaimEvent(models.Model):
    """The claim's timeline: every transition (from → to), assignment, reserve change and payment, with who and
    when. Append-only. `internal` entries are hidden from the customer."""

    permission_module = "claims"

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="timeline_events")
    action = models.CharField(max_length=60)
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.TextField(blank=True)
    internal = models.BooleanField(default=False)
    occurred_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["occurred_at", "id"]
        indexes = [models.Index(fields=["claim", "occurred_at"], name="claim_events_time")]
        triggers = [pgtrigger.Protect(name="append_only", operation=pgtrigger.Update | pgtrigger.Delete)]

    def __str__(self) -> str:
        return f"{self.claim_id} {self.action}"


class Stakeholder(models.TextChoices):
    CUSTOMER = "customer", "Customer"
    REPAIRER = "repairer", "Repairer"
    ASSESSOR = "assessor", "Assessor"
    THIRD_PARTY = "third_party", "Third party"
    INTERNAL = "internal", "Internal"


class CommunicationChannel(models.TextChoices):
    EMAIL = "email", "Email"
    PHONE = "phone", "Phone"
    SMS = "sms", "SMS"
    WHATSAPP = "whatsapp", "WhatsApp"
    LETTER = "letter", "Letter"
    PORTAL = "portal", "Portal message"
    IN_PERSON = "in_person", "In person"
    NOTE = "note", "Internal note"


class Direction(models.TextChoices):
    INBOUND = "inbound", "Inbound"
    OUTBOUND = "outbound", "Outbound"
    INTERNAL = "internal", "Internal"


class ClaimCommunication(models.Model):
    """The stakeholder communication log (seed 001): who, how, which way, what; attachments are documents
    attached to the claim."""

    permission_module = "claims"

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="communications")
    stakeholder = models.CharField(max_length=20, choices=Stakeholder.choices)
    channel = models.CharField(max_length=20, choices=CommunicationChannel.choices)
    direction = models.CharField(max_length=10, choices=Direction.choices)
    subject = models.CharField(max_length=200, blank=True)
    body = models.TextField()
    contact_name = models.CharField(max_length=150, blank=True)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    attachments = models.ManyToManyField("documents.Document", blank=True, related_name="claim_communications")
    occurred_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [models.Index(fields=["claim", "-occurred_at"], name="claim_comms_time")]
        triggers = [pgtrigger.Protect(name="append_only", operation=pgtrigger.Update | pgtrigger.Delete)]

    def __str__(self) -> str:
        return f"{self.claim_id} {self.direction} {self.channel}"


class ReserveChange(models.Model):
    """A reserve set or adjusted by hand (payments reduce the reserve too, recorded on the payment)."""

    permission_module = "claims"

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="reserve_changes")
    previous_amount = models.DecimalField(**MONEY)
    new_amount = models.DecimalField(**MONEY)
    reason = models.CharField(max_length=300)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        triggers = [pgtrigger.Protect(name="append_only", operation=pgtrigger.Update | pgtrigger.Delete)]

    def __str__(self) -> str:
        return f"{self.claim_id} {self.previous_amount} → {self.new_amount}"


class PayeeType(models.TextChoices):
    CUSTOMER = "customer", "Customer"
    REPAIRER = "repairer", "Repairer"
    THIRD_PARTY = "third_party", "Third party"
    MEDICAL = "medical", "Medical provider"


@pghistory.track()
class ClaimPayment(TimeStampedModel):
    """Money paid on a claim, always against its reserve. Above the requester's authority it waits for an
    approver with enough authority who is not the requester (four eyes)."""

    permission_module = "claims"

    class Status(models.TextChoices):
        PENDING_APPROVAL = "pending_approval", "Waiting for approval"
        PAID = "paid", "Paid"
        REJECTED = "rejected", "Rejected"

    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="payments")
    amount = models.DecimalField(**MONEY, validators=[MinValueValidator(Decimal("0.01"))])
    currency = models.CharField(max_length=3)
    payee_type = models.CharField(max_length=20, choices=PayeeType.choices, default=PayeeType.CUSTOMER)
    payee_name = models.CharField(max_length=150)
    bank_account_hash = models.CharField(
        max_length=64, blank=True, db_index=True, help_text="HMAC of the normalised IBAN (fraud matching)."
    )
    bank_account_last4 = models.CharField(max_length=4, blank=True)
    note = models.CharField(max_length=300, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(max_length=300, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    ledger_booking = models.UUIDField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "-created_at"], name="claim_payments_status")]

    def __str__(self) -> str:
        return f"{self.amount} {self.currency} to {self.payee_name} ({self.get_status_display()})"


@pghistory.track(exclude=["model"])  # the fitted estimator's bytes stay out of the history
class FraudModel(models.Model):
    """A trained anomaly model (scikit-learn IsolationForest over claim features), versioned; the newest is used
    and its version is kept on every score it produced."""

    version = models.PositiveIntegerField(unique=True)
    trained_at = models.DateTimeField(auto_now_add=True)
    sample_count = models.PositiveIntegerField()
    features = models.JSONField()
    calibration = models.JSONField(help_text="Score percentiles on the training set, to map scores to 0–1.")
    model = models.BinaryField(help_text="joblib dump of the fitted estimator.")

    permission_module = "claims"

    class Meta:
        ordering = ["-version"]

    def __str__(self) -> str:
        return f"fraud model v{self.version} ({self.sample_count} claims)"


@pghistory.track()
class FraudAssessment(models.Model):
    """One fraud score of a claim, with the indicators that produced it (each explained) and, once a person has
    looked, their decision. Append-only: a decision is recorded on the assessment it was made about."""

    permission_module = "claims"

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="fraud_assessments")
    score = models.PositiveSmallIntegerField()
    indicators = models.JSONField(help_text="[{code, label, points, explanation}]")
    anomaly = models.FloatField(null=True, blank=True, help_text="0–1 from the model (None without a model).")
    model_version = models.PositiveIntegerField(null=True, blank=True)
    computed_at = models.DateTimeField(auto_now_add=True)
    decision = models.CharField(max_length=20, choices=FraudReview.choices, blank=True)
    decision_note = models.TextField(blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-computed_at", "-id"]
        indexes = [models.Index(fields=["claim", "-computed_at"], name="fraud_assessments_claim")]
        triggers = [pgtrigger.Protect(name="no_delete", operation=pgtrigger.Delete)]

    def __str__(self) -> str:
        return f"{self.claim_id}: {self.score}"


# --- vehicle damage assessments (seed 001) -------------------------------------------------------------------


class AssessmentStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    IN_PROGRESS = "in_progress", "In progress"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"


class Area(models.TextChoices):
    EXTERIOR_FRONT = "exterior_front", "Exterior — front"
    EXTERIOR_REAR = "exterior_rear", "Exterior — rear"
    EXTERIOR_LEFT = "exterior_left", "Exterior — left"
    EXTERIOR_RIGHT = "exterior_right", "Exterior — right"
    ROOF = "roof", "Roof"
    INTERIOR = "interior", "Interior"
    MECHANICAL = "mechanical", "Mechanical"
    ELECTRICAL = "electrical", "Electrical"
    GLASS = "glass", "Glass"


@pghistory.track()
class Assessment(TimeStampedModel):
    """The assessor's inspection of the damage: one per claim, with a section per area of the vehicle, a photo
    gallery and estimates. Completion, severity and the total-loss recommendation are derived (services)."""

    permission_module = "assessments"

    claim = models.OneToOneField(Claim, on_delete=models.CASCADE, related_name="assessment")
    assessor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="assessments"
    )
    status = models.CharField(max_length=20, choices=AssessmentStatus.choices, default=AssessmentStatus.SCHEDULED)
    scheduled_for = models.DateTimeField(null=True, blank=True)
    inspection_place = models.CharField(max_length=255, blank=True)
    vehicle_value = models.DecimalField(
        **MONEY, null=True, blank=True, help_text="Market value before the loss (for the total-loss test)."
    )
    summary = models.TextField(blank=True)
    completion_percentage = models.PositiveSmallIntegerField(default=0, editable=False)
    overall_severity = models.PositiveSmallIntegerField(default=0, editable=False)
    total_loss_recommendation = models.BooleanField(default=False, editable=False)
    total_loss_basis = models.JSONField(default=dict, blank=True, editable=False)
    completed_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "-created_at"], name="assessments_status_created"),
            models.Index(fields=["assessor", "status"], name="assessments_assessor_status"),
        ]

    def __str__(self) -> str:
        return f"Assessment of {self.claim.claim_number}"


@pghistory.track()
class AssessmentSection(models.Model):
    permission_module = "assessments"

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="sections")
    area = models.CharField(max_length=20, choices=Area.choices)
    findings = models.TextField(blank=True)
    severity = models.PositiveSmallIntegerField(
        default=0, validators=[MaxValueValidator(10)], help_text="0 (none) to 10 (destroyed)."
    )
    complete = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["assessment", "id"]
        constraints = [
            models.UniqueConstraint(fields=["assessment", "area"], name="assessment_section_per_area"),
            models.CheckConstraint(condition=Q(severity__lte=10), name="assessment_section_severity_0_10"),
        ]

    def __str__(self) -> str:
        return f"{self.assessment_id} {self.area}"


@pghistory.track()
class AssessmentPhoto(models.Model):
    """A photo (a Document attached to the assessment: scanned, EXIF stripped, thumbnailed) in the gallery,
    tagged to a section and ordered."""

    permission_module = "assessments"

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="photos")
    document = models.OneToOneField("documents.Document", on_delete=models.CASCADE, related_name="assessment_photo")
    area = models.CharField(max_length=20, choices=Area.choices, blank=True)
    caption = models.CharField(max_length=200, blank=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["assessment", "position", "id"]

    def __str__(self) -> str:
        return f"{self.assessment_id} photo {self.position}"


@pghistory.track()
class Estimate(models.Model):
    """A repair estimate (a repairer's or our own) with line items; totals are computed from the lines. At most
    one per assessment is accepted."""

    permission_module = "assessments"

    class Source(models.TextChoices):
        REPAIRER = "repairer", "Repairer"
        INTERNAL = "internal", "Internal"

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="estimates")
    source = models.CharField(max_length=10, choices=Source.choices)
    repairer_name = models.CharField(max_length=150, blank=True)
    reference = models.CharField(max_length=60, blank=True)
    labour_rate = models.DecimalField(**MONEY, default=Decimal("0"), help_text="Per hour.")
    tax_rate = models.DecimalField(max_digits=5, decimal_places=4, default=Decimal("0.23"))
    parts_total = models.DecimalField(**MONEY, default=Decimal("0"), editable=False)
    labour_total = models.DecimalField(**MONEY, default=Decimal("0"), editable=False)
    paint_total = models.DecimalField(**MONEY, default=Decimal("0"), editable=False)
    sundries_total = models.DecimalField(**MONEY, default=Decimal("0"), editable=False)
    subtotal = models.DecimalField(**MONEY, default=Decimal("0"), editable=False)
    tax = models.DecimalField(**MONEY, default=Decimal("0"), editable=False)
    total = models.DecimalField(**MONEY, default=Decimal("0"), editable=False)
    accepted = models.BooleanField(default=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["assessment", "total", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["assessment"], condition=Q(accepted=True), name="one_accepted_estimate_per_assessment"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_source_display()} estimate {self.total}"


@pghistory.track()
class EstimateLine(models.Model):
    permission_module = "assessments"

    class Kind(models.TextChoices):
        PART = "part", "Part"
        LABOUR = "labour", "Labour"
        PAINT = "paint", "Paint"
        SUNDRY = "sundry", "Sundries"

    estimate = models.ForeignKey(Estimate, on_delete=models.CASCADE, related_name="lines")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    description = models.CharField(max_length=200)
    quantity = models.DecimalField(max_digits=8, decimal_places=2, default=Decimal("1"))
    unit_price = models.DecimalField(**MONEY, default=Decimal("0"))
    hours = models.DecimalField(max_digits=6, decimal_places=2, default=Decimal("0"))
    amount = models.DecimalField(**MONEY, editable=False)
    area = models.CharField(max_length=20, choices=Area.choices, blank=True)

    class Meta:
        ordering = ["estimate", "id"]

    def __str__(self) -> str:
        return f"{self.kind}: {self.description} {self.amount}"
