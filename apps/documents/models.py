"""Every uploaded file in the system, whoever owns it.

Ownership: `customer` (the person the file is about, when known — it scopes visibility and GDPR
export) plus a generic `entity_type`/`entity_id` pair (seed 003's files table) for the record the file
is attached to: "customer" now; "claim", "assessment", "case", "ticket" as those apps arrive. A
generic pair rather than one FK per owner keeps this lower app from importing the higher ones
(docs/architecture.md dependency order); higher apps register how to resolve and authorise their entity type.
"""

import uuid

import pghistory
from django.conf import settings
from django.core.files.storage import storages
from django.db import models
from django.db.models import Q

from apps.core.models import SoftDeleteModel, TimeStampedModel


def documents_storage():
    return storages["documents"]


def document_upload_to(instance, filename: str) -> str:
    # The stored name is ours (random); the user's name is kept only as `original_name`.
    return f"documents/{instance.created_at:%Y/%m}/{uuid.uuid4().hex}{instance.extension}"


def thumbnail_upload_to(instance, filename: str) -> str:
    return f"thumbnails/{uuid.uuid4().hex}.jpg"


class DocType(models.TextChoices):
    ID_CARD = "id_card", "Identity card"
    PASSPORT = "passport", "Passport"
    DRIVING_LICENCE = "driving_licence", "Driving licence"
    PROOF_OF_ADDRESS = "proof_of_address", "Proof of address"
    VEHICLE_REGISTRATION = "vehicle_registration", "Vehicle registration"
    POLICY_SCHEDULE = "policy_schedule", "Policy schedule"
    CLAIM_FORM = "claim_form", "Claim form"
    INVOICE = "invoice", "Invoice"
    ESTIMATE = "estimate", "Repair estimate"
    MEDICAL_REPORT = "medical_report", "Medical report"
    PHOTO = "photo", "Photo"
    OTHER = "other", "Other"


@pghistory.track(exclude=["ocr_text"])
class Document(SoftDeleteModel, TimeStampedModel):
    """A stored file with what we learnt about it: real type, hash, scan, OCR text, extracted data, validity."""

    permission_module = "documents"

    class Visibility(models.TextChoices):
        INTERNAL = "internal", "Staff only"
        CUSTOMER = "customer", "Staff and the customer"

    class ScanStatus(models.TextChoices):
        PENDING = "pending", "Pending"
        CLEAN = "clean", "Clean"
        INFECTED = "infected", "Infected (quarantined)"
        ERROR = "error", "Scan error"

    class ValidationStatus(models.TextChoices):
        PENDING = "pending", "Not validated"
        VALID = "valid", "Valid"
        INVALID = "invalid", "Invalid"

    customer = models.ForeignKey(
        "customers.Customer", null=True, blank=True, on_delete=models.PROTECT, related_name="documents"
    )
    entity_type = models.CharField(max_length=30, default="customer")
    entity_id = models.BigIntegerField(null=True, blank=True)
    doc_type = models.CharField(max_length=30, choices=DocType.choices, default=DocType.OTHER)
    original_name = models.CharField(max_length=255)
    file = models.FileField(storage=documents_storage, upload_to=document_upload_to, max_length=300)
    mime_type = models.CharField(max_length=120)
    extension = models.CharField(max_length=10)
    size = models.BigIntegerField()
    sha256 = models.CharField(max_length=64, db_index=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    visibility = models.CharField(max_length=20, choices=Visibility.choices, default=Visibility.INTERNAL)
    scan_status = models.CharField(max_length=20, choices=ScanStatus.choices, default=ScanStatus.PENDING)
    scan_engine = models.CharField(max_length=100, blank=True)
    validation_status = models.CharField(
        max_length=20, choices=ValidationStatus.choices, default=ValidationStatus.PENDING
    )
    validation_errors = models.JSONField(default=list, blank=True)
    ocr_text = models.TextField(blank=True)
    processed_data = models.JSONField(default=dict, blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    thumbnail = models.FileField(storage=documents_storage, upload_to=thumbnail_upload_to, max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["customer", "-created_at"], name="documents_customer_time"),
            models.Index(fields=["entity_type", "entity_id"], name="documents_entity"),
            models.Index(fields=["scan_status"], name="documents_scan_status"),
        ]
        constraints = [
            # One live copy of the same bytes per owner: duplicates are reported, not stored twice.
            models.UniqueConstraint(
                fields=["entity_type", "entity_id", "sha256"],
                condition=Q(deleted_at__isnull=True),
                name="documents_unique_per_owner",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.original_name} ({self.get_doc_type_display()})"

    @property
    def is_downloadable(self) -> bool:
        return self.scan_status != self.ScanStatus.INFECTED and self.deleted_at is None

    @property
    def is_image(self) -> bool:
        return self.mime_type.startswith("image/")
