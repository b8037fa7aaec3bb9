"""The service desk (seed 002 #7, seed 004 §2.2): support tickets with their conversation and internal notes, SLA
policies, saved replies, the FAQ and the knowledge hub.

A ticket's SLA is never kept in a counter: every change of a ticket is one append-only `TicketActivity`, and the SLA
state is a function of that history (apps/support/sla.py replays it). Each event stores the snapshot the replay
gives right after it (the running deadline, or what was left when the clock paused), so a list can read the state
of thousands of tickets in SQL from their latest event, with `now()` applied at read time.
"""

import pghistory
import pgtrigger
from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector, SearchVectorField
from django.db import models
from django.db.models import F, Q

from apps.accounts.roles import Role
from apps.core.models import TimeStampedModel

TICKET_NUMBER_SEQUENCE = "support_ticket_number_seq"


class TicketStatus(models.TextChoices):
    NEW = "new", "New"
    OPEN = "open", "Open"
    PENDING_CUSTOMER = "pending_customer", "Pending customer"
    PENDING_THIRD_PARTY = "pending_third_party", "Pending third party"
    RESOLVED = "resolved", "Resolved"
    CLOSED = "closed", "Closed"
    REOPENED = "reopened", "Reopened"


# The SLA clock stops while the ticket waits on someone else than us.
PAUSED_STATUSES = (TicketStatus.PENDING_CUSTOMER, TicketStatus.PENDING_THIRD_PARTY)
DONE_STATUSES = (TicketStatus.RESOLVED, TicketStatus.CLOSED)
ACTIVE_STATUSES = (TicketStatus.NEW, TicketStatus.OPEN, TicketStatus.REOPENED)


