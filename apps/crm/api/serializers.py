"""Input and output shapes of the CRM API (seed 004 §3.1, §3.3, §3.5, §3.6). Status and stage values are the
seed's words; inputs also accept them in any letter case."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.accounts.models import Team, User
from apps.catalog.models import ProductLine
from apps.core.api.serializers import FastRepresentationMixin, OutputModelSerializer
from apps.crm.models import (
    Activity,
    ActivityKind,
    AgentCandidate,
    Appointment,
    AppointmentStatus,
    Lead,
    LeadKind,
    LeadMerge,
    LeadSource,
    LeadStatus,
    Opportunity,
    OpportunityEvent,
    OpportunityStage,
    Task,
    TaskPriority,
    TaskStatus,
)


class CaseInsensitiveChoiceField(serializers.ChoiceField):
    """A choice given in any letter case ("quoted" → "Quoted")."""

    def to_internal_value(self, data):
        if isinstance(data, str):
            for key in self.choices:
                if str(key).lower() == data.strip().lower():
                    return key
        return super().to_internal_value(data)


class CrmPersonSerializer(OutputModelSerializer):
    name = serializers.CharField(source="get_full_name")

    class Meta:
        model = User
        fields = ["id", "name", "email"]


class TeamRefSerializer(OutputModelSerializer):
    class Meta:
        model = Team
        fields = ["id", "name"]


class ScoreFactorSerializer(serializers.Serializer):
    factor = serializers.CharField()
    points = serializers.IntegerField()
    max = serializers.IntegerField()
    reason = serializers.CharField()


class DuplicateSerializer(serializers.Serializer):
    kind = serializers.CharField(help_text="lead or contact")
    id = serializers.IntegerField()
    name = serializers.CharField()
    email = serializers.CharField()
    phone = serializers.CharField()
    status = serializers.CharField()
    score = serializers.IntegerField(help_text="0-100")
    reasons = serializers.ListField(child=serializers.CharField())


# --- leads -------------------------------------------------------------------------------------------------------


class QuoteRefSerializer(serializers.Serializer):
    """The stored quote a lead or deal came from ("I'd like this cover"): what was priced and until when."""

    id = serializers.UUIDField(source="reference")
    product = serializers.CharField(source="product.code")
    annual_premium = serializers.DecimalField(max_digits=12, decimal_places=2)
    currency = serializers.CharField()
    lines = serializers.ListField(child=serializers.DictField())
    status = serializers.CharField()
    expires_at = serializers.DateTimeField()
    applied_at = serializers.DateTimeField(allow_null=True)
    picked_up_at = serializers.DateTimeField(allow_null=True)


class LeadOutputSerializer(OutputModelSerializer):
    name = serializers.CharField(source="full_name")
    assigned_agent = CrmPersonSerializer(allow_null=True)
    team = TeamRefSerializer(allow_null=True)
    product_interest = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    score_breakdown = ScoreFactorSerializer(many=True)
    quote = QuoteRefSerializer(allow_null=True, read_only=True)

    class Meta:
        model = Lead
        fields = [
            "id",
            "kind",
            "name",
            "first_name",
            "last_name",
            "email",
            "phone",
            "city",
            "source",
            "status",
            "lost_reason",
            "notes",
            "product_interest",
            "estimated_value",
            "licensed",
            "years_experience",
            "assigned_agent",
            "team",
            "score",
            "score_breakdown",
            "first_contacted_at",
            "last_activity_at",
            "converted_at",
            "converted_customer_id",
            "quote",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class LeadCreatedSerializer(LeadOutputSerializer):
    duplicates = DuplicateSerializer(many=True, help_text="Likely duplicates among leads and contacts.")

    class Meta(LeadOutputSerializer.Meta):
        fields = [*LeadOutputSerializer.Meta.fields, "duplicates"]
        read_only_fields = fields

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["duplicates"] = getattr(instance, "duplicates", [])
        return data


class LeadInputSerializer(serializers.Serializer):
    """Fields of both kinds; the service refuses a client field on a recruit lead and the reverse."""

    first_name = serializers.CharField(max_length=100)
    last_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    email = serializers.EmailField(max_length=255, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=20, required=False, allow_blank=True, help_text="E.164, +447700900123")
    city = serializers.CharField(max_length=100, required=False, allow_blank=True)
    source = CaseInsensitiveChoiceField(choices=LeadSource.choices, required=False)
    notes = serializers.CharField(required=False, allow_blank=True, max_length=10000)
    product_interest = serializers.SlugRelatedField(
        slug_field="code", queryset=ProductLine.objects.all(), required=False, allow_null=True
    )
    estimated_value = serializers.DecimalField(
        max_digits=12, decimal_places=2, min_value=0, required=False, allow_null=True
    )
    licensed = serializers.BooleanField(required=False)
    years_experience = serializers.IntegerField(min_value=0, max_value=80, required=False, allow_null=True)
    assigned_agent_id = serializers.PrimaryKeyRelatedField(
        source="assigned_agent", queryset=User.objects.filter(is_active=True), required=False, allow_null=True
    )
    team_id = serializers.PrimaryKeyRelatedField(
        source="team", queryset=Team.objects.all(), required=False, allow_null=True
    )


class LeadUpdateSerializer(LeadInputSerializer):
    first_name = serializers.CharField(max_length=100, required=False)
    status = CaseInsensitiveChoiceField(choices=LeadStatus.choices, required=False)
    lost_reason = serializers.CharField(max_length=300, required=False, allow_blank=True)


class ActivityInputSerializer(serializers.Serializer):
    kind = CaseInsensitiveChoiceField(choices=ActivityKind.choices, help_text="note, call, email, sms, meeting")
    subject = serializers.CharField(max_length=200, required=False, allow_blank=True)
    body = serializers.CharField(max_length=20000, required=False, allow_blank=True)
    occurred_at = serializers.DateTimeField(required=False)


class ActivityOutputSerializer(OutputModelSerializer):
    author = CrmPersonSerializer(allow_null=True)

    class Meta:
        model = Activity
        fields = [
            "id",
            "kind",
            "subject",
            "body",
            "occurred_at",
            "author",
            "lead_id",
            "customer_id",
            "opportunity_id",
            "candidate_id",
            "created_at",
        ]
        read_only_fields = fields


class ActivityCreatedSerializer(serializers.Serializer):
    activity = ActivityOutputSerializer()
    lead = LeadOutputSerializer()


# --- conversion ----------------------------------------------------------------------------------------------------


class ClientConvertInputSerializer(serializers.Serializer):
    customer_id = serializers.IntegerField(
        required=False, min_value=1, help_text="An existing contact to convert into (else matched or created)."
    )
    title = serializers.CharField(max_length=200, required=False, allow_blank=True)
    value = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=0, required=False)
    expected_close = serializers.DateField(required=False, allow_null=True)


class ContactRefSerializer(FastRepresentationMixin, serializers.Serializer):
    id = serializers.IntegerField()
    customer_code = serializers.CharField()
    name = serializers.CharField(source="full_name")
    email = serializers.CharField()
    phone = serializers.CharField()


class OpportunityOutputSerializer(OutputModelSerializer):
    customer = ContactRefSerializer()
    agent = CrmPersonSerializer(allow_null=True)
    team = TeamRefSerializer(allow_null=True)
    product_line = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    quote = QuoteRefSerializer(allow_null=True, read_only=True)

    class Meta:
        model = Opportunity
        fields = [
            "id",
            "title",
            "customer",
            "lead_id",
            "agent",
            "team",
            "product_line",
            "stage",
            "value",
            "currency",
            "expected_close",
            "lost_reason",
            "policy_id",
            "closed_at",
            "quote",
            "suggested",
            "suggestion_reasons",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class ClientConvertOutputSerializer(serializers.Serializer):
    lead = LeadOutputSerializer()
    contact = ContactRefSerializer()
    opportunity = OpportunityOutputSerializer()
    created = serializers.BooleanField(help_text="False: the lead had been converted already (nothing new made).")
    existing_contact = serializers.BooleanField(help_text="True: an existing customer was the same person.")


class CandidateOutputSerializer(OutputModelSerializer):
    recruiter = CrmPersonSerializer(allow_null=True)
    team = TeamRefSerializer(allow_null=True)

    class Meta:
        model = AgentCandidate
        fields = [
            "id",
            "lead_id",
            "first_name",
            "last_name",
            "email",
            "phone",
            "stage",
            "licensed",
            "recruiter",
            "team",
            "notes",
            "created_at",
        ]
        read_only_fields = fields


class RecruitConvertOutputSerializer(serializers.Serializer):
    lead = LeadOutputSerializer()
    candidate = CandidateOutputSerializer()
    created = serializers.BooleanField()


# --- opportunities -------------------------------------------------------------------------------------------------


class OpportunityEventSerializer(OutputModelSerializer):
    actor = CrmPersonSerializer(allow_null=True)

    class Meta:
        model = OpportunityEvent
        fields = ["from_stage", "to_stage", "actor", "reason", "occurred_at"]
        read_only_fields = fields


class OpportunityDetailSerializer(OpportunityOutputSerializer):
    timeline = OpportunityEventSerializer(many=True, source="timeline_rows")
    allowed_stages = serializers.ListField(child=serializers.CharField(), source="allowed_moves")

    class Meta(OpportunityOutputSerializer.Meta):
        fields = [*OpportunityOutputSerializer.Meta.fields, "timeline", "allowed_stages"]
        read_only_fields = fields


class OpportunityUpdateSerializer(serializers.Serializer):
    stage = CaseInsensitiveChoiceField(choices=OpportunityStage.choices, required=False)
    lost_reason = serializers.CharField(max_length=300, required=False, allow_blank=True)
    title = serializers.CharField(max_length=200, required=False)
    value = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=0, required=False)
    expected_close = serializers.DateField(required=False, allow_null=True)
    product_line = serializers.SlugRelatedField(
        slug_field="code", queryset=ProductLine.objects.all(), required=False, allow_null=True
    )
    agent_id = serializers.PrimaryKeyRelatedField(
        source="agent", queryset=User.objects.filter(is_active=True), required=False, allow_null=True
    )
    policy_id = serializers.IntegerField(required=False, min_value=1, help_text="The policy a Won deal became.")


# --- tasks and appointments ---------------------------------------------------------------------------------------


class LinkInputMixin(serializers.Serializer):
    lead_id = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    customer_id = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    opportunity_id = serializers.IntegerField(required=False, allow_null=True, min_value=1)


class TaskInputSerializer(LinkInputMixin):
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, max_length=10000)
    status = CaseInsensitiveChoiceField(choices=TaskStatus.choices, required=False)
    priority = CaseInsensitiveChoiceField(choices=TaskPriority.choices, required=False)
    due_at = serializers.DateTimeField(required=False, allow_null=True)
    remind_at = serializers.DateTimeField(required=False, allow_null=True)
    assignee_id = serializers.IntegerField(required=False, min_value=1, help_text="Default: you.")
    candidate_id = serializers.IntegerField(required=False, allow_null=True, min_value=1)


class TaskUpdateSerializer(TaskInputSerializer):
    title = serializers.CharField(max_length=200, required=False)


class TaskOutputSerializer(OutputModelSerializer):
    assignee = CrmPersonSerializer()
    created_by = CrmPersonSerializer(allow_null=True)

    class Meta:
        model = Task
        fields = [
            "id",
            "title",
            "description",
            "status",
            "priority",
            "due_at",
            "remind_at",
            "completed_at",
            "assignee",
            "created_by",
            "lead_id",
            "customer_id",
            "opportunity_id",
            "candidate_id",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class AppointmentInputSerializer(LinkInputMixin):
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, max_length=10000)
    location = serializers.CharField(required=False, allow_blank=True, max_length=255)
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    status = CaseInsensitiveChoiceField(choices=AppointmentStatus.choices, required=False)
    agent_id = serializers.IntegerField(required=False, min_value=1, help_text="Default: you.")


class AppointmentUpdateSerializer(AppointmentInputSerializer):
    title = serializers.CharField(max_length=200, required=False)
    start = serializers.DateTimeField(required=False)
    end = serializers.DateTimeField(required=False)


class AppointmentOutputSerializer(OutputModelSerializer):
    agent = CrmPersonSerializer()

    class Meta:
        model = Appointment
        fields = [
            "id",
            "title",
            "description",
            "location",
            "start",
            "end",
            "status",
            "agent",
            "customer_id",
            "lead_id",
            "opportunity_id",
            "sequence",
            "invitation_status",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class ConflictSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()


class AppointmentSavedSerializer(AppointmentOutputSerializer):
    conflicts = ConflictSerializer(many=True, help_text="The agent's other appointments overlapping this one.")

    class Meta(AppointmentOutputSerializer.Meta):
        fields = [*AppointmentOutputSerializer.Meta.fields, "conflicts"]
        read_only_fields = fields

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["conflicts"] = ConflictSerializer(getattr(instance, "conflicts", []), many=True).data
        return data


class CalendarFeedSerializer(serializers.Serializer):
    url = serializers.CharField(help_text="Subscribe to this URL in a calendar app; keep it private.")
    issued_at = serializers.DateTimeField()


class CalendarConnectionSerializer(serializers.Serializer):
    """The caller's calendar connection; never a token."""

    connected = serializers.BooleanField()
    provider = serializers.CharField(allow_blank=True)
    status = serializers.CharField(allow_blank=True, help_text="connected | error | disconnected | '' (never)")
    account_email = serializers.CharField(allow_blank=True)
    calendar_id = serializers.CharField(allow_blank=True)
    last_synced_at = serializers.DateTimeField(allow_null=True)
    last_error = serializers.CharField(allow_blank=True)
    push_channel_expires_at = serializers.DateTimeField(allow_null=True)
    connected_at = serializers.DateTimeField(allow_null=True)


