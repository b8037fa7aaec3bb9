"""The agent CRM (seed 004 §2.2): client and recruit leads, activities, the opportunities pipeline, agent
candidates, tasks, appointments, lead assignment rules and calendar feeds.

Contacts are the customers app's `Customer`; teams are the accounts app's `Team`. Status and stage values are
seed 004's own words (`?status=New`, `{"stage": "Quoted"}`), so a front end written to the seed works.
"""

import pghistory
from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector, SearchVectorField
from django.db import models
from django.db.models import F, Func, Q, Value
from django.utils import timezone
from encrypted_fields.fields import EncryptedCharField

from apps.core.models import TimeStampedModel
from apps.core.validators import e164_validator
from apps.customers.models import Interaction


class LeadKind(models.TextChoices):
    CLIENT = "client", "Client lead"
    RECRUIT = "recruit", "Recruit lead"


class LeadStatus(models.TextChoices):
    NEW = "New", "New"
    CONTACTED = "Contacted", "Contacted"
    QUALIFIED = "Qualified", "Qualified"
    CONVERTED = "Converted", "Converted"
    LOST = "Lost", "Lost"


OPEN_LEAD_STATUSES = (LeadStatus.NEW, LeadStatus.CONTACTED, LeadStatus.QUALIFIED)


class LeadSource(models.TextChoices):
    REFERRAL = "Referral", "Referral"
    WEBSITE = "Website", "Website"
    QUOTE = "Quote", "Portal quote"
    EVENT = "Event", "Event"
    SOCIAL = "Social Media", "Social media"
    COLD_CALL = "Cold Call", "Cold call"
    PURCHASED = "Purchased List", "Purchased list"
    IMPORT = "Import", "Bulk import"
    OTHER = "Other", "Other"


