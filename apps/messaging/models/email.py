"""The shared email inbox (seed 003 tables `emails` and `email_accounts`): mailboxes synced over IMAP, the mail in
them (parsed, threaded, linked to the records it is about, classified), replies sent through the account's SMTP,
managed reply templates, the classifier's versions and the labelled examples it learns from."""

import pghistory
import pgtrigger
from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector, SearchVectorField
from django.db import models
from encrypted_fields.fields import EncryptedCharField

from apps.core.models import TimeStampedModel


class EmailCategory(models.TextChoices):
    # seed 003's four, then what a brokerage's inbox needs
    COMPLAINT = "complaint", "Complaint"
    FEEDBACK = "feedback", "Feedback"
    REFUND = "refund", "Refund"
    APPOINTMENT = "appointment", "Appointment"
    CLAIM = "claim", "Claim"
    RENEWAL = "renewal", "Renewal"
    CANCELLATION = "cancellation", "Cancellation"
    PAYMENT = "payment", "Payment"
    OTHER = "other", "Other"


class EmailPriority(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"
    URGENT = "urgent", "Urgent"


class EmailStatus(models.TextChoices):
    NEW = "new", "New"
    IN_PROGRESS = "in_progress", "In progress"
    RESOLVED = "resolved", "Resolved"


@pghistory.track(exclude=["password_encrypted"])
class EmailAccount(TimeStampedModel):
    """A mailbox the brokerage reads over IMAP and answers from over SMTP. The password is Fernet-encrypted at
    rest and never leaves the server (no API returns it; the admin form only replaces it). `uid_validity` and
    `last_uid` are the IMAP sync cursor: a new UIDVALIDITY makes the next sync read the mailbox from the start
    (nothing is stored twice: Message-IDs are unique per account)."""

    permission_module = "settings"  # mailboxes and their passwords: administrators only

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        PAUSED = "paused", "Paused"
        ERROR = "error", "Error"

    name = models.CharField(max_length=100)
    email = models.EmailField(max_length=255, unique=True)
    provider = models.CharField(max_length=50, default="imap", help_text="e.g. imap, gmail, office365, dovecot.")
    imap_server = models.CharField(max_length=255)
    imap_port = models.PositiveIntegerField(default=993)
    smtp_server = models.CharField(max_length=255)
    smtp_port = models.PositiveIntegerField(default=465)
    username = models.CharField(max_length=255)
    password_encrypted = EncryptedCharField(max_length=500)
    use_ssl = models.BooleanField(default=True, help_text="Implicit TLS for IMAP (993) and SMTP (465).")
    smtp_starttls = models.BooleanField(default=False, help_text="STARTTLS on a plain SMTP port (587).")
    folder = models.CharField(max_length=255, default="INBOX")
    auto_sync = models.BooleanField(default=True)
    sync_interval = models.PositiveIntegerField(default=5, help_text="Minutes between syncs.")
    last_sync = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ACTIVE)
    last_error = models.TextField(blank=True)
    uid_validity = models.BigIntegerField(null=True, blank=True, editable=False)
    last_uid = models.BigIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"

    @property
    def domain(self) -> str:
        return self.email.rsplit("@", 1)[-1]