class CalendarConnectStartSerializer(serializers.Serializer):
    authorization_url = serializers.CharField(help_text="Open this URL to grant access (Google's consent screen).")
    expires_in = serializers.IntegerField(help_text="Seconds the request stays valid.")


class CalendarSyncResultSerializer(serializers.Serializer):
    full = serializers.BooleanField()
    pages = serializers.IntegerField()
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    cancelled = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    skipped = serializers.IntegerField()
    pushed = serializers.IntegerField()
    errors = serializers.ListField(child=serializers.CharField())


class CalendarNotificationSerializer(serializers.Serializer):
    received = serializers.CharField(help_text="sync (channel confirmed) | queued (a sync was queued)")


# --- agents --------------------------------------------------------------------------------------------------------


class AgentStatsSerializer(serializers.Serializer):
    open_leads = serializers.IntegerField()
    conversion_rate = serializers.FloatField(help_text="Converted leads / all the agent's leads, in percent.")
    pipeline_value = serializers.DecimalField(max_digits=14, decimal_places=2)
    open_opportunities = serializers.IntegerField()
    premium_written = serializers.DecimalField(max_digits=14, decimal_places=2, help_text="This calendar year.")
    policies_in_force = serializers.IntegerField()
    renewals_due = serializers.IntegerField(help_text="Open renewal cases due within 30 days.")
    tasks_overdue = serializers.IntegerField()
    avg_first_response_minutes = serializers.FloatField(allow_null=True)
    commission_this_period = serializers.DecimalField(max_digits=14, decimal_places=2, help_text="This calendar month.")


