"""Who may be contacted, on which channel, for what: the consent ledger, the Do-Not-Contact list (seed 004 §3.8
`DncEntry`) and the refusals the consent gate (`apps.messaging.services.consent.outbound_check`) records."""

import pghistory
from django.conf import settings
from django.db import models
from django.db.models import Q

from apps.core.models import TimeStampedModel


class Channel(models.TextChoices):
    EMAIL = "email", "Email"
    SMS = "sms", "SMS"
    WHATSAPP = "whatsapp", "WhatsApp"


class Purpose(models.TextChoices):
    SERVICE = "service", "Service (about the customer's own policies, claims, payments)"
    MARKETING = "marketing", "Marketing"


@pghistory.track()
class ConsentRecord(models.Model):
    """One entry of the append-only consent ledger: a grant or a withdrawal for an address (and its customer, when
    known) on one channel for one purpose. The latest entry for (address or customer, channel, purpose) decides;
    entries are never edited, so the ledger is the proof of what the person said, when and how."""

    permission_module = "messaging"

    class Source(models.TextChoices):
        PORTAL = "portal", "Customer portal"
        STAFF = "staff", "Staff (admin or API)"
        KEYWORD = "keyword", "Keyword in a message (STOP/START)"
        IMPORT = "import", "Import"

    customer = models.ForeignKey(
        "customers.Customer", null=True, blank=True, on_delete=models.CASCADE, related_name="consent_records"
    )
    channel = models.CharField(max_length=20, choices=Channel.choices)
    address = models.CharField(max_length=255, help_text="E.164 phone number or lower-case email address.")
    purpose = models.CharField(max_length=20, choices=Purpose.choices)
    granted = models.BooleanField()
    source = models.CharField(max_length=20, choices=Source.choices)
    note = models.CharField(max_length=255, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-recorded_at", "-id"]
        indexes = [
            models.Index(fields=["address", "channel", "purpose", "-recorded_at"], name="consent_address_latest"),
            models.Index(fields=["customer", "channel", "purpose", "-recorded_at"], name="consent_customer_latest"),
        ]

    def __str__(self) -> str:
        verb = "granted" if self.granted else "withdrawn"
        return f"{self.channel}/{self.purpose} {verb} for {self.address}"


@pghistory.track()
class DncEntry(TimeStampedModel):
    """An address nobody may contact (seed 004 §3.8 Do-Not-Contact list): a phone number in E.164 or an email
    address, on every channel (`channel` blank) or on one. Checked before consent: a DNC entry wins over a grant."""

    permission_module = "messaging"

    address = models.CharField(max_length=255, help_text="E.164 phone number or email address.")
    channel = models.CharField(max_length=20, choices=Channel.choices, blank=True, help_text="Blank: every channel.")
    reason = models.CharField(max_length=255, blank=True)
    source = models.CharField(max_length=50, blank=True, default="staff")
    customer = models.ForeignKey(
        "customers.Customer", null=True, blank=True, on_delete=models.SET_NULL, related_name="dnc_entries"
    )
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    expires_at = models.DateTimeField(null=True, blank=True, help_text="Blank: permanent.")

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "DNC entry"
        verbose_name_plural = "DNC list"
        constraints = [
            models.UniqueConstraint(fields=["address", "channel"], name="dnc_unique_address_channel"),
        ]
        indexes = [models.Index(fields=["address"], name="dnc_address")]

    def __str__(self) -> str:
        return f"{self.address} ({self.channel or 'all channels'})"


@pghistory.track()
class OutboundRefusal(models.Model):
    """A message the consent gate refused, with its reason: one row per (day, address, channel, purpose, reason,
    source), counted, so a nightly job retrying a refused reminder does not grow the table without bound."""

    permission_module = "messaging"

    class Reason(models.TextChoices):
        INVALID_ADDRESS = "invalid_address", "The address is not a valid phone number or email address"
        DNC = "dnc", "On the Do-Not-Contact list"
        OPTED_OUT = "opted_out", "The person opted out (STOP or a withdrawal)"
        NO_CONSENT = "no_consent", "No consent for this channel and purpose"
        QUIET_HOURS = "quiet_hours", "Inside the person's quiet hours"
        WHATSAPP_WINDOW = "whatsapp_window", "Outside the WhatsApp 24-hour window without an approved template"

    day = models.DateField()
    channel = models.CharField(max_length=20, choices=Channel.choices)
    address = models.CharField(max_length=255)
    purpose = models.CharField(max_length=20, choices=Purpose.choices)
    reason = models.CharField(max_length=30, choices=Reason.choices)
    detail = models.CharField(max_length=255, blank=True)
    source = models.CharField(max_length=100, help_text="Which sending path asked (reminder, agent reply, …).")
    customer = models.ForeignKey(
        "customers.Customer", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    count = models.PositiveIntegerField(default=1)
    first_at = models.DateTimeField()
    last_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-last_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["day", "address", "channel", "purpose", "reason", "source"], name="refusal_unique_per_day"
            ),
        ]
        indexes = [
            models.Index(fields=["customer", "-last_at"], name="refusal_customer", condition=Q(customer__isnull=False))
        ]

    def __str__(self) -> str:
        return f"{self.channel} to {self.address} refused: {self.reason}"