@pghistory.track(exclude=["search_vector"])
class Lead(TimeStampedModel):
    """One prospect: a would-be client (`ClientLead`) or a would-be agent (`RecruitLead`). One table, so the
    seed's `/leads/{id}` paths name either kind by one id."""

    permission_module = "crm"

    kind = models.CharField(max_length=10, choices=LeadKind.choices)
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100, blank=True)
    email = models.EmailField(max_length=255, blank=True)
    phone = models.CharField(max_length=20, blank=True, validators=[e164_validator])
    city = models.CharField(max_length=100, blank=True)
    source = models.CharField(max_length=30, choices=LeadSource.choices, default=LeadSource.OTHER)
    status = models.CharField(max_length=20, choices=LeadStatus.choices, default=LeadStatus.NEW)
    lost_reason = models.CharField(max_length=300, blank=True)
    notes = models.TextField(blank=True)
    # client leads
    product_interest = models.ForeignKey(
        "catalog.ProductLine", null=True, blank=True, on_delete=models.SET_NULL, related_name="leads"
    )
    estimated_value = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    # recruit leads
    licensed = models.BooleanField(default=False)
    years_experience = models.PositiveSmallIntegerField(null=True, blank=True)
    # ownership
    assigned_agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="crm_leads"
    )
    team = models.ForeignKey("accounts.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="leads")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # scoring (apps.crm.scoring): the total and the points per factor that make it
    score = models.PositiveSmallIntegerField(default=0)
    score_breakdown = models.JSONField(default=list, blank=True)
    # engagement
    first_contacted_at = models.DateTimeField(null=True, blank=True)
    last_activity_at = models.DateTimeField(null=True, blank=True)
    # conversion
    converted_at = models.DateTimeField(null=True, blank=True)
    converted_customer = models.ForeignKey(
        "customers.Customer", null=True, blank=True, on_delete=models.SET_NULL, related_name="source_leads"
    )
    # the prospect's application from a stored quote ("I'd like this cover", apps.crm.quotes)
    quote = models.OneToOneField(
        "catalog.Quote", null=True, blank=True, on_delete=models.SET_NULL, related_name="lead", editable=False
    )
    # duplicate keys (apps.crm.duplicates.normalise_*)
    email_key = models.CharField(max_length=255, blank=True, editable=False)
    phone_key = models.CharField(max_length=20, blank=True, editable=False)
    import_key = models.CharField(max_length=64, blank=True, editable=False)
    # folded into another record as a duplicate (apps.crm.merging); hidden from lists until the merge is undone
    merged_at = models.DateTimeField(null=True, blank=True, editable=False)
    # `?search=` (apps.core.search.prefix_tsquery): names, email (also split at @ and dots) and phone digits, the
    # customers' document; kept by PostgreSQL itself, so bulk imports are indexed too ('simple': no stemming).
    search_vector = models.GeneratedField(
        expression=SearchVector(
            "first_name",
            "last_name",
            "email",
            Func(F("email"), Value("@.-_+"), Value("     "), function="translate"),
            Func(F("phone"), Value(r"\D"), Value(""), Value("g"), function="regexp_replace"),
            "city",
            config="simple",
        ),
        output_field=SearchVectorField(),
        db_persist=True,
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(score__lte=100), name="crm_lead_score_range"),
            models.CheckConstraint(
                condition=~Q(status=LeadStatus.LOST) | ~Q(lost_reason=""), name="crm_lead_lost_has_reason"
            ),
            models.CheckConstraint(
                condition=~Q(status=LeadStatus.CONVERTED) | Q(converted_at__isnull=False),
                name="crm_lead_converted_at",
            ),
            models.CheckConstraint(
                condition=Q(estimated_value__isnull=True) | Q(estimated_value__gte=0), name="crm_lead_value_positive"
            ),
            models.UniqueConstraint(
                fields=["kind", "import_key"], condition=~Q(import_key=""), name="crm_lead_import_once"
            ),
        ]
        indexes = [
            models.Index(fields=["kind", "status", "-created_at"], name="crm_lead_kind_status"),
            models.Index(fields=["assigned_agent", "status"], name="crm_lead_agent_status"),
            models.Index(fields=["team", "status"], name="crm_lead_team_status"),
            models.Index(fields=["kind", "-score"], name="crm_lead_score"),
            # agents' average first-response time (apps.crm.selectors.agents_with_stats) from the index alone
            models.Index(
                fields=["assigned_agent"],
                include=["created_at", "first_contacted_at"],
                condition=Q(first_contacted_at__isnull=False),
                name="crm_lead_first_response",
            ),
            models.Index(fields=["email_key"], name="crm_lead_email_key", condition=~Q(email_key="")),
            models.Index(fields=["phone_key"], name="crm_lead_phone_key", condition=~Q(phone_key="")),
            GinIndex(fields=["search_vector"], name="crm_lead_search_gin"),
        ]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class ClientLeadManager(models.Manager):
    def get_queryset(self):
        return super().get_queryset().filter(kind=LeadKind.CLIENT)


class RecruitLeadManager(models.Manager):
    def get_queryset(self):
        return super().get_queryset().filter(kind=LeadKind.RECRUIT)


class ClientLead(Lead):
    """Seed 004 `ClientLead`: someone who may buy insurance."""

    objects = ClientLeadManager()

    class Meta:
        proxy = True


class RecruitLead(Lead):
    """Seed 004 `RecruitLead`: someone who may join the brokerage as an agent."""

    objects = RecruitLeadManager()

    class Meta:
        proxy = True


class OpportunityStage(models.TextChoices):
    NEW = "New", "New"
    NEEDS_ANALYSIS = "Needs Analysis", "Needs analysis"
    QUOTED = "Quoted", "Quoted"
    NEGOTIATION = "Negotiation", "Negotiation"
    WON = "Won", "Won"
    LOST = "Lost", "Lost"


OPEN_STAGES = (
    OpportunityStage.NEW,
    OpportunityStage.NEEDS_ANALYSIS,
    OpportunityStage.QUOTED,
    OpportunityStage.NEGOTIATION,
)