class AgentWithStatsSerializer(OutputModelSerializer):
    name = serializers.CharField(source="get_full_name")
    team = TeamRefSerializer(allow_null=True)
    stats = serializers.SerializerMethodField()
    book_as_of = serializers.DateTimeField(
        allow_null=True,
        help_text="When premium written, policies in force, renewals due and commission were last computed "
        "(every 5 minutes); the CRM figures are live.",
    )

    class Meta:
        model = User
        fields = ["id", "name", "email", "phone", "role", "job_title", "team", "stats", "book_as_of"]
        read_only_fields = fields

    @extend_schema_field(AgentStatsSerializer)
    def get_stats(self, user) -> dict:
        response = user.avg_first_response_seconds
        return {
            "open_leads": user.open_leads,
            "conversion_rate": round(100 * user.converted_leads / user.total_leads, 1) if user.total_leads else 0.0,
            "pipeline_value": f"{user.pipeline_value:.2f}",
            "open_opportunities": user.open_opportunities,
            "premium_written": f"{user.premium_written:.2f}",
            "policies_in_force": user.policies_in_force,
            "renewals_due": user.renewals_due,
            "tasks_overdue": user.tasks_overdue,
            "avg_first_response_minutes": round(response / 60, 1) if response is not None else None,
            "commission_this_period": f"{user.commission_this_period:.2f}",
        }