class TicketPriority(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"
    URGENT = "urgent", "Urgent"


PRIORITY_RANK = {"low": 0, "medium": 1, "high": 2, "urgent": 3}


class TicketCategory(models.TextChoices):
    GENERAL = "general", "General question"
    POLICY = "policy", "My policy"
    CLAIM = "claim", "A claim"
    BILLING = "billing", "Payments and billing"
    COMPLAINT = "complaint", "Complaint"
    TECHNICAL = "technical", "Website or app"
    OTHER = "other", "Other"


class TicketChannel(models.TextChoices):
    PORTAL = "portal", "Portal"
    API = "api", "API"
    PHONE = "phone", "Phone"
    EMAIL = "email", "Email"
    SMS = "sms", "SMS"
    WHATSAPP = "whatsapp", "WhatsApp"
    STAFF = "staff", "Opened by staff"


# How staff's public reply reaches the customer: on the portal only (with an in-app notification), or also by email
# (answering the customer's latest email on the ticket), SMS or WhatsApp, each through the consent gate.
REPLY_CHANNELS = (TicketChannel.PORTAL, TicketChannel.EMAIL, TicketChannel.SMS, TicketChannel.WHATSAPP)


@pghistory.track()
class SlaPolicy(TimeStampedModel):
    """Targets for tickets of one priority (and, optionally, one category; a category's own policy wins over the
    priority's general one). Minutes of business time when `business_hours`, else of the clock."""

    permission_module = "support"

    name = models.CharField(max_length=100)
    priority = models.CharField(max_length=10, choices=TicketPriority.choices)
    category = models.CharField(
        max_length=20, choices=TicketCategory.choices, blank=True, help_text="Empty: every category."
    )
    first_response_minutes = models.PositiveIntegerField(help_text="From opening to the first reply by staff.")
    next_reply_minutes = models.PositiveIntegerField(help_text="From a customer's message to staff's next reply.")
    resolution_minutes = models.PositiveIntegerField(help_text="From opening to resolved (paused time excluded).")
    business_hours = models.BooleanField(default=True, help_text="Count only business hours (not holidays).")
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["priority", "category"]
        verbose_name = "SLA policy"
        verbose_name_plural = "SLA policies"
        constraints = [
            models.CheckConstraint(
                condition=Q(first_response_minutes__gt=0) & Q(next_reply_minutes__gt=0) & Q(resolution_minutes__gt=0),
                name="sla_targets_positive",
                violation_error_message="Every SLA target must be more than zero minutes.",
            ),
            models.UniqueConstraint(
                fields=["priority", "category"],
                condition=Q(is_active=True),
                name="sla_one_active_per_priority_category",
                violation_error_message="An active policy for this priority and category exists already.",
            ),
        ]

    def __str__(self) -> str:
        return self.name


@pghistory.track(exclude=["sla_check_at"])  # the sweep's bookkeeping, not a change of the request
class Ticket(TimeStampedModel):
    """A customer's support request (seed 004 ServiceTicket): opened by the customer (portal, API) or by staff on
    their behalf, worked by an assignee from a team's queue."""

    permission_module = "support"

    ticket_number = models.CharField(max_length=30, unique=True, editable=False)
    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="tickets")
    subject = models.CharField(max_length=200)
    category = models.CharField(max_length=20, choices=TicketCategory.choices, default=TicketCategory.GENERAL)
    priority = models.CharField(max_length=10, choices=TicketPriority.choices, default=TicketPriority.MEDIUM)
    priority_rank = models.PositiveSmallIntegerField(default=1, editable=False)
    status = models.CharField(max_length=20, choices=TicketStatus.choices, default=TicketStatus.NEW)
    channel = models.CharField(max_length=10, choices=TicketChannel.choices, default=TicketChannel.PORTAL)
    policy = models.ForeignKey(
        "policies.Policy", null=True, blank=True, on_delete=models.SET_NULL, related_name="tickets"
    )
    claim = models.ForeignKey("claims.Claim", null=True, blank=True, on_delete=models.SET_NULL, related_name="tickets")
    team = models.ForeignKey("accounts.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="tickets")
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="support_tickets"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="merged_tickets"
    )
    satisfaction_rating = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="1–5, asked when the ticket is resolved (the surveys app sends the survey)."
    )
    last_message_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The newest line of the history, whose SLA snapshot lists read in SQL (set with each event, same transaction).
    last_event = models.OneToOneField(
        "support.TicketActivity", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    resolved_at = models.DateTimeField(null=True, blank=True, editable=False)
    closed_at = models.DateTimeField(null=True, blank=True, editable=False)
    # When the SLA sweep must look at the ticket next: the earliest warning or breach not alerted yet (set with each
    # event and by each check; null when nothing can come due — done, paused, every alert sent). The sweep reads
    # only tickets past this time, so one already escalated costs it nothing until something happens again.
    sla_check_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=~Q(merged_into=F("id")), name="ticket_not_merged_into_itself"),
            models.CheckConstraint(
                condition=Q(satisfaction_rating__isnull=True) | Q(satisfaction_rating__range=(1, 5)),
                name="ticket_satisfaction_1_to_5",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "-created_at"], name="tickets_status_created"),
            models.Index(fields=["assignee", "status"], name="tickets_assignee_status"),
            models.Index(fields=["team", "status"], name="tickets_team_status"),
            models.Index(fields=["customer", "-created_at"], name="tickets_customer_created"),
            models.Index(fields=["priority_rank", "-created_at"], name="tickets_priority"),
            models.Index(fields=["category", "status"], name="tickets_category_status"),
            models.Index(fields=["sla_check_at"], name="tickets_sla_check", condition=Q(sla_check_at__isnull=False)),
        ]

    def __str__(self) -> str:
        return self.ticket_number

    def save(self, *args, **kwargs):
        self.priority_rank = PRIORITY_RANK.get(self.priority, 1)
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "priority_rank"}
        super().save(*args, **kwargs)


