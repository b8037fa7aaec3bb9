"""Surveys (seed 003 Survey & Feedback Service, tables `surveys` and `survey_responses`).

A survey is built as data: its `questions` (the working copy an editor changes) and `settings`. Publishing
freezes them into a `SurveyVersion` (append-only: a published version never changes); invitations and responses
bind to the version they were issued for. An invitation is one signed, single-use link for one customer; its
response is unique per invitation, so a link is answered once. Responses are append-only: the answers as given,
plus what analytics groups by (the score, agent, team, product line, channel) and the free text's category and
sentiment from the local classifier, all fixed when the answer arrives.
"""

import pghistory
import pgtrigger
from django.conf import settings as conf
from django.db import models
from django.db.models import Q

from apps.core.models import TimeStampedModel


class SurveyKind(models.TextChoices):
    NPS = "nps", "Net Promoter Score (0–10)"
    CSAT = "csat", "Customer satisfaction (1–5)"
    CUSTOM = "custom", "Custom questionnaire"


class SurveyStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"
    CLOSED = "closed", "Closed"


class SurveyTrigger(models.TextChoices):
    """The lifecycle moment that sends a published survey by itself (one published survey per trigger)."""

    CLAIM_CLOSED = "claim_closed", "Claim closed"
    RENEWAL_COMPLETED = "renewal_completed", "Renewal completed"
    TICKET_RESOLVED = "ticket_resolved", "Support ticket resolved"


class SurveyChannel(models.TextChoices):
    EMAIL = "email", "Email"
    SMS = "sms", "SMS"
    WHATSAPP = "whatsapp", "WhatsApp"
    LINK = "link", "Link only (handed over by the caller, e.g. a campaign)"


@pghistory.track()
class Survey(TimeStampedModel):
    """A questionnaire (seed 003 `surveys`): title, questions and settings as data, status, publish and expiry.
    `questions` is the editable working copy; `current_version` is what is live."""

    permission_module = "surveys"

    title = models.CharField(max_length=255)
    description = models.TextField(blank=True)
    kind = models.CharField(max_length=10, choices=SurveyKind.choices, default=SurveyKind.CUSTOM)
    created_by = models.ForeignKey(
        conf.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=20, choices=SurveyStatus.choices, default=SurveyStatus.DRAFT)
    questions = models.JSONField(default=list)
    settings = models.JSONField(default=dict, blank=True)
    trigger = models.CharField(
        max_length=30,
        choices=SurveyTrigger.choices,
        blank=True,
        help_text="Sent by itself at this lifecycle moment while published.",
    )
    published_at = models.DateTimeField(null=True, blank=True, editable=False)
    expires_at = models.DateTimeField(null=True, blank=True)
    response_count = models.PositiveIntegerField(default=0, editable=False)
    current_version = models.ForeignKey(
        "campaigns.SurveyVersion", null=True, blank=True, on_delete=models.PROTECT, related_name="+", editable=False
    )

    class Meta:
        db_table = "surveys"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["trigger"],
                condition=Q(status="published") & ~Q(trigger=""),
                name="surveys_one_published_per_trigger",
            )
        ]
        indexes = [models.Index(fields=["status", "-created_at"], name="surveys_status_created")]

    def __str__(self) -> str:
        return self.title


