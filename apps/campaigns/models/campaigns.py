"""Campaigns (seed 003 table `campaigns`): who they go to (`target_audience`, an audience segment as data), what
they say (`content`, and A/B variants), when (`schedule_type`, `scheduled_at`), on which `channels`, with what
`budget`; the recipient list frozen when the send starts, one send row per (campaign, recipient, variant), the
tracking events (opens, clicks, deliveries, bounces, complaints, unsubscribes) and the suppression list."""

import pghistory
import pgtrigger
from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q

from apps.core.models import TimeStampedModel, statement_trigger


class CampaignChannel(models.TextChoices):
    EMAIL = "email", "Email"
    SMS = "sms", "SMS"
    WHATSAPP = "whatsapp", "WhatsApp"


class CampaignStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SCHEDULED = "scheduled", "Scheduled"
    ACTIVE = "active", "Sending"
    PAUSED = "paused", "Paused"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"


class CampaignPurpose(models.TextChoices):
    MARKETING = "marketing", "Marketing"
    SERVICE = "service", "Service message"


class GoalMetric(models.TextChoices):
    CONVERSION = "conversion", "Conversion (renewed or bound a policy)"
    CLICK = "click", "Clicks"
    OPEN = "open", "Opens"


@pghistory.track()
class Campaign(TimeStampedModel):
    """A message to an audience on one or more channels (seed 003 `campaigns`). Each recipient gets one message,
    on the first of `channels` the consent gate allows. With two or more variants a share of the audience
    (`test_percent`) gets the variants by their weights; after `test_window_hours` the variant best on
    `goal_metric` wins and goes to the rest. `holdout_percent` of the audience gets nothing, to measure lift."""

    permission_module = "campaigns"

    name = models.CharField(max_length=255)
    description = models.TextField(blank=True)
    type = models.CharField(max_length=50, choices=CampaignChannel.choices)
    status = models.CharField(max_length=20, choices=CampaignStatus.choices, default=CampaignStatus.DRAFT)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    target_audience = models.JSONField(default=dict, blank=True)
    content = models.JSONField(default=dict, blank=True)
    schedule_type = models.CharField(
        max_length=20, choices=[("immediate", "Immediate"), ("scheduled", "Scheduled")], default="immediate"
    )
    scheduled_at = models.DateTimeField(null=True, blank=True)
    channels = ArrayField(models.CharField(max_length=50, choices=CampaignChannel.choices))
    budget = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    metrics = models.JSONField(default=dict, blank=True, help_text="Figures at the last progress update.")
    purpose = models.CharField(max_length=20, choices=CampaignPurpose.choices, default=CampaignPurpose.MARKETING)
    goal_metric = models.CharField(max_length=20, choices=GoalMetric.choices, default=GoalMetric.CONVERSION)
    attribution_days = models.PositiveSmallIntegerField(default=30)
    test_percent = models.PositiveSmallIntegerField(default=20, help_text="Share of the audience in the A/B test.")
    test_window_hours = models.PositiveSmallIntegerField(default=72)
    holdout_percent = models.PositiveSmallIntegerField(default=0)
    winner = models.ForeignKey(
        "campaigns.CampaignVariant", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    winner_reason = models.CharField(max_length=255, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    test_ends_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    send_deadline = models.DateTimeField(null=True, blank=True, help_text="Deferred (quiet hours) sends give up then.")
    survey = models.ForeignKey(
        "campaigns.Survey",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="campaigns",
        help_text="A published survey the campaign carries: each recipient gets their own signed link "
        "({{ survey_link }} in the body).",
    )

    class Meta:
        db_table = "campaigns"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["created_by"], name="idx_campaigns_created_by"),
            models.Index(fields=["status"], name="idx_campaigns_status"),
            models.Index(fields=["status", "scheduled_at"], name="campaigns_due", condition=Q(status="scheduled")),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(test_percent__lte=100) & Q(holdout_percent__lte=50),
                name="campaign_percents",
                violation_error_message="The test share is at most 100 % and the holdout at most 50 %.",
            ),
        ]

    def __str__(self) -> str:
        return self.name