@pghistory.track()
class TicketMessage(models.Model):
    """One message of a ticket's conversation (seed 004 TicketMessage): from the customer or staff, or an internal
    note between staff (`internal`), which no path ever shows the customer."""

    permission_module = "support"

    class Sender(models.TextChoices):
        CUSTOMER = "customer", "Customer"
        STAFF = "staff", "Staff"

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    sender = models.CharField(max_length=10, choices=Sender.choices)
    body = models.TextField(max_length=20000)
    internal = models.BooleanField(default=False, help_text="An internal note: staff only, never the customer.")
    channel = models.CharField(max_length=10, choices=TicketChannel.choices, default=TicketChannel.PORTAL)
    attachments = models.ManyToManyField("documents.Document", blank=True, related_name="ticket_messages")
    # The inbox email this message came in as or went out as (email-to-ticket, replies by email), or the SMS /
    # WhatsApp message; each one belongs to one ticket message at most (an email is threaded once).
    email = models.ForeignKey(
        "messaging.Email", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    channel_message = models.ForeignKey(
        "messaging.Message", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["ticket", "created_at"], name="ticket_messages_time")]
        constraints = [
            models.CheckConstraint(condition=Q(internal=False) | Q(sender="staff"), name="ticket_note_only_by_staff"),
            models.UniqueConstraint(
                fields=["email"], condition=Q(email__isnull=False), name="ticket_message_email_once"
            ),
            models.UniqueConstraint(
                fields=["channel_message"],
                condition=Q(channel_message__isnull=False),
                name="ticket_message_channel_message_once",
            ),
            models.CheckConstraint(
                condition=Q(internal=False) | (Q(email__isnull=True) & Q(channel_message__isnull=True)),
                name="ticket_note_never_sent",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id}: {'note' if self.internal else self.sender}"


class TicketActivity(models.Model):
    """One line of a ticket's history, append-only: the SLA clock is replayed from these. Each row carries the
    ticket's status and priority after it and the SLA snapshot the replay gives at that moment."""

    permission_module = "support"

    class Kind(models.TextChoices):
        CREATED = "created", "Opened"
        CUSTOMER_MESSAGE = "customer_message", "Customer wrote"
        STAFF_REPLY = "staff_reply", "Staff replied"
        NOTE = "note", "Internal note"
        STATUS = "status", "Status changed"
        PRIORITY = "priority", "Priority changed"
        ASSIGNED = "assigned", "Assigned"
        MERGED = "merged", "Merged"
        SLA_WARNING = "sla_warning", "SLA breach near"
        SLA_BREACHED = "sla_breached", "SLA breached"

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="activities")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=20, choices=TicketStatus.choices)
    priority = models.CharField(max_length=10, choices=TicketPriority.choices)
    details = models.CharField(max_length=300, blank=True, help_text="Never a message's text.")
    internal = models.BooleanField(default=False, help_text="Staff only (notes, SLA alerts, assignment).")
    key = models.CharField(max_length=120, blank=True, help_text="Idempotency key for scheduled actions.")
    occurred_at = models.DateTimeField()
    # the SLA snapshot right after this event (apps/support/sla.py)
    sla_target = models.CharField(max_length=20, blank=True, help_text="The target due first, if any.")
    sla_due_at = models.DateTimeField(null=True, blank=True, help_text="When it is due (running clock).")
    sla_paused = models.BooleanField(default=False)
    sla_remaining_seconds = models.IntegerField(
        null=True, blank=True, help_text="Business seconds left when paused (≤ 0: breached before the pause)."
    )
    sla_breached = models.BooleanField(default=False, help_text="A target was missed by now.")
    sla_terms = models.JSONField(
        null=True, blank=True, help_text="The SLA policy's targets from here on (on opening and priority changes)."
    )

    class Meta:
        ordering = ["occurred_at", "id"]
        indexes = [
            models.Index(fields=["ticket", "-occurred_at", "-id"], name="ticket_events_latest"),
            models.Index(fields=["kind", "actor", "-occurred_at"], name="ticket_events_kind_actor"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["ticket", "key"], condition=~Q(key=""), name="ticket_events_once_per_key")
        ]
        triggers = [pgtrigger.Protect(name="append_only", operation=pgtrigger.Update | pgtrigger.Delete)]

    def __str__(self) -> str:
        return f"{self.ticket_id}: {self.kind}"


@pghistory.track()
class Macro(TimeStampedModel):
    """A saved reply with variables (`{{customer_first_name}}`, …; apps/support/macros.py lists them)."""

    permission_module = "support"

    name = models.CharField(max_length=100, unique=True)
    body = models.TextField(max_length=5000)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self):
        from .macros import macro_validate

        macro_validate(self.body)


