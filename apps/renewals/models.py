"""Renewal case work (seed 003 renewal_cases): one case per policy and renewal period, with a timeline."""

import pghistory
import pgtrigger
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from apps.core.models import TimeStampedModel

CASE_NUMBER_SEQUENCE = "renewals_case_number_seq"


def _batch_storage():
    from django.core.files.storage import storages

    return storages["documents"]  # private: uploaded spreadsheets hold personal data


class CaseStatus(models.TextChoices):
    NEW = "new", "New"
    IN_PROGRESS = "in_progress", "In progress"
    RENEWED = "renewed", "Renewed"
    NOT_TAKEN = "not_taken", "Not taken up"
    LAPSED = "lapsed", "Lapsed"
    FAILED = "failed", "Failed (bad data)"


OPEN_STATUSES = (CaseStatus.NEW, CaseStatus.IN_PROGRESS)
CLOSED_STATUSES = (CaseStatus.RENEWED, CaseStatus.NOT_TAKEN, CaseStatus.LAPSED)


class Priority(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"
    URGENT = "urgent", "Urgent"


PRIORITY_RANK = {Priority.LOW: 0, Priority.MEDIUM: 1, Priority.HIGH: 2, Priority.URGENT: 3}


class PaymentStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    PARTIAL = "partial", "Partially paid"
    COMPLETED = "completed", "Completed"
    FAILED = "failed", "Failed"


@pghistory.track()
class UploadBatch(TimeStampedModel):
    """One spreadsheet of renewals (seed 003 upload_batches): processed by a Celery task, with progress and a
    per-row error log. The same file (sha256) is never processed twice."""

    permission_module = "upload"

    class Status(models.TextChoices):
        PROCESSING = "processing", "Processing"
        COMPLETED = "completed", "Completed"
        FAILED = "failed", "Failed"

    file_name = models.CharField(max_length=255)
    file = models.FileField(upload_to="batches/%Y/%m/", max_length=300, storage=_batch_storage)
    sha256 = models.CharField(max_length=64, unique=True)
    policy_type = models.CharField(max_length=30)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    total_records = models.PositiveIntegerField(default=0)
    processed_records = models.PositiveIntegerField(default=0)
    successful_records = models.PositiveIntegerField(default=0)
    failed_records = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PROCESSING)
    error_log = models.JSONField(default=list, blank=True)
    headers = models.JSONField(default=list, blank=True, help_text="The file's own column names.")
    ignored_columns = models.JSONField(
        default=list,
        blank=True,
        help_text="Columns of the file that feed no field: [{column (1-based), header, reason}].",
    )
    message = models.CharField(max_length=500, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "upload batches"
        indexes = [models.Index(fields=["status", "-created_at"], name="batches_status_created")]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.status})"