@pghistory.track()
class CampaignVariant(TimeStampedModel):
    """One version of the campaign's content (A, B, …) with its share of the test group (`weight`, percent).
    `content` is {"subject", "body", "whatsapp_template_id", "template_variables"}; `links` are the URLs its body
    links to, in order: a click redirect names one by its index, so it can only lead to one of these."""

    permission_module = "campaigns"

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="variants")
    code = models.CharField(max_length=10)
    name = models.CharField(max_length=100, blank=True)
    weight = models.PositiveSmallIntegerField(default=50)
    content = models.JSONField(default=dict)
    links = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["campaign", "code"]
        constraints = [models.UniqueConstraint(fields=["campaign", "code"], name="campaign_variant_unique_code")]

    def __str__(self) -> str:
        return f"{self.campaign_id}/{self.code}"


class RecipientGroup(models.TextChoices):
    TEST = "test", "A/B test"
    REST = "rest", "Rest (gets the winner)"
    HOLDOUT = "holdout", "Holdout (nothing sent)"


class CampaignRecipient(models.Model):
    """The recipient list, frozen when the send starts (one INSERT … SELECT of the compiled audience): who, in
    which group, and for the test group which variant. Append-only: the list a campaign went to is a fact."""

    permission_module = "campaigns"

    # (campaign_recipient_batch below indexes the campaign first)
    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="recipients", db_index=False)
    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="+")
    group = models.CharField(max_length=10, choices=RecipientGroup.choices)
    variant = models.ForeignKey(CampaignVariant, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        db_table = "campaign_recipients"
        ordering = ["campaign", "id"]
        constraints = [models.UniqueConstraint(fields=["campaign", "customer"], name="campaign_recipient_unique")]
        # A batch reads its id range of one campaign's list: both in the index condition, so a list frozen moments
        # ago (no statistics yet) is not read whole for each batch of 500 (43 ms → 1 ms a batch at 100k).
        indexes = [models.Index(fields=["campaign", "id"], name="campaign_recipient_batch")]
        triggers = [pgtrigger.Protect(name="append_only", operation=pgtrigger.Update | pgtrigger.Delete)]

    def __str__(self) -> str:
        return f"{self.campaign_id}:{self.customer_id} ({self.group})"


class SendStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    SENT = "sent", "Sent"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed"
    BOUNCED = "bounced", "Bounced"
    REFUSED = "refused", "Refused by the consent gate"
    SUPPRESSED = "suppressed", "Suppressed"
    CANCELLED = "cancelled", "Cancelled"


# The rollup's figures, each as "per send row" SQL: a send counts +1 in the state it is in (the trigger adds the
# new rows and takes away the old ones, so an update moves a send between states exactly).
ROLLUP_FIGURES = {
    "sent": "(sent_at IS NOT NULL)::int",
    "delivered": "(delivered_at IS NOT NULL)::int",
    "opened": "(opened_at IS NOT NULL)::int",
    "machine_opened": "(machine_opened_at IS NOT NULL AND opened_at IS NULL)::int",
    "clicked": "(clicked_at IS NOT NULL)::int",
    "bounced": "(status = 'bounced')::int",
    "failed": "(status = 'failed')::int",
    "refused": "(status = 'refused')::int",
    "suppressed": "(status = 'suppressed')::int",
    "queued": "(status = 'queued')::int",
    "cancelled": "(status = 'cancelled')::int",
    "spent": "CASE WHEN sent_at IS NOT NULL THEN cost ELSE 0 END",
}
_KEY = "campaign_id, variant_id, channel, (sent_at AT TIME ZONE 'UTC')::date AS day"


def rollup_insert_sql(*tables: tuple[str, int]) -> str:
    """The rows' figures (rows of a table with sign +1 added, with -1 taken away) summed per key and added to the
    rollup, in key order (two writers lock rollup rows in the same order). The statement triggers' body, and the
    backfill over `campaign_sends` itself."""
    figures = ", ".join(ROLLUP_FIGURES)
    parts = " UNION ALL ".join(
        f"SELECT {_KEY}, "  # noqa: S608
        + ", ".join(f"{sign} * ({sql}) AS {name}" for name, sql in ROLLUP_FIGURES.items())
        + f" FROM {table}"
        for table, sign in tables
    )
    sums = ", ".join(f"sum({name})" for name in ROLLUP_FIGURES)
    updates = ", ".join(f"{name} = r.{name} + EXCLUDED.{name}" for name in ROLLUP_FIGURES)
    return f"""
        INSERT INTO campaign_send_rollups AS r (campaign_id, variant_id, channel, day, {figures})
        SELECT campaign_id, variant_id, channel, day, {sums} FROM ({parts}) d
        GROUP BY campaign_id, variant_id, channel, day ORDER BY campaign_id, variant_id, channel, day
        ON CONFLICT (campaign_id, variant_id, channel, day) DO UPDATE SET {updates};"""  # noqa: S608


def _rollup_trigger(name: str, operation, tables: tuple[tuple[str, int], ...]) -> pgtrigger.Trigger:
    return statement_trigger(name, operation, rollup_insert_sql(*tables))


@pghistory.track(exclude=["address"])
class CampaignSend(models.Model):
    """One message of a campaign to one recipient in one variant — unique, so a retried or restarted worker can
    never create a second. Written queued (or refused/suppressed, with the reason) for a whole batch at once,
    then handed to the provider one by one under a row lock; the first open, click, delivery are kept here for
    the analytics (the raw events are `TrackingEvent`)."""

    permission_module = "campaigns"

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="sends")
    recipient = models.ForeignKey(CampaignRecipient, on_delete=models.PROTECT, related_name="sends")
    variant = models.ForeignKey(CampaignVariant, on_delete=models.PROTECT, related_name="sends")
    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="+")
    channel = models.CharField(max_length=20, choices=CampaignChannel.choices, blank=True)
    address = models.CharField(max_length=255, blank=True)
    status = models.CharField(max_length=20, choices=SendStatus.choices)
    reason = models.CharField(max_length=40, blank=True)
    detail = models.CharField(max_length=255, blank=True)
    provider = models.CharField(max_length=60, blank=True)
    provider_message_id = models.CharField(max_length=255, blank=True)
    cost = models.DecimalField(max_digits=10, decimal_places=4, default=0)
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    machine_opened_at = models.DateTimeField(null=True, blank=True)
    clicked_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "campaign_sends"
        ordering = ["campaign", "id"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "recipient", "variant"], name="campaign_send_once"),
        ]
        indexes = [
            models.Index(fields=["campaign", "status"], name="campaign_send_status"),
            models.Index(fields=["campaign", "variant", "sent_at"], name="campaign_send_variant_time"),
            models.Index(
                fields=["provider", "provider_message_id"],
                name="campaign_send_provider_id",
                condition=~Q(provider_message_id=""),
            ),
            models.Index(fields=["customer", "sent_at"], name="campaign_send_customer"),
        ]
        triggers = [
            _rollup_trigger("rollup_insert", pgtrigger.Insert, (("new_rows", 1),)),
            _rollup_trigger("rollup_update", pgtrigger.Update, (("new_rows", 1), ("old_rows", -1))),
            _rollup_trigger("rollup_delete", pgtrigger.Delete, (("old_rows", -1),)),
        ]

    def __str__(self) -> str:
        return f"send {self.pk} ({self.status})"