@pghistory.track(model_name="OpportunityHistory")  # "OpportunityEvent" is its timeline
class Opportunity(TimeStampedModel):
    """A possible sale to a contact, moving through the pipeline's stages (apps.crm.workflows)."""

    permission_module = "crm"

    title = models.CharField(max_length=200)
    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="opportunities")
    lead = models.OneToOneField(Lead, null=True, blank=True, on_delete=models.SET_NULL, related_name="opportunity")
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="opportunities"
    )
    team = models.ForeignKey(
        "accounts.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="opportunities"
    )
    product_line = models.ForeignKey(
        "catalog.ProductLine", null=True, blank=True, on_delete=models.SET_NULL, related_name="opportunities"
    )
    stage = models.CharField(max_length=20, choices=OpportunityStage.choices, default=OpportunityStage.NEW)
    value = models.DecimalField(max_digits=12, decimal_places=2, default=0, help_text="Expected annual premium.")
    currency = models.CharField(max_length=3, default="EUR")
    expected_close = models.DateField(null=True, blank=True)
    lost_reason = models.CharField(max_length=300, blank=True)
    policy = models.ForeignKey(
        "policies.Policy", null=True, blank=True, on_delete=models.SET_NULL, related_name="opportunities"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    # the customer's application from a stored quote, or the quote a converted lead came with (apps.crm.quotes)
    quote = models.OneToOneField(
        "catalog.Quote", null=True, blank=True, on_delete=models.SET_NULL, related_name="opportunity", editable=False
    )
    # proposed by the recommendations (a cross-sell gap, apps.crm.suggestions), not yet worked by anyone
    suggested = models.BooleanField(default=False, editable=False)
    suggestion_reasons = models.JSONField(default=list, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "opportunities"
        constraints = [
            models.CheckConstraint(condition=Q(value__gte=0), name="crm_opportunity_value_positive"),
            models.CheckConstraint(
                condition=~Q(stage=OpportunityStage.LOST) | ~Q(lost_reason=""), name="crm_opportunity_lost_reason"
            ),
            models.CheckConstraint(
                condition=~Q(stage__in=[OpportunityStage.WON, OpportunityStage.LOST]) | Q(closed_at__isnull=False),
                name="crm_opportunity_closed_at",
            ),
            # a cross-sell gap is suggested once while the suggestion is open (a re-run adds nothing)
            models.UniqueConstraint(
                fields=["customer", "product_line"],
                condition=Q(suggested=True, stage=OpportunityStage.NEW),
                name="crm_opportunity_suggested_once",
            ),
        ]
        indexes = [
            models.Index(fields=["stage", "-created_at"], name="crm_opp_stage"),
            # GET /agents: each agent's open deals counted and their values summed from the index alone
            models.Index(fields=["agent", "stage"], include=["value"], name="crm_opp_agent_stage_value"),
            models.Index(fields=["team", "stage"], name="crm_opp_team_stage"),
            models.Index(fields=["expected_close"], name="crm_opp_expected_close"),
        ]

    def __str__(self) -> str:
        return self.title


@pghistory.track()
class OpportunityEvent(models.Model):
    """The opportunity's timeline: every stage move with who made it and why (append-only)."""

    permission_module = "crm"

    opportunity = models.ForeignKey(Opportunity, on_delete=models.CASCADE, related_name="timeline_events")
    from_stage = models.CharField(max_length=20, blank=True)
    to_stage = models.CharField(max_length=20)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    reason = models.CharField(max_length=300, blank=True)
    occurred_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["occurred_at", "id"]
        indexes = [models.Index(fields=["opportunity", "occurred_at"], name="crm_opp_event_opp")]

    def __str__(self) -> str:
        return f"{self.from_stage or '—'} → {self.to_stage}"


class CandidateStage(models.TextChoices):
    APPLIED = "Applied", "Applied"
    INTERVIEWING = "Interviewing", "Interviewing"
    LICENSING = "Licensing", "Licensing"
    CONTRACTED = "Contracted", "Contracted"
    WITHDRAWN = "Withdrawn", "Withdrawn"


@pghistory.track()
class AgentCandidate(TimeStampedModel):
    """A recruit on the way to becoming an agent: applied → interviewing → licensing → contracted."""

    permission_module = "crm"

    lead = models.OneToOneField(Lead, null=True, blank=True, on_delete=models.SET_NULL, related_name="candidate")
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100, blank=True)
    email = models.EmailField(max_length=255, blank=True)
    phone = models.CharField(max_length=20, blank=True, validators=[e164_validator])
    stage = models.CharField(max_length=20, choices=CandidateStage.choices, default=CandidateStage.APPLIED)
    licensed = models.BooleanField(default=False)
    recruiter = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="candidates"
    )
    team = models.ForeignKey(
        "accounts.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="candidates"
    )
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["stage", "recruiter"], name="crm_candidate_stage")]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