# --- help centre ---------------------------------------------------------------------------------------------


@pghistory.track()
class FaqCategory(TimeStampedModel):
    permission_module = "support"

    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "name"]
        verbose_name_plural = "FAQ categories"

    def __str__(self) -> str:
        return self.name


@pghistory.track()
class Faq(TimeStampedModel):
    """A common question with its answer (seed 002 #7), public once published."""

    permission_module = "support"

    category = models.ForeignKey(FaqCategory, on_delete=models.PROTECT, related_name="faqs")
    question = models.CharField(max_length=300)
    answer = models.TextField(max_length=10000)
    is_published = models.BooleanField(default=True)
    position = models.PositiveSmallIntegerField(default=0)
    search_vector = models.GeneratedField(
        expression=SearchVector("question", weight="A", config="english")
        + SearchVector("answer", weight="B", config="english"),
        output_field=SearchVectorField(),
        db_persist=True,
    )

    class Meta:
        ordering = ["category__position", "position", "id"]
        verbose_name = "FAQ"
        indexes = [
            GinIndex(fields=["search_vector"], name="faqs_search_gin"),
            models.Index(
                fields=["category", "position"], name="faqs_category_position", condition=Q(is_published=True)
            ),
        ]

    def __str__(self) -> str:
        return self.question


@pghistory.track()
class FaqVote(models.Model):
    """'Was this helpful?': one vote per voter (a signed-in user, or an anonymous browser's hashed key) per FAQ;
    voting again changes the vote."""

    permission_module = "support"

    faq = models.ForeignKey(Faq, on_delete=models.CASCADE, related_name="votes")
    voter = models.CharField(max_length=64, help_text="user:<id>, or a hash of the anonymous session.")
    helpful = models.BooleanField()
    created_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["faq", "voter"], name="faq_vote_once_per_voter")]
        indexes = [models.Index(fields=["faq", "helpful"], name="faq_votes_tally")]

    def __str__(self) -> str:
        return f"{self.faq_id}: {'yes' if self.helpful else 'no'}"


@pghistory.track()
class FaqSearchMiss(models.Model):
    """A help-centre search that found nothing: what the editors should write next."""

    permission_module = "support"

    query = models.CharField(max_length=200, unique=True, help_text="Lower-cased, spaces collapsed.")
    count = models.PositiveIntegerField(default=1)
    first_searched_at = models.DateTimeField(auto_now_add=True)
    last_searched_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-count", "-last_searched_at"]
        verbose_name = "failed FAQ search"
        verbose_name_plural = "failed FAQ searches"

    def __str__(self) -> str:
        return f"{self.query} ({self.count})"


class Audience(models.TextChoices):
    PUBLIC = "public", "Everyone"
    CUSTOMERS = "customers", "Signed-in customers"
    STAFF = "staff", "Staff only"


