"""The AI assistant's data: its settings (seed 003 `ai_settings`), conversations, the actions it proposes and the
person confirms, every tool call it made (append-only) and the answers its guardrails rescinded (seed 004 §3.8)."""

from decimal import Decimal

import pghistory
import pgtrigger
from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from encrypted_fields.fields import EncryptedCharField

from apps.core.models import TimeStampedModel


class Provider(models.TextChoices):
    LOCAL = "local", "Local (offline retrieval and intent model)"
    OPENAI = "openai", "OpenAI"
    AZURE = "azure", "Azure OpenAI"
    OPENAI_COMPATIBLE = "openai_compatible", "Self-hosted (OpenAI-compatible API)"
    GEMINI = "gemini", "Google Gemini"


class Channel(models.TextChoices):
    COPILOT = "copilot", "Agent copilot"
    CUSTOMER = "customer", "Customer chat"
    QUERY = "query", "AI query"


DEFAULT_FEATURES = {
    "renewalInsights": True,
    "processOptimization": True,
    "customerRetention": True,
    "predictiveAnalytics": False,
    "customerChat": True,
    "copilot": True,
}
DEFAULT_KNOWLEDGE_BASE = {"faq": True, "knowledge_hub": True, "categories": []}
DEFAULT_FALLBACK = (
    "The assistant cannot answer right now. Please try again in a few minutes, or ask a colleague or our service desk."
)


def _features() -> dict:
    return dict(DEFAULT_FEATURES)


def _knowledge_base() -> dict:
    return dict(DEFAULT_KNOWLEDGE_BASE)


@pghistory.track(exclude=["api_key_encrypted"])
class AiSettings(TimeStampedModel):
    """The assistant's configuration (seed 003 `ai_settings`), one row. The provider's API key is Fernet-encrypted
    at rest, written through `PUT /ai/settings` and never returned nor kept in the history."""

    permission_module = "settings"

    enabled = models.BooleanField(default=True)
    provider = models.CharField(max_length=50, choices=Provider.choices, default=Provider.LOCAL)
    api_key_encrypted = EncryptedCharField(max_length=500, blank=True, null=True)
    base_url = models.URLField(
        max_length=300, blank=True, help_text="Azure resource or self-hosted endpoint (OpenAI-compatible)."
    )
    api_version = models.CharField(max_length=30, blank=True, help_text="Azure OpenAI api-version.")
    model = models.CharField(max_length=100, default="local-retrieval-1")
    temperature = models.DecimalField(
        max_digits=3,
        decimal_places=2,
        default=Decimal("0.70"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("2"))],
    )
    max_tokens = models.PositiveIntegerField(default=1000, validators=[MinValueValidator(16), MaxValueValidator(32000)])
    response_timeout = models.PositiveIntegerField(
        default=30, validators=[MinValueValidator(1), MaxValueValidator(300)]
    )
    rate_limit_per_minute = models.PositiveIntegerField(default=60, validators=[MinValueValidator(1)])
    rate_limit_per_hour = models.PositiveIntegerField(default=1000, validators=[MinValueValidator(1)])
    context_window_tokens = models.PositiveIntegerField(
        default=8000, validators=[MinValueValidator(500)], help_text="History beyond this is trimmed (oldest first)."
    )
    cache_seconds = models.PositiveIntegerField(default=300, help_text="Identical questions in one scope; 0 = off.")
    features = models.JSONField(default=_features)
    knowledge_base = models.JSONField(default=_knowledge_base, blank=True)
    fallback_enabled = models.BooleanField(default=True)
    fallback_message = models.TextField(blank=True, default=DEFAULT_FALLBACK)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = "AI settings"
        verbose_name_plural = "AI settings"

    def __str__(self) -> str:
        return f"{self.get_provider_display()} · {self.model}"


@pghistory.track(exclude=["messages"])
class Conversation(TimeStampedModel):
    """One chat with the assistant: the turns as the server gave them (a history sent back by a client is checked
    against these, so a forged assistant turn is refused), and the page context of the last request."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="ai_conversations")
    channel = models.CharField(max_length=10, choices=Channel.choices)
    messages = models.JSONField(default=list, blank=True)
    context = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-updated_at", "-id"]
        indexes = [models.Index(fields=["user", "channel", "-updated_at"], name="ai_conversation_user")]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} #{self.pk}"


class ActionStatus(models.TextChoices):
    PENDING = "pending", "Waiting for confirmation"
    CONFIRMED = "confirmed", "Confirmed and done"
    REFUSED = "refused", "Refused"
    FAILED = "failed", "Confirmed but refused by the service"
    EXPIRED = "expired", "Expired"


@pghistory.track()
class ProposedAction(TimeStampedModel):
    """A write the assistant prepared (create or update a lead, book an appointment, file a claim, open a request):
    nothing happens until the person it was proposed to confirms it; then the service runs as them."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="ai_actions")
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="actions")
    tool = models.CharField(max_length=50)
    arguments = models.JSONField(default=dict)
    summary = models.CharField(max_length=500)
    status = models.CharField(max_length=10, choices=ActionStatus.choices, default=ActionStatus.PENDING)
    result = models.JSONField(default=dict, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "status"], name="ai_action_user_status")]

    def __str__(self) -> str:
        return f"{self.tool} ({self.status})"

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()


class ToolOutcome(models.TextChoices):
    EXECUTED = "executed", "Read and answered"
    PROPOSED = "proposed", "Proposed for confirmation"
    CONFIRMED = "confirmed", "Confirmed and done"
    REFUSED = "refused", "Refused by the person"
    DENIED = "denied", "Denied (permission or scope)"
    INVALID = "invalid", "Invalid arguments"
    FAILED = "failed", "Refused by the service"
    REJECTED = "rejected", "Request rejected (bad input)"


class ToolCallRecord(models.Model):
    """Every tool call the assistant made or was asked to make, and every refused attempt (append-only): who, which
    tool, with what arguments, what came of it."""

    permission_module = "settings"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    conversation = models.ForeignKey(
        Conversation, null=True, blank=True, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    action = models.ForeignKey(
        ProposedAction, null=True, blank=True, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    channel = models.CharField(max_length=10, choices=Channel.choices)
    tool = models.CharField(max_length=50)
    arguments = models.JSONField(default=dict, blank=True)
    result = models.JSONField(default=dict, blank=True)
    outcome = models.CharField(max_length=10, choices=ToolOutcome.choices)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "-created_at"], name="ai_toolcall_user_time")]
        triggers = [pgtrigger.Protect(name="append_only", operation=pgtrigger.Update | pgtrigger.Delete)]

    def __str__(self) -> str:
        return f"{self.tool} {self.outcome}"


class RescindedResponse(models.Model):
    """An answer the output guardrails blocked (seed 004 §3.8 RescindedResponse): the rule, the original text and
    the safe reply the person saw instead (append-only)."""

    permission_module = "settings"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    conversation = models.ForeignKey(
        Conversation, null=True, blank=True, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    channel = models.CharField(max_length=10, choices=Channel.choices)
    rule = models.CharField(max_length=40, db_index=True)
    reason = models.CharField(max_length=300, blank=True)
    original = models.TextField()
    replacement = models.TextField()
    provider = models.CharField(max_length=50, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        triggers = [pgtrigger.Protect(name="append_only", operation=pgtrigger.Update | pgtrigger.Delete)]

    def __str__(self) -> str:
        return f"{self.rule} #{self.pk}"