class SurveyVersion(models.Model):
    """One published state of a survey's questions and settings. Append-only: a published version is immutable
    (the database refuses UPDATE and DELETE); editing a published survey and publishing again makes the next."""

    permission_module = "surveys"

    survey = models.ForeignKey(Survey, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    kind = models.CharField(max_length=10, choices=SurveyKind.choices)
    title = models.CharField(max_length=255)
    questions = models.JSONField()
    settings = models.JSONField(default=dict, blank=True)  # none set: the defaults (links valid 30 days)
    published_by = models.ForeignKey(
        conf.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    published_at = models.DateTimeField()

    class Meta:
        ordering = ["survey", "-number"]
        constraints = [models.UniqueConstraint(fields=["survey", "number"], name="survey_version_once")]
        triggers = [pgtrigger.Protect(name="append_only", operation=pgtrigger.Update | pgtrigger.Delete)]

    def __str__(self) -> str:
        return f"{self.survey_id} v{self.number}"


@pghistory.track(exclude=["nonce"])  # the link's secret stays out of the history
class SurveyInvitation(models.Model):
    """One customer asked to answer one survey version: the signed link's row (its nonce is part of what is
    signed), why it was sent (`source`, unique per `key`: one invitation per trigger) and what happened."""

    permission_module = "surveys"

    class Status(models.TextChoices):
        PENDING = "pending", "Issued (link not sent by us)"
        SENT = "sent", "Sent"
        NOT_SENT = "not_sent", "Not sent (refused by the consent gate)"
        ANSWERED = "answered", "Answered"

    survey = models.ForeignKey(Survey, on_delete=models.PROTECT, related_name="invitations")
    version = models.ForeignKey(SurveyVersion, on_delete=models.PROTECT, related_name="invitations")
    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="survey_invitations")
    key = models.CharField(max_length=150, unique=True, help_text="Idempotency: one invitation per trigger.")
    source = models.CharField(max_length=100, help_text="What asked for it: claim_closed:CLM-…, campaign:12, …")
    channel = models.CharField(max_length=10, choices=SurveyChannel.choices)
    nonce = models.CharField(max_length=43, editable=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    refusal_reason = models.CharField(max_length=40, blank=True)
    agent = models.ForeignKey(conf.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    team = models.ForeignKey("accounts.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    product_line = models.CharField(max_length=30, blank=True)
    expires_at = models.DateTimeField()
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["survey", "status"], name="survey_invitations_status")]

    def __str__(self) -> str:
        return f"{self.survey_id} → {self.customer_id} ({self.source})"


class SurveyResponse(models.Model):
    """One completed survey (seed 003 `survey_responses`): the answers as given (`responses`, by question id),
    `completion_time` in seconds, IP and user agent; bound to its version and invitation (unique: a link is
    answered once). The score and the dimensions analytics groups by are copied here when it arrives; the free
    text is categorised and scored for sentiment then. Append-only (GDPR erasure alone scrubs through it)."""

    permission_module = "surveys"

    survey = models.ForeignKey(Survey, on_delete=models.PROTECT, related_name="responses")
    version = models.ForeignKey(SurveyVersion, on_delete=models.PROTECT, related_name="responses")
    invitation = models.OneToOneField(
        SurveyInvitation, null=True, blank=True, on_delete=models.PROTECT, related_name="response"
    )
    customer = models.ForeignKey(
        "customers.Customer", null=True, blank=True, on_delete=models.PROTECT, related_name="survey_responses"
    )
    responses = models.JSONField()
    completion_time = models.PositiveIntegerField(null=True, blank=True, help_text="Seconds from open to submit.")
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.TextField(blank=True)
    score = models.SmallIntegerField(null=True, blank=True, help_text="The NPS (0–10) or CSAT (1–5) answer.")
    score_kind = models.CharField(max_length=10, blank=True)
    channel = models.CharField(max_length=10, blank=True)
    source = models.CharField(max_length=100, blank=True)
    agent = models.ForeignKey(conf.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    team = models.ForeignKey("accounts.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    product_line = models.CharField(max_length=30, blank=True)
    feedback = models.TextField(blank=True, help_text="The free-text answers, as classified.")
    feedback_category = models.CharField(max_length=30, blank=True)
    sentiment_score = models.FloatField(null=True, blank=True)
    sentiment_label = models.CharField(max_length=10, blank=True)
    classifier_version = models.CharField(max_length=30, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        db_table = "survey_responses"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["survey", "created_at"], name="survey_responses_created"),
            models.Index(fields=["agent", "survey"], name="survey_responses_agent"),
        ]
        triggers = [pgtrigger.Protect(name="append_only", operation=pgtrigger.Update | pgtrigger.Delete)]

    def __str__(self) -> str:
        return f"{self.survey_id} response {self.pk}"

    @property
    def nps_group(self) -> str:
        if self.score_kind != SurveyKind.NPS or self.score is None:
            return ""
        return "promoter" if self.score >= 9 else "passive" if self.score >= 7 else "detractor"

    @property
    def is_detractor(self) -> bool:
        if self.score is None:
            return False
        return self.score <= 6 if self.score_kind == SurveyKind.NPS else self.score <= 2


@pghistory.track()
class SurveyFollowUp(models.Model):
    """The follow-up ticket a detractor's answer opened for the customer's agent (once per response)."""

    permission_module = "surveys"

    response = models.OneToOneField(SurveyResponse, on_delete=models.PROTECT, related_name="follow_up")
    ticket = models.ForeignKey("support.Ticket", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.response_id} → {self.ticket_id}"
