"""The unified inbox's SMS and WhatsApp side: conversations per contact, messages (seed 004 `Message`) in both
directions with their provider ids and delivery status, and WhatsApp templates (seed 003 `whatsapp_templates`)."""

import pghistory
from django.conf import settings
from django.db import models
from django.db.models import Q

from apps.core.models import TimeStampedModel

from .consent import Channel, Purpose


@pghistory.track()
class Conversation(TimeStampedModel):
    """Everything exchanged with one contact across channels: one per customer, or per address for a sender we
    cannot match to a customer yet (linked when they are). Its last message is kept here for the inbox list."""

    permission_module = "messaging"

    customer = models.OneToOneField(
        "customers.Customer", null=True, blank=True, on_delete=models.CASCADE, related_name="conversation"
    )
    address = models.CharField(max_length=255, blank=True, help_text="The unknown sender's address (no customer).")
    last_message_at = models.DateTimeField(null=True, blank=True)
    last_channel = models.CharField(max_length=20, choices=Channel.choices, blank=True)
    last_direction = models.CharField(max_length=10, blank=True)
    last_preview = models.CharField(max_length=160, blank=True)
    unread_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-last_message_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["address"], condition=Q(customer__isnull=True), name="conversation_unique_unknown_address"
            ),
        ]
        indexes = [models.Index(fields=["-last_message_at", "-id"], name="conversation_recent")]

    def __str__(self) -> str:
        return f"Conversation with {self.customer or self.address}"


@pghistory.track()
class WhatsAppTemplate(TimeStampedModel):
    """A WhatsApp message template (seed 003 `whatsapp_templates`). Outside the 24-hour customer-service window
    only an approved template may be sent. `template_data` holds the body with {{1}}… placeholders and its
    components as Meta defines them; the status follows Meta's review (template status webhooks)."""

    permission_module = "messaging"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"

    class Category(models.TextChoices):
        UTILITY = "utility", "Utility"
        MARKETING = "marketing", "Marketing"
        AUTHENTICATION = "authentication", "Authentication"

    name = models.CharField(max_length=255)
    category = models.CharField(max_length=50, choices=Category.choices)
    language = models.CharField(max_length=10, default="en")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    template_data = models.JSONField(help_text='{"body": "Hello {{1}}, …", "components": [...]}')
    rejection_reason = models.CharField(max_length=255, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name", "language"]
        constraints = [models.UniqueConstraint(fields=["name", "language"], name="whatsapp_template_unique")]

    def __str__(self) -> str:
        return f"{self.name} ({self.language}, {self.status})"

    @property
    def body(self) -> str:
        return str((self.template_data or {}).get("body", ""))

    def render(self, variables: list[str]) -> str:
        text = self.body
        for i, value in enumerate(variables, start=1):
            text = text.replace(f"{{{{{i}}}}}", str(value))
        return text


@pghistory.track(exclude=["body"])
class Message(models.Model):
    """One SMS or WhatsApp message (seed 004 `Message`, for the unified inbox), inbound or outbound.

    Inbound messages are unique per (provider, provider_message_id), so a webhook delivered twice stores one
    message; an outbound one gets its provider id when the provider accepts it, and its status follows the
    delivery receipts (never backwards). The body is left out of the audit snapshots (personal content)."""

    permission_module = "messaging"

    class Direction(models.TextChoices):
        INBOUND = "inbound", "Inbound"
        OUTBOUND = "outbound", "Outbound"

    class Status(models.TextChoices):
        RECEIVED = "received", "Received"
        QUEUED = "queued", "Queued"
        SENT = "sent", "Sent"
        DELIVERED = "delivered", "Delivered"
        READ = "read", "Read"
        FAILED = "failed", "Failed"

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="messages")
    customer = models.ForeignKey(
        "customers.Customer", null=True, blank=True, on_delete=models.SET_NULL, related_name="messages"
    )
    channel = models.CharField(max_length=20, choices=Channel.choices)
    direction = models.CharField(max_length=10, choices=Direction.choices)
    from_address = models.CharField(max_length=255)
    to_address = models.CharField(max_length=255)
    body = models.TextField(blank=True)
    template = models.ForeignKey(WhatsAppTemplate, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    template_variables = models.JSONField(default=list, blank=True)
    purpose = models.CharField(max_length=20, choices=Purpose.choices, default=Purpose.SERVICE)
    provider = models.CharField(max_length=30)
    provider_message_id = models.CharField(max_length=255, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices)
    error_code = models.CharField(max_length=50, blank=True)
    error_message = models.CharField(max_length=255, blank=True)
    source = models.CharField(max_length=100, blank=True, help_text="Which path sent it (agent, renewal reminder…).")
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(db_index=True)
    status_updated_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True, help_text="When staff read an inbound message.")

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "provider_message_id"],
                condition=~Q(provider_message_id=""),
                name="message_unique_provider_id",
            ),
        ]
        indexes = [
            models.Index(fields=["conversation", "-created_at", "-id"], name="message_conversation_time"),
            models.Index(
                fields=["channel", "from_address", "-created_at"],
                name="message_inbound_from",
                condition=Q(direction="inbound"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.direction} {self.channel} {self.from_address} → {self.to_address}"