@pghistory.track()
class RenewalCase(TimeStampedModel):
    """The work of renewing one policy for one period: who works it, where it stands, what was paid."""

    permission_module = "cases"

    case_number = models.CharField(max_length=30, unique=True, editable=False)
    # indexed by `cases_policy_assignee` (and the per-period constraint), both led by the policy
    policy = models.ForeignKey(
        "policies.Policy", on_delete=models.PROTECT, related_name="renewal_cases", db_index=False
    )
    renewal_period = models.DateField(help_text="The renewal date this case is about (one case per period).")
    status = models.CharField(max_length=20, choices=CaseStatus.choices, default=CaseStatus.NEW)
    priority = models.CharField(max_length=10, choices=Priority.choices, default=Priority.MEDIUM)
    priority_rank = models.PositiveSmallIntegerField(default=1, editable=False)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="renewal_cases"
    )
    batch = models.ForeignKey(UploadBatch, null=True, blank=True, on_delete=models.SET_NULL, related_name="cases")
    renewal_amount = models.DecimalField(max_digits=12, decimal_places=2)
    payment_status = models.CharField(max_length=20, choices=PaymentStatus.choices, default=PaymentStatus.PENDING)
    payment_method = models.CharField(max_length=50, blank=True)
    payment_date = models.DateTimeField(null=True, blank=True)
    communication_attempts = models.PositiveIntegerField(default=0)
    last_contact_date = models.DateTimeField(null=True, blank=True)
    notes = models.TextField(blank=True)
    escalated_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="escalated_cases"
    )
    escalation_reason = models.TextField(blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    renewed_policy = models.OneToOneField(
        "policies.Policy", null=True, blank=True, on_delete=models.SET_NULL, related_name="renewal_case_of"
    )
    # Derived, for the dashboards' filters without a join: the policy's product line (fixed for a policy) and
    # when the case reached renewed / not taken / lapsed.
    policy_type = models.CharField(max_length=30, editable=False, default="")
    closed_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # Re-running a job or retrying a batch can never open the same case twice.
            models.UniqueConstraint(fields=["policy", "renewal_period"], name="renewal_case_per_period"),
        ]
        indexes = [
            # the lists' newest-first order, with the id as tie-breaker: the schedule and uploads open thousands of
            # cases in one statement (one created_at), which the order would otherwise sort at every page view
            models.Index(fields=["-created_at", "-id"], name="cases_newest"),
            models.Index(fields=["status", "-created_at", "-id"], name="cases_status_newest"),
            models.Index(fields=["payment_status", "-created_at"], name="cases_payment_newest"),
            # an agent's scope is also "unassigned cases of the policies I service": from their policies, here
            models.Index(fields=["policy"], condition=Q(assigned_to__isnull=True), name="cases_unassigned_policy"),
            # a policy's cases with their assignee: a name search (customer → policies → cases) counts an agent's
            # matches from this index alone, without reading each matching case
            models.Index(fields=["policy", "assigned_to"], name="cases_policy_assignee"),
            models.Index(fields=["assigned_to", "status"], name="cases_assignee_status"),
            models.Index(fields=["status", "renewal_period"], name="cases_status_period"),
            models.Index(fields=["priority_rank", "-created_at"], name="cases_priority"),
            # the cases list's status + priority filter: its COUNT(*) (total_records) from the index alone
            models.Index(fields=["status", "priority"], name="cases_status_priority"),
            # dashboards: the period filter per product line, an agent's own cases per period, and the
            # renewed/lost-per-day series (a partial index over closed cases only; index-only scans)
            models.Index(fields=["policy_type", "created_at"], name="cases_type_created"),
            models.Index(fields=["assigned_to", "created_at"], name="cases_assignee_created"),
            models.Index(
                fields=["closed_at", "status", "policy_type"],
                condition=Q(closed_at__isnull=False),
                name="cases_closed",
            ),
        ]

    def __str__(self) -> str:
        return self.case_number

    @staticmethod
    def rank_of(priority: str) -> int:
        """`priority_rank` for a priority (the cases list sorts by it): the one definition, for save and bulk
        inserts alike."""
        return PRIORITY_RANK.get(priority, PRIORITY_RANK[Priority.MEDIUM])

    def save(self, *args, **kwargs):
        # derived columns kept in step on every save
        self.priority_rank = self.rank_of(self.priority)
        if not self.policy_type and self.policy_id:
            self.policy_type = self.policy.policy_type
        if self.status in CLOSED_STATUSES:
            self.closed_at = self.closed_at or timezone.now()
        else:
            self.closed_at = None
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "priority_rank", "policy_type", "closed_at"}
        super().save(*args, **kwargs)


class CaseEvent(models.Model):
    """One line of a case's timeline. Append-only."""

    permission_module = "cases"

    case = models.ForeignKey(RenewalCase, on_delete=models.CASCADE, related_name="timeline_events")
    action = models.CharField(max_length=60)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    details = models.TextField(blank=True)
    key = models.CharField(max_length=80, blank=True, help_text="Idempotency key for scheduled actions.")
    occurred_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["occurred_at", "id"]
        indexes = [models.Index(fields=["case", "occurred_at"], name="case_events_time")]
        constraints = [
            models.UniqueConstraint(fields=["case", "key"], condition=~Q(key=""), name="case_events_once_per_key")
        ]
        triggers = [pgtrigger.Protect(name="append_only", operation=pgtrigger.Update | pgtrigger.Delete)]

    def __str__(self) -> str:
        return f"{self.case_id}: {self.action}"