# The kinds of seed 004 activities are the customers app's interaction types (one choice set, one API enum).
ActivityKind = Interaction.Type

ACTIVITY_TARGETS = ("lead", "customer", "opportunity", "candidate")


def _exactly_one(fields: tuple[str, ...]) -> Q:
    condition = Q()
    for chosen in fields:
        option = Q(**{f"{chosen}__isnull": False})
        for other in fields:
            if other != chosen:
                option &= Q(**{f"{other}__isnull": True})
        condition |= option
    return condition


@pghistory.track()
class Activity(TimeStampedModel):
    """Something done with a prospect or client (seed 004 `Activity`): a note, a call, an email, an SMS, a
    meeting — on exactly one lead, contact, opportunity or candidate."""

    permission_module = "crm"

    kind = models.CharField(max_length=10, choices=ActivityKind.choices)
    subject = models.CharField(max_length=200, blank=True)
    body = models.TextField(blank=True)
    occurred_at = models.DateTimeField(default=timezone.now)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="crm_activities"
    )
    lead = models.ForeignKey(Lead, null=True, blank=True, on_delete=models.CASCADE, related_name="activities")
    customer = models.ForeignKey(
        "customers.Customer", null=True, blank=True, on_delete=models.CASCADE, related_name="crm_activities"
    )
    opportunity = models.ForeignKey(
        Opportunity, null=True, blank=True, on_delete=models.CASCADE, related_name="activities"
    )
    candidate = models.ForeignKey(
        AgentCandidate, null=True, blank=True, on_delete=models.CASCADE, related_name="activities"
    )

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name_plural = "activities"
        constraints = [models.CheckConstraint(condition=_exactly_one(ACTIVITY_TARGETS), name="crm_activity_one_target")]
        indexes = [
            models.Index(fields=["lead", "-occurred_at"], name="crm_activity_lead"),
            models.Index(fields=["customer", "-occurred_at"], name="crm_activity_customer"),
            models.Index(fields=["opportunity", "-occurred_at"], name="crm_activity_opp"),
            models.Index(fields=["candidate", "-occurred_at"], name="crm_activity_candidate"),
            models.Index(fields=["author", "-occurred_at"], name="crm_activity_author"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.subject or self.body[:40]}"


class TaskStatus(models.TextChoices):
    PENDING = "Pending", "Pending"
    IN_PROGRESS = "In Progress", "In progress"
    COMPLETED = "Completed", "Completed"
    CANCELLED = "Cancelled", "Cancelled"


OPEN_TASK_STATUSES = (TaskStatus.PENDING, TaskStatus.IN_PROGRESS)


class TaskPriority(models.TextChoices):
    LOW = "Low", "Low"
    MEDIUM = "Medium", "Medium"
    HIGH = "High", "High"


TASK_LINKS = ("lead", "customer", "opportunity", "candidate")


def _at_most_one(fields: tuple[str, ...]) -> Q:
    none = Q(**{f"{field}__isnull": True for field in fields})
    return none | _exactly_one(fields)


@pghistory.track()
class Task(TimeStampedModel):
    """A to-do for one person, with a due time and an optional reminder, linked to at most one CRM record."""

    permission_module = "crm"

    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    status = models.CharField(max_length=20, choices=TaskStatus.choices, default=TaskStatus.PENDING)
    priority = models.CharField(max_length=10, choices=TaskPriority.choices, default=TaskPriority.MEDIUM)
    due_at = models.DateTimeField(null=True, blank=True)
    remind_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True, editable=False)
    completed_at = models.DateTimeField(null=True, blank=True)
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="crm_tasks")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    lead = models.ForeignKey(Lead, null=True, blank=True, on_delete=models.CASCADE, related_name="tasks")
    customer = models.ForeignKey(
        "customers.Customer", null=True, blank=True, on_delete=models.CASCADE, related_name="crm_tasks"
    )
    opportunity = models.ForeignKey(Opportunity, null=True, blank=True, on_delete=models.CASCADE, related_name="tasks")
    candidate = models.ForeignKey(AgentCandidate, null=True, blank=True, on_delete=models.CASCADE, related_name="tasks")

    class Meta:
        ordering = ["due_at", "id"]
        constraints = [
            models.CheckConstraint(condition=_at_most_one(TASK_LINKS), name="crm_task_one_link"),
            models.CheckConstraint(
                condition=Q(remind_at__isnull=True) | Q(due_at__isnull=True) | Q(remind_at__lte=models.F("due_at")),
                name="crm_task_remind_before_due",
            ),
        ]
        indexes = [
            models.Index(fields=["assignee", "status", "due_at"], name="crm_task_assignee"),
            models.Index(fields=["customer"], name="crm_task_customer", condition=Q(customer__isnull=False)),
            models.Index(
                fields=["remind_at"],
                name="crm_task_reminder_due",
                condition=Q(reminded_at__isnull=True, remind_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return self.title


class AppointmentStatus(models.TextChoices):
    SCHEDULED = "Scheduled", "Scheduled"
    COMPLETED = "Completed", "Completed"
    CANCELLED = "Cancelled", "Cancelled"


@pghistory.track()
class Appointment(TimeStampedModel):
    """A meeting in an agent's calendar, optionally with a contact or a lead."""

    permission_module = "crm"

    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    location = models.CharField(max_length=255, blank=True)
    start = models.DateTimeField()
    end = models.DateTimeField()
    status = models.CharField(max_length=20, choices=AppointmentStatus.choices, default=AppointmentStatus.SCHEDULED)
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="appointments")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    customer = models.ForeignKey(
        "customers.Customer", null=True, blank=True, on_delete=models.CASCADE, related_name="appointments"
    )
    lead = models.ForeignKey(Lead, null=True, blank=True, on_delete=models.CASCADE, related_name="appointments")
    opportunity = models.ForeignKey(
        Opportunity, null=True, blank=True, on_delete=models.SET_NULL, related_name="appointments"
    )
    # iCalendar SEQUENCE of the invitation (apps.crm.invitations): raised on every change the attendee must see
    sequence = models.PositiveIntegerField(default=0, editable=False)
    invitation_status = models.CharField(max_length=60, blank=True, editable=False)

    class Meta:
        ordering = ["start", "id"]
        constraints = [models.CheckConstraint(condition=Q(end__gt=models.F("start")), name="crm_appointment_ends")]
        indexes = [
            models.Index(fields=["agent", "start"], name="crm_appointment_agent"),
            models.Index(fields=["customer"], name="crm_appointment_customer", condition=Q(customer__isnull=False)),
        ]

    def __str__(self) -> str:
        return self.title


class AssignmentStrategy(models.TextChoices):
    ROUND_ROBIN = "round_robin", "Round robin"
    LEAST_LOADED = "least_loaded", "Least loaded (fewest open leads)"


@pghistory.track()
class LeadAssignmentRule(TimeStampedModel):
    """How a team's unassigned leads find an agent. A team without a rule uses least loaded."""

    permission_module = "crm"

    team = models.OneToOneField("accounts.Team", on_delete=models.CASCADE, related_name="lead_assignment_rule")
    strategy = models.CharField(
        max_length=20, choices=AssignmentStrategy.choices, default=AssignmentStrategy.LEAST_LOADED
    )
    last_assigned = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    is_active = models.BooleanField(default=True)
    product_lines = models.ManyToManyField(
        "catalog.ProductLine",
        blank=True,
        related_name="lead_assignment_rules",
        help_text="Prospects' requests from quotes for these lines come to this team; a rule with none takes any line "
        "no other rule names.",
    )

    def __str__(self) -> str:
        return f"{self.team}: {self.get_strategy_display()}"


@pghistory.track()
class CalendarFeed(TimeStampedModel):
    """An agent's subscribable ICS feed. The URL carries a signature over (agent, nonce); a new nonce or
    `revoked_at` ends every copy of the old URL."""

    permission_module = "crm"

    agent = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed")
    nonce = models.CharField(max_length=32)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Calendar feed of {self.agent}"


@pghistory.track()
class LeadMerge(TimeStampedModel):
    """A duplicate lead folded into another lead or into an existing contact (apps.crm.merging): what moved and
    what the survivor gained, kept so the merge can be undone within CRM_MERGE_UNDO_HOURS."""

    permission_module = "crm"

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="merges_away")
    into_lead = models.ForeignKey(Lead, null=True, blank=True, on_delete=models.CASCADE, related_name="merges_in")
    into_customer = models.ForeignKey(
        "customers.Customer", null=True, blank=True, on_delete=models.CASCADE, related_name="lead_merges"
    )
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    reason = models.CharField(max_length=300, blank=True)
    # {"activities": [ids], "tasks": [ids], "appointments": [ids]}: the rows re-pointed at the survivor
    moved = models.JSONField(default=dict, blank=True)
    # {field: the survivor's value before the merge filled it}: restored on undo if still the filled value
    filled = models.JSONField(default=dict, blank=True)
    undo_until = models.DateTimeField()
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(into_lead__isnull=False, into_customer__isnull=True)
                | Q(into_lead__isnull=True, into_customer__isnull=False),
                name="crm_merge_one_survivor",
            ),
            models.CheckConstraint(condition=~Q(lead=models.F("into_lead")), name="crm_merge_not_itself"),
            # a lead is folded away at most once at a time
            models.UniqueConstraint(fields=["lead"], condition=Q(undone_at__isnull=True), name="crm_merge_live_once"),
        ]

    def __str__(self) -> str:
        into = f"lead {self.into_lead_id}" if self.into_lead_id else f"contact {self.into_customer_id}"
        return f"Lead {self.lead_id} merged into {into}"