class BulkMapInputSerializer(serializers.Serializer):
    headers = serializers.ListField(
        child=serializers.CharField(max_length=200, allow_blank=True), min_length=1, max_length=200
    )


class HeaderMappingSerializer(serializers.Serializer):
    header = serializers.CharField()
    field = serializers.CharField(allow_null=True, help_text="The lead field, or null: unmapped (never dropped).")
    confidence = serializers.FloatField(help_text="0-1")
    reason = serializers.CharField()


class BulkMapOutputSerializer(serializers.Serializer):
    mappings = HeaderMappingSerializer(many=True)
    unmapped = serializers.ListField(child=serializers.CharField())
    missing_required = serializers.ListField(child=serializers.CharField())


class BulkImportInputSerializer(serializers.Serializer):
    file = serializers.FileField(allow_empty_file=True, use_url=False, help_text="CSV or XLSX, a header row first.")
    kind = serializers.ChoiceField(choices=LeadKind.choices, default=LeadKind.CLIENT)
    team_id = serializers.PrimaryKeyRelatedField(
        source="team",
        queryset=Team.objects.all(),
        required=False,
        allow_null=True,
        help_text="Share the rows among this team's agents (default: yours, for an agent).",
    )


class ImportRowErrorSerializer(serializers.Serializer):
    row = serializers.IntegerField()
    error = serializers.CharField()