class CampaignSendRollup(models.Model):
    """The sends' figures per (campaign, variant, channel, UTC day of sending; no day while unsent), kept exact
    by statement triggers on `campaign_sends` (every writer: batches, deliveries, pixel, clicks, webhooks,
    cancels), so the analytics read a few rows instead of every send. Conversion is not here: it depends on
    later policy moves and is computed from those."""

    permission_module = "campaigns"

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="+", db_constraint=False)
    variant = models.ForeignKey(CampaignVariant, on_delete=models.CASCADE, related_name="+", db_constraint=False)
    channel = models.CharField(max_length=20, blank=True)
    day = models.DateField(null=True, blank=True)
    sent = models.BigIntegerField(default=0)
    delivered = models.BigIntegerField(default=0)
    opened = models.BigIntegerField(default=0)
    machine_opened = models.BigIntegerField(default=0)
    clicked = models.BigIntegerField(default=0)
    bounced = models.BigIntegerField(default=0)
    failed = models.BigIntegerField(default=0)
    refused = models.BigIntegerField(default=0)
    suppressed = models.BigIntegerField(default=0)
    queued = models.BigIntegerField(default=0)
    cancelled = models.BigIntegerField(default=0)
    spent = models.DecimalField(max_digits=16, decimal_places=4, default=0)

    class Meta:
        db_table = "campaign_send_rollups"
        ordering = ["campaign", "day"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "variant", "channel", "day"], name="campaign_rollup_key", nulls_distinct=False
            )
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id}/{self.variant_id}/{self.channel}/{self.day}"