@pghistory.track(exclude=["rejected"])  # the rejected rows are the uploaded file's own cells, not our data
class LeadImport(TimeStampedModel):
    """One `POST /leads/bulk-import`: its counts and the rows it turned away (bad or duplicate), each with its cells
    and the reason, for the failed-rows file (`GET /leads/imports/{id}/failed-rows`, CSV or XLSX)."""

    permission_module = "crm"

    kind = models.CharField(max_length=10, choices=LeadKind.choices)
    file_name = models.CharField(max_length=255)
    file_sha256 = models.CharField(max_length=64)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    team = models.ForeignKey("accounts.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    total_rows = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    already_imported = models.PositiveIntegerField(default=0)
    skipped_duplicates = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    headers = models.JSONField(default=list, blank=True)
    # [{"row": n, "cells": [...], "reason": "..."}], in file order
    rejected = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["actor", "-created_at"], name="crm_import_actor")]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.created_count} leads)"


# --- calendar sync (apps.crm.calsync) ------------------------------------------------------------------------------


class CalendarConnectionStatus(models.TextChoices):
    CONNECTED = "connected", "Connected"
    ERROR = "error", "Needs attention"
    DISCONNECTED = "disconnected", "Disconnected"


@pghistory.track(
    exclude=[
        "refresh_token",
        "access_token",
        "access_token_expires_at",
        "channel_token",
        "sync_token",
        "last_synced_at",
        "updated_at",
    ]
)
class CalendarConnection(TimeStampedModel):
    """An agent's two-way link to their own external calendar (Google Calendar, or the local sandbox): the OAuth
    grant (refresh token Fernet-encrypted at rest, the short-lived access token with its expiry), the incremental
    sync position (`sync_token`) and the push-notification channel (`events.watch`) with its secret token.
    One per agent; a disconnected row is kept (status, when) and reused by the next connection."""

    permission_module = "crm"

    agent = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_connection")
    provider = models.CharField(max_length=20)
    status = models.CharField(
        max_length=20, choices=CalendarConnectionStatus.choices, default=CalendarConnectionStatus.CONNECTED
    )
    calendar_id = models.CharField(max_length=255, default="primary")
    account_email = models.CharField(max_length=255, blank=True)
    scope = models.CharField(max_length=500, blank=True)
    refresh_token = EncryptedCharField(max_length=1000, blank=True, null=True)
    access_token = EncryptedCharField(max_length=4000, blank=True, null=True)
    access_token_expires_at = models.DateTimeField(null=True, blank=True)
    sync_token = models.CharField(max_length=1000, blank=True)
    last_synced_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    channel_id = models.CharField(max_length=64, blank=True)
    channel_token = EncryptedCharField(max_length=200, blank=True, null=True)
    channel_resource_id = models.CharField(max_length=255, blank=True)
    channel_expires_at = models.DateTimeField(null=True, blank=True)
    connected_at = models.DateTimeField(null=True, blank=True)
    disconnected_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["channel_id"], name="crm_calconn_channel", condition=~Q(channel_id="")),
            models.Index(
                fields=["channel_expires_at"],
                name="crm_calconn_channel_expiry",
                condition=Q(status="connected"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.agent} — {self.provider} ({self.get_status_display()})"


class CalendarEventLink(models.Model):
    """Which external event an appointment is, and the state both sides last agreed on: the event's `etag` as we
    last wrote or read it and a hash of the fields we sync. A change whose etag or hash is the one recorded here is
    our own write coming back (an echo) and is not applied again."""

    connection = models.ForeignKey(CalendarConnection, on_delete=models.CASCADE, related_name="links")
    appointment = models.OneToOneField(Appointment, on_delete=models.CASCADE, related_name="calendar_link")
    event_id = models.CharField(max_length=1024)
    etag = models.CharField(max_length=100, blank=True)
    synced_hash = models.CharField(max_length=64, blank=True)
    remote_updated = models.DateTimeField(null=True, blank=True)
    deleted_remotely = models.BooleanField(default=False)
    synced_at = models.DateTimeField(null=True, blank=True)  # when both sides last agreed (`synced_hash`)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["connection", "event_id"], name="crm_calendar_link_event_unique")
        ]

    def __str__(self) -> str:
        return f"{self.appointment_id} ↔ {self.event_id}"


class SandboxCalendarEvent(models.Model):
    """The local sandbox calendar provider's storage (the default in `make run` and tests): events in Google
    Calendar's own resource shape (`resource`), with a per-calendar `revision` that plays the part of Google's
    sync tokens (a list "since revision N" returns what changed after it, deletions included)."""

    calendar_key = models.CharField(max_length=300)  # "<agent email>/<calendar id>"
    event_id = models.CharField(max_length=64)
    revision = models.PositiveBigIntegerField()
    resource = models.JSONField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["calendar_key", "event_id"], name="crm_sandbox_event_unique")]
        indexes = [models.Index(fields=["calendar_key", "revision"], name="crm_sandbox_event_revision")]

    def __str__(self) -> str:
        return f"{self.calendar_key}/{self.event_id}"