class ImportDuplicateSerializer(serializers.Serializer):
    row = serializers.IntegerField()
    reason = serializers.CharField()
    skipped = serializers.BooleanField()
    lead_id = serializers.IntegerField(required=False)
    same_as_row = serializers.IntegerField(required=False)
    contact_id = serializers.IntegerField(required=False)
    score = serializers.IntegerField(help_text="How alike the row and the match are, 0-100 (as on create).")
    reasons = serializers.ListField(child=serializers.CharField(), help_text="e.g. same email, similar name (86%).")


class BulkImportOutputSerializer(serializers.Serializer):
    file_sha256 = serializers.CharField()
    total_rows = serializers.IntegerField()
    created = serializers.IntegerField()
    already_imported = serializers.IntegerField(help_text="Rows of this same file imported before.")
    skipped_duplicates = serializers.IntegerField()
    flagged_duplicates = serializers.IntegerField(
        help_text="Rows imported but flagged as probably an existing contact (same email or phone)."
    )
    failed = serializers.IntegerField()
    mapping = BulkMapOutputSerializer()
    errors = ImportRowErrorSerializer(many=True)
    duplicates = ImportDuplicateSerializer(many=True)
    import_id = serializers.IntegerField()
    failed_rows_url = serializers.CharField(
        allow_null=True, help_text="Every turned-away row with its reason, as CSV (add ?file_format=xlsx for XLSX)."
    )


# --- duplicate merges -------------------------------------------------------------------------------------------


class LeadMergeInputSerializer(serializers.Serializer):
    into_lead_id = serializers.IntegerField(required=False, help_text="The lead this one duplicates.")
    into_contact_id = serializers.IntegerField(required=False, help_text="Or: the contact this lead duplicates.")
    reason = serializers.CharField(required=False, allow_blank=True, max_length=300)

    def validate(self, attrs):
        if ("into_lead_id" in attrs) == ("into_contact_id" in attrs):
            raise serializers.ValidationError({"into_lead_id": ["Give into_lead_id or into_contact_id (one)."]})
        return attrs


class LeadRefSerializer(FastRepresentationMixin, serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(source="full_name")
    kind = serializers.CharField()
    status = serializers.CharField()


class LeadMergeOutputSerializer(OutputModelSerializer):
    lead = LeadRefSerializer(help_text="The duplicate, folded away (hidden from lists until undone).")
    into_lead = LeadRefSerializer(allow_null=True)
    into_contact = ContactRefSerializer(source="into_customer", allow_null=True)
    actor = CrmPersonSerializer(allow_null=True)
    moved = serializers.DictField(child=serializers.ListField(child=serializers.IntegerField()))
    filled = serializers.SerializerMethodField()

    class Meta:
        model = LeadMerge
        fields = [
            "id",
            "lead",
            "into_lead",
            "into_contact",
            "actor",
            "reason",
            "moved",
            "filled",
            "created_at",
            "undo_until",
            "undone_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_filled(self, merge) -> list[str]:
        return sorted(merge.filled)


class LeadMergeUndoneSerializer(serializers.Serializer):
    merge = LeadMergeOutputSerializer()
    kept_fields = serializers.ListField(
        child=serializers.CharField(), help_text="Survivor fields edited since the merge: the later edit stands."
    )