@pghistory.track(exclude=["search_vector", "body_text", "body_html"], model_name="EmailHistory")  # body: immutable
class Email(TimeStampedModel):
    """One message of the shared inbox, received (`inbound`, from IMAP) or sent (`outbound`, a reply).

    `correspondent` is the outside party (the sender of inbound mail, the recipient of a reply): threads never
    cross correspondents. `automated` marks auto-replies, bounces and mail loops, which are never answered.
    `link_reasons` says in words why the email is linked to its customer and records ("sender = customer
    CUS-…", "subject names CLM-…")."""

    permission_module = "emails"

    class Direction(models.TextChoices):
        INBOUND = "inbound", "Received"
        OUTBOUND = "outbound", "Sent"

    class Automated(models.TextChoices):
        NO = "", "No"
        AUTO_REPLY = "auto_reply", "Auto-reply"
        BOUNCE = "bounce", "Bounce"
        LOOP = "loop", "Mail loop"

    class Delivery(models.TextChoices):
        NONE = "", "—"
        QUEUED = "queued", "Queued"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    account = models.ForeignKey(EmailAccount, on_delete=models.PROTECT, related_name="emails")
    direction = models.CharField(max_length=10, choices=Direction.choices, default=Direction.INBOUND)
    message_id = models.CharField(max_length=255)
    thread_id = models.CharField(max_length=255, blank=True, db_index=True)
    in_reply_to = models.CharField(max_length=255, blank=True)
    references = models.TextField(blank=True)
    imap_uid = models.BigIntegerField(null=True, blank=True)
    from_email = models.CharField(max_length=255)
    from_name = models.CharField(max_length=255, blank=True)
    to_email = models.CharField(max_length=255)
    cc_emails = ArrayField(models.CharField(max_length=255), default=list, blank=True)
    bcc_emails = ArrayField(models.CharField(max_length=255), default=list, blank=True)
    correspondent = models.CharField(max_length=255, help_text="The outside party's address, lower case.")
    subject = models.TextField(blank=True)
    subject_normalised = models.CharField(max_length=255, blank=True, editable=False)
    body_text = models.TextField(blank=True)
    body_html = models.TextField(blank=True, help_text="Sanitised (nh3) for display.")
    attachments = models.JSONField(default=list, blank=True)
    parse_defects = models.JSONField(default=list, blank=True)
    automated = models.CharField(max_length=12, choices=Automated.choices, default=Automated.NO, blank=True)
    category = models.CharField(max_length=50, choices=EmailCategory.choices, default=EmailCategory.OTHER)
    category_source = models.CharField(max_length=10, default="model", help_text="model or manual")
    priority = models.CharField(max_length=20, choices=EmailPriority.choices, default=EmailPriority.MEDIUM)
    status = models.CharField(max_length=20, choices=EmailStatus.choices, default=EmailStatus.NEW)
    delivery_status = models.CharField(max_length=10, choices=Delivery.choices, default=Delivery.NONE, blank=True)
    delivery_error = models.TextField(blank=True)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="assigned_emails"
    )
    sentiment_score = models.DecimalField(max_digits=3, decimal_places=2, null=True, blank=True)
    sentiment_label = models.CharField(max_length=20, blank=True)
    ai_intent = models.JSONField(default=dict, blank=True)
    model_version = models.CharField(max_length=40, blank=True)
    read_status = models.BooleanField(default=False)
    escalated_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="escalated_emails"
    )
    escalation_reason = models.TextField(blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    customer = models.ForeignKey(
        "customers.Customer", null=True, blank=True, on_delete=models.SET_NULL, related_name="emails"
    )
    link_reasons = models.JSONField(default=list, blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="sent_emails"
    )
    received_at = models.DateTimeField()
    search_vector = models.GeneratedField(
        expression=SearchVector("subject", "from_email", "from_name", "body_text", config="simple"),
        output_field=SearchVectorField(),
        db_persist=True,
    )

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [
            # nothing fetched twice: a message is stored once per mailbox, whatever its IMAP UID
            models.UniqueConstraint(fields=["account", "message_id"], name="email_message_once_per_account"),
        ]
        indexes = [
            GinIndex(fields=["search_vector"], name="emails_search_gin"),
            models.Index(fields=["direction", "-received_at", "-id"], name="emails_inbox_order"),
            models.Index(fields=["status", "-received_at"], name="emails_status_received"),
            models.Index(fields=["assigned_to", "status"], name="emails_assignee_status"),
            models.Index(fields=["category", "-received_at"], name="emails_category_received"),
            models.Index(fields=["account", "correspondent", "subject_normalised"], name="emails_subject_thread"),
            models.Index(fields=["customer", "-received_at"], name="emails_customer"),
        ]

    def __str__(self) -> str:
        return f"{self.from_email}: {self.subject[:60]}"

    @property
    def sentiment(self) -> dict:
        score = float(self.sentiment_score) if self.sentiment_score is not None else None
        return {"score": score, "label": self.sentiment_label}


@pghistory.track()
class EmailLink(models.Model):
    """A record an email is about, with the reason in words. One row per (email, kind, record)."""

    permission_module = "emails"

    class Kind(models.TextChoices):
        CUSTOMER = "customer", "Customer"
        POLICY = "policy", "Policy"
        CLAIM = "claim", "Claim"
        CASE = "case", "Renewal case"

    email = models.ForeignKey(Email, on_delete=models.CASCADE, related_name="links")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    object_id = models.BigIntegerField()
    label = models.CharField(max_length=40, help_text="The record's number (CUS-…, POL-…, CLM-…, REN-…).")
    reason = models.CharField(max_length=200)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["email", "kind", "object_id"], name="email_link_once")]
        indexes = [models.Index(fields=["kind", "object_id"], name="email_links_record")]

    def __str__(self) -> str:
        return f"{self.label}: {self.reason}"


class EmailEvent(models.Model):
    """One line of an email's timeline (status moves, assignment, escalation, replies). Append-only."""

    permission_module = "emails"

    email = models.ForeignKey(Email, on_delete=models.CASCADE, related_name="timeline_events")
    action = models.CharField(max_length=60)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    details = models.TextField(blank=True)
    occurred_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["occurred_at", "id"]
        triggers = [pgtrigger.Protect(name="email_events_append_only", operation=pgtrigger.Update | pgtrigger.Delete)]

    def __str__(self) -> str:
        return f"{self.email_id}: {self.action}"


@pghistory.track()
class EmailTemplate(TimeStampedModel):
    """A managed reply: subject and body with `{{ variable }}` placeholders from `TEMPLATE_VARIABLES`."""

    permission_module = "emails"

    name = models.CharField(max_length=100, unique=True)
    subject = models.CharField(max_length=255, blank=True, help_text="Empty: 'Re: ' and the email's subject.")
    body = models.TextField()
    category = models.CharField(max_length=50, choices=EmailCategory.choices, blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


@pghistory.track(exclude=["model"])  # the fitted pipeline's bytes stay out of the history
class ClassifierModel(models.Model):
    """A trained email classifier (scikit-learn TF-IDF + logistic regression), versioned; the newest is used and
    its version is stored on every email it classified."""

    permission_module = "settings"

    version = models.PositiveIntegerField(unique=True)
    trained_at = models.DateTimeField(auto_now_add=True)
    sample_count = models.PositiveIntegerField()
    metrics = models.JSONField(default=dict, blank=True)
    model = models.BinaryField(help_text="joblib dump of the fitted pipeline.")

    class Meta:
        ordering = ["-version"]

    def __str__(self) -> str:
        return f"email classifier v{self.version} ({self.sample_count} examples)"


@pghistory.track(exclude=["text"])  # an email's words: personal data, kept out of the history
class TrainingExample(models.Model):
    """A labelled example the classifier learns from besides the repository's set: each manual correction of an
    email's category."""

    permission_module = "emails"

    email = models.OneToOneField(Email, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    text = models.TextField()
    category = models.CharField(max_length=50, choices=EmailCategory.choices)
    previous_category = models.CharField(max_length=50, blank=True)
    corrected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.category}: {self.text[:40]}"