@pghistory.track()
class KnowledgeResource(TimeStampedModel):
    """A knowledge-hub entry (seed 004 KnowledgeResource): an article, a document or a link, for an audience.
    Every edit keeps the previous text as a `KnowledgeResourceVersion`."""

    permission_module = "support"

    class Kind(models.TextChoices):
        ARTICLE = "article", "Article"
        DOCUMENT = "document", "Document"
        LINK = "link", "Link"

    title = models.CharField(max_length=200)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.ARTICLE)
    body = models.TextField(max_length=50000, blank=True)
    url = models.URLField(max_length=500, blank=True)
    document = models.ForeignKey(
        "documents.Document", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    audience = models.CharField(max_length=10, choices=Audience.choices, default=Audience.STAFF)
    category = models.CharField(max_length=60, blank=True)
    tags = ArrayField(models.CharField(max_length=40), default=list, blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)
    is_published = models.BooleanField(default=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    search_vector = models.GeneratedField(
        expression=SearchVector("title", weight="A", config="english")
        + SearchVector("body", weight="B", config="english"),
        output_field=SearchVectorField(),
        db_persist=True,
    )

    class Meta:
        ordering = ["title", "id"]
        indexes = [
            GinIndex(fields=["search_vector"], name="knowledge_search_gin"),
            GinIndex(fields=["tags"], name="knowledge_tags_gin"),
            models.Index(fields=["audience", "category"], name="knowledge_audience_category"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind="link") | ~Q(url=""),
                name="knowledge_link_has_url",
                violation_error_message="A link needs its URL.",
            ),
        ]

    def __str__(self) -> str:
        return self.title


@pghistory.track()
class KnowledgeResourceVersion(models.Model):
    """The text of a resource before an edit (append-only)."""

    permission_module = "support"

    resource = models.ForeignKey(KnowledgeResource, on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    body = models.TextField(max_length=50000, blank=True)
    url = models.URLField(max_length=500, blank=True)
    audience = models.CharField(max_length=10, choices=Audience.choices)
    document = models.ForeignKey(
        "documents.Document",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The file the resource had before the edit.",
    )
    edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-version"]
        constraints = [models.UniqueConstraint(fields=["resource", "version"], name="knowledge_version_once")]
        triggers = [pgtrigger.Protect(name="append_only", operation=pgtrigger.Update)]

    def __str__(self) -> str:
        return f"{self.resource_id} v{self.version}"


# --- training ------------------------------------------------------------------------------------------------


# The staff roles a training module is for (every role but customer).
STAFF_ROLE_CHOICES = [(value, label) for value, label in Role.choices if value != Role.CUSTOMER]


@pghistory.track()
class TrainingModule(TimeStampedModel):
    """A training module for staff (seed 004 TrainingModule): content (text, a file, a link), who it is for
    (`audience_roles`, empty: every staff role), for whom it is required and within how many days, and the quiz score
    that passes it, if it has a quiz."""

    permission_module = "support"

    title = models.CharField(max_length=200)
    description = models.TextField(max_length=2000, blank=True)
    content = models.TextField(max_length=50000, blank=True)
    url = models.URLField(max_length=500, blank=True)
    document = models.ForeignKey(
        "documents.Document", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    audience_roles = ArrayField(
        models.CharField(max_length=20, choices=STAFF_ROLE_CHOICES),
        default=list,
        blank=True,
        help_text="Empty: every staff role.",
    )
    required_for_roles = ArrayField(
        models.CharField(max_length=20, choices=STAFF_ROLE_CHOICES), default=list, blank=True
    )
    due_days = models.PositiveIntegerField(
        default=30, help_text="Required training is due this many days after the module or the person arrived."
    )
    pass_score = models.PositiveSmallIntegerField(null=True, blank=True, help_text="Quiz: the score (0–100) to pass.")
    is_published = models.BooleanField(default=True)

    class Meta:
        ordering = ["title", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(pass_score__isnull=True) | Q(pass_score__lte=100), name="training_pass_score_0_100"
            ),
        ]
        indexes = [GinIndex(fields=["required_for_roles"], name="training_required_gin")]

    def __str__(self) -> str:
        return self.title


@pghistory.track()
class TrainingProgress(TimeStampedModel):
    """One person's progress on one module: started, completed (with the quiz score, if any)."""

    permission_module = "support"

    class Status(models.TextChoices):
        IN_PROGRESS = "in_progress", "In progress"
        COMPLETED = "completed", "Completed"

    module = models.ForeignKey(TrainingModule, on_delete=models.CASCADE, related_name="progress")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="training_progress")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.IN_PROGRESS)
    started_at = models.DateTimeField()
    completed_at = models.DateTimeField(null=True, blank=True)
    score = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(fields=["module", "user"], name="training_progress_once"),
            models.CheckConstraint(condition=Q(score__isnull=True) | Q(score__lte=100), name="training_score_0_100"),
            models.CheckConstraint(
                condition=~Q(status="completed") | Q(completed_at__isnull=False), name="training_completed_has_date"
            ),
        ]
        indexes = [models.Index(fields=["user", "status"], name="training_progress_user")]

    def __str__(self) -> str:
        return f"{self.user_id} · {self.module_id}: {self.status}"