class TrackingKind(models.TextChoices):
    DELIVERED = "delivered", "Delivered"
    OPEN = "open", "Opened"
    MACHINE_OPEN = "machine_open", "Opened by a machine (privacy proxy, scanner)"
    CLICK = "click", "Clicked"
    BOUNCE = "bounce", "Bounced"
    COMPLAINT = "complaint", "Marked as spam"
    UNSUBSCRIBE = "unsubscribe", "Unsubscribed"
    FAILED = "failed", "Failed"


class TrackingEvent(models.Model):
    """What happened to a send after it left: the raw, append-only log (pixel hits, clicks, ESP webhooks)."""

    permission_module = "campaigns"

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="+")
    send = models.ForeignKey(CampaignSend, on_delete=models.PROTECT, related_name="tracking_events")
    variant_id_copy = models.BigIntegerField(help_text="The send's variant (aggregates without the join).")
    kind = models.CharField(max_length=20, choices=TrackingKind.choices)
    occurred_at = models.DateTimeField()
    url = models.CharField(max_length=2000, blank=True)
    user_agent = models.CharField(max_length=255, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    provider_event_id = models.CharField(max_length=255, blank=True)

    class Meta:
        db_table = "campaign_tracking_events"
        ordering = ["-occurred_at", "-id"]
        indexes = [models.Index(fields=["campaign", "kind", "occurred_at"], name="tracking_campaign_kind_time")]
        constraints = [
            models.UniqueConstraint(
                fields=["provider_event_id"], condition=~Q(provider_event_id=""), name="tracking_event_once"
            ),
        ]
        triggers = [pgtrigger.Protect(name="append_only", operation=pgtrigger.Update | pgtrigger.Delete)]

    def __str__(self) -> str:
        return f"{self.kind} of send {self.send_id}"


class TrackingFlush(models.Model):
    """A batch of buffered pixel hits and clicks that has been written (`services.tracking_buffer`): its key is
    inserted in the same transaction as the batch's events, so a batch retried after its flusher died — or applied
    by two flushers — is written once. Keys older than CAMPAIGNS_TRACKING_FLUSH_KEEP_DAYS are pruned."""

    permission_module = "campaigns"

    batch = models.CharField(max_length=32, primary_key=True, help_text="The batch's key in the Redis buffer.")
    hits = models.PositiveIntegerField()
    flushed_at = models.DateTimeField(db_index=True)

    class Meta:
        db_table = "campaign_tracking_flushes"
        ordering = ["-flushed_at"]

    def __str__(self) -> str:
        return f"flush {self.batch} ({self.hits} hits)"


@pghistory.track()
class Suppression(TimeStampedModel):
    """An address campaigns never go to again on a channel: a hard bounce or a spam complaint reported by the
    ESP, or added by staff. Service messages respect it too (the address is dead or the person objected)."""

    permission_module = "campaigns"

    class Reason(models.TextChoices):
        BOUNCE = "bounce", "Hard bounce"
        COMPLAINT = "complaint", "Spam complaint"
        MANUAL = "manual", "Added by staff"

    channel = models.CharField(max_length=20, choices=CampaignChannel.choices)
    address = models.CharField(max_length=255)
    reason = models.CharField(max_length=20, choices=Reason.choices)
    detail = models.CharField(max_length=255, blank=True)
    send = models.ForeignKey(CampaignSend, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["channel", "address"], name="suppression_unique_address")]

    def __str__(self) -> str:
        return f"{self.address} ({self.channel}, {self.reason})"
