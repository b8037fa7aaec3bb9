"""Input and output shapes of the service desk API (seed 004 §3.7, §3.9; seed 002 #7)."""

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.accounts.models import User
from apps.accounts.roles import Role
from apps.core.api.serializers import OutputModelSerializer
from apps.core.api.values import from_columns
from apps.documents.models import Document
from apps.support.models import (
    REPLY_CHANNELS,
    STAFF_ROLE_CHOICES,
    Audience,
    Faq,
    FaqCategory,
    KnowledgeResource,
    KnowledgeResourceVersion,
    Ticket,
    TicketActivity,
    TicketCategory,
    TicketChannel,
    TicketMessage,
    TicketPriority,
    TicketStatus,
    TrainingModule,
)
from apps.support.selectors import SLA_STATES


class TicketPersonSerializer(OutputModelSerializer):
    """Who works the ticket: id and name (the customer sees this too, so no email)."""

    name = serializers.CharField(source="get_full_name")

    @from_columns("first_name", "last_name")
    def row_name(self, first_name, last_name) -> str:
        return f"{first_name} {last_name}".strip()  # User.get_full_name

    class Meta:
        model = User
        fields = ["id", "name"]


class TicketListSerializer(OutputModelSerializer):
    """A ticket in a list. What the desk does behind the scenes — the team's queue and the SLA — is staff's: a
    customer (the `request` in the context is theirs) gets null for both, in the list as in the detail."""

    customer = serializers.SerializerMethodField()
    assignee = TicketPersonSerializer(allow_null=True)
    team = serializers.SerializerMethodField()
    sla = serializers.SerializerMethodField()

    class Meta:
        model = Ticket
        fields = [
            "id",
            "ticket_number",
            "subject",
            "status",
            "priority",
            "category",
            "channel",
            "customer",
            "assignee",
            "team",
            "policy_id",
            "claim_id",
            "merged_into_id",
            "last_message_at",
            "created_at",
            "updated_at",
            "sla",
        ]
        read_only_fields = fields

    @extend_schema_field({"type": "object", "properties": {"id": {"type": "integer"}, "name": {"type": "string"}}})
    def get_customer(self, obj) -> dict:
        return self.row_customer(obj.customer_id, obj.customer.first_name, obj.customer.last_name)

    # the list's page is read as rows (apps/core/api/values.py): each method field's row form, which its
    # get_ method shares
    @from_columns("customer_id", "customer__first_name", "customer__last_name")
    def row_customer(self, customer_id, first_name, last_name) -> dict:
        return {"id": customer_id, "name": f"{first_name} {last_name}".strip()}

    @extend_schema_field(
        {
            "type": "object",
            "nullable": True,
            "properties": {"id": {"type": "integer"}, "name": {"type": "string"}},
        }
    )
    def get_team(self, obj) -> dict | None:
        return self.row_team(obj.team_id, obj.team.name if obj.team_id else None)

    @from_columns("team_id", "team__name")
    def row_team(self, team_id, name) -> dict | None:
        if not self._for_staff():
            return None
        return {"id": team_id, "name": name} if team_id else None

    def _for_staff(self) -> bool:
        request = self.context.get("request")
        user = getattr(request, "user", None)
        return user is None or getattr(user, "role", None) != Role.CUSTOMER

    @extend_schema_field(
        {
            "type": "object",
            "nullable": True,
            "properties": {
                "state": {"type": "string", "enum": list(SLA_STATES)},
                "due_at": {"type": "string", "format": "date-time", "nullable": True},
                "target": {"type": "string"},
            },
        }
    )
    def get_sla(self, obj) -> dict | None:
        state, due = getattr(obj, "sla_state", "none"), getattr(obj, "sla_due_at", None)
        return self.row_sla(state, due, getattr(obj, "sla_target", ""))

    @from_columns("sla_state", "sla_due_at", "sla_target")
    def row_sla(self, state, due, target) -> dict | None:
        if not self._for_staff():
            return None
        return {
            "state": state,
            "due_at": serializers.DateTimeField().to_representation(due) if due else None,
            "target": target or "",
        }


class TicketAttachmentSerializer(OutputModelSerializer):
    name = serializers.CharField(source="original_name")
    url = serializers.SerializerMethodField()

    class Meta:
        model = Document
        fields = ["id", "name", "url", "mime_type", "size", "scan_status", "created_at"]
        read_only_fields = fields

    def get_url(self, obj) -> str | None:
        return reverse("v1:files-download", kwargs={"pk": obj.pk}) if obj.is_downloadable else None


class TicketMessageSerializer(OutputModelSerializer):
    author = serializers.SerializerMethodField()
    attachments = TicketAttachmentSerializer(many=True)

    class Meta:
        model = TicketMessage
        fields = ["id", "sender", "author", "body", "internal", "channel", "attachments", "created_at"]
        read_only_fields = fields

    @extend_schema_field(
        {"type": "object", "nullable": True, "properties": {"id": {"type": "integer"}, "name": {"type": "string"}}}
    )
    def get_author(self, obj) -> dict | None:
        return {"id": obj.author_id, "name": obj.author.get_full_name()} if obj.author_id else None


class TicketActivitySerializer(OutputModelSerializer):
    actor = serializers.SerializerMethodField()

    class Meta:
        model = TicketActivity
        fields = ["kind", "status", "details", "actor", "occurred_at"]
        read_only_fields = fields

    def get_actor(self, obj) -> str:
        return obj.actor.get_full_name() if obj.actor_id else "System"


class SlaTargetSerializer(serializers.Serializer):
    name = serializers.CharField()
    target_seconds = serializers.IntegerField()
    elapsed_seconds = serializers.IntegerField()
    remaining_seconds = serializers.IntegerField()
    due_at = serializers.DateTimeField(allow_null=True)
    breached = serializers.BooleanField()
    paused = serializers.BooleanField()


class SlaSerializer(serializers.Serializer):
    state = serializers.ChoiceField(choices=SLA_STATES)
    due_at = serializers.DateTimeField(allow_null=True)
    target = serializers.CharField()
    paused = serializers.BooleanField()
    breached = serializers.BooleanField()
    targets = SlaTargetSerializer(many=True)


class TicketDetailSerializer(TicketListSerializer):
    """Needs in its context: `messages`, `events` (already scoped to the user), `sla` (staff) and `allowed`."""

    messages = serializers.SerializerMethodField()
    timeline = serializers.SerializerMethodField()
    sla = serializers.SerializerMethodField()
    allowed_statuses = serializers.SerializerMethodField()

    class Meta(TicketListSerializer.Meta):
        fields = [
            *TicketListSerializer.Meta.fields,
            "satisfaction_rating",
            "resolved_at",
            "closed_at",
            "messages",
            "timeline",
            "allowed_statuses",
        ]
        read_only_fields = fields

    @extend_schema_field(TicketMessageSerializer(many=True))
    def get_messages(self, obj) -> list[dict]:
        return TicketMessageSerializer(self.context["messages"], many=True).data

    @extend_schema_field(TicketActivitySerializer(many=True))
    def get_timeline(self, obj) -> list[dict]:
        return TicketActivitySerializer(self.context["events"], many=True).data

    @extend_schema_field(SlaSerializer(allow_null=True))
    def get_sla(self, obj) -> dict | None:
        state = self.context.get("sla")
        if state is None:
            return None
        return SlaSerializer(state).data

    @extend_schema_field(serializers.ListField(child=serializers.ChoiceField(choices=TicketStatus.choices)))
    def get_allowed_statuses(self, obj) -> list[str]:
        return self.context.get("allowed", [])


class TicketCreateSerializer(serializers.Serializer):
    subject = serializers.CharField(max_length=200)
    description = serializers.CharField(max_length=20000)
    category = serializers.ChoiceField(choices=TicketCategory.choices, default=TicketCategory.GENERAL)
    priority = serializers.ChoiceField(choices=TicketPriority.choices, required=False)
    customer_id = serializers.IntegerField(required=False, min_value=1, help_text="Staff: whose request it is.")
    policy_id = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    claim_id = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    assignee_id = serializers.IntegerField(required=False, min_value=1, help_text="Staff: skip the round robin.")
    channel = serializers.ChoiceField(
        choices=TicketChannel.choices, required=False, help_text="Staff: how the customer asked (phone, email)."
    )
    files = serializers.ListField(child=serializers.FileField(), required=False, max_length=5)


class TicketMessageCreateSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=20000)
    internal = serializers.BooleanField(default=False, help_text="An internal note: staff only.")
    channel = serializers.ChoiceField(
        choices=[(c.value, c.label) for c in REPLY_CHANNELS],
        required=False,
        help_text="Staff's public reply: portal, or also email (answering the customer's latest email on the ticket), "
        "sms or whatsapp — through the consent gate (refused: 422 message_refused). Default: the channel the "
        "customer last wrote on.",
    )
    files = serializers.ListField(child=serializers.FileField(), required=False, max_length=5)


class TicketUpdateSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=TicketStatus.choices, required=False)
    priority = serializers.ChoiceField(choices=TicketPriority.choices, required=False)
    assignee_id = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    team_id = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    satisfaction_rating = serializers.IntegerField(required=False, min_value=1, max_value=5)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=300, default="")


class TicketFromEmailSerializer(serializers.Serializer):
    email_id = serializers.IntegerField(min_value=1, help_text="An inbound email of the shared inbox.")
    customer_id = serializers.IntegerField(
        required=False, min_value=1, help_text="Whose request it is, when the sender is not a known customer."
    )


class TicketMergeSerializer(serializers.Serializer):
    into_ticket_id = serializers.IntegerField(min_value=1)


# --- help centre ---------------------------------------------------------------------------------------------


class FaqCategorySerializer(OutputModelSerializer):
    faq_count = serializers.IntegerField()

    class Meta:
        model = FaqCategory
        fields = ["id", "name", "slug", "faq_count"]
        read_only_fields = fields


class FaqSerializer(OutputModelSerializer):
    category = serializers.CharField(source="category.slug")
    helpful_yes = serializers.IntegerField()
    helpful_no = serializers.IntegerField()

    class Meta:
        model = Faq
        fields = ["id", "category", "question", "answer", "helpful_yes", "helpful_no", "updated_at"]
        read_only_fields = fields


class FaqQuerySerializer(serializers.Serializer):
    search = serializers.CharField(required=False, allow_blank=True, max_length=200)
    category = serializers.SlugField(required=False, max_length=100)


class FaqListSerializer(serializers.Serializer):
    categories = FaqCategorySerializer(many=True)
    faqs = FaqSerializer(many=True)


class FaqVoteSerializer(serializers.Serializer):
    helpful = serializers.BooleanField()


class FaqVoteResultSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    helpful_yes = serializers.IntegerField()
    helpful_no = serializers.IntegerField()


class KnowledgeVersionSerializer(OutputModelSerializer):
    class Meta:
        model = KnowledgeResourceVersion
        fields = ["version", "title", "body", "url", "audience", "edited_by_id", "created_at"]
        read_only_fields = fields


class KnowledgeResourceSerializer(OutputModelSerializer):
    author = serializers.SerializerMethodField()
    file = serializers.SerializerMethodField()

    class Meta:
        model = KnowledgeResource
        fields = [
            "id",
            "title",
            "kind",
            "body",
            "url",
            "document_id",
            "audience",
            "category",
            "tags",
            "version",
            "is_published",
            "author",
            "file",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field({"type": "string"})
    def get_author(self, obj) -> str:
        return obj.author.get_full_name() if obj.author_id else ""

    @extend_schema_field(
        {
            "type": "object",
            "nullable": True,
            "properties": {
                "name": {"type": "string"},
                "mime_type": {"type": "string"},
                "size": {"type": "integer"},
                "scan_status": {"type": "string"},
                "url": {"type": "string", "nullable": True},
            },
        }
    )
    def get_file(self, obj) -> dict | None:
        """The resource's file, downloaded through the resource (its audience decides who may)."""
        document = obj.document
        if document is None:
            return None
        url = reverse("v1:knowledge-resource-file", kwargs={"pk": obj.pk}) if document.is_downloadable else None
        return {
            "name": document.original_name,
            "mime_type": document.mime_type,
            "size": document.size,
            "scan_status": document.scan_status,
            "url": url,
        }


class KnowledgeResourceDetailSerializer(KnowledgeResourceSerializer):
    versions = KnowledgeVersionSerializer(many=True)

    class Meta(KnowledgeResourceSerializer.Meta):
        fields = [*KnowledgeResourceSerializer.Meta.fields, "versions"]
        read_only_fields = fields


class KnowledgeResourceInputSerializer(serializers.Serializer):
    """JSON, or multipart with `file` (a document resource; the documents pipeline checks it)."""

    file = serializers.FileField(required=False, help_text="The resource's file (multipart).")
    title = serializers.CharField(max_length=200)
    kind = serializers.ChoiceField(choices=KnowledgeResource.Kind.choices, default=KnowledgeResource.Kind.ARTICLE)
    body = serializers.CharField(required=False, allow_blank=True, max_length=50000, default="")
    url = serializers.URLField(required=False, allow_blank=True, max_length=500, default="")
    audience = serializers.ChoiceField(choices=Audience.choices, default=Audience.STAFF)
    category = serializers.CharField(required=False, allow_blank=True, max_length=60, default="")
    tags = serializers.ListField(
        child=serializers.CharField(max_length=40), required=False, max_length=20, default=list
    )
    is_published = serializers.BooleanField(default=True)


# --- training ------------------------------------------------------------------------------------------------


class TrainingModuleSerializer(OutputModelSerializer):
    """`my_progress`: the asking person's (null before they start)."""

    my_progress = serializers.SerializerMethodField()
    required = serializers.SerializerMethodField()

    class Meta:
        model = TrainingModule
        fields = [
            "id",
            "title",
            "description",
            "content",
            "url",
            "document_id",
            "audience_roles",
            "required_for_roles",
            "due_days",
            "pass_score",
            "is_published",
            "required",
            "my_progress",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(
        {
            "type": "object",
            "nullable": True,
            "properties": {
                "status": {"type": "string", "description": "in_progress or completed"},
                "started_at": {"type": "string", "format": "date-time"},
                "completed_at": {"type": "string", "format": "date-time", "nullable": True},
                "score": {"type": "integer", "nullable": True},
            },
        }
    )
    def get_my_progress(self, obj) -> dict | None:
        mine = getattr(obj, "mine", None)
        if not mine:
            return None
        p = mine[0]
        dt_field = serializers.DateTimeField()
        return {
            "status": p.status,
            "started_at": dt_field.to_representation(p.started_at),
            "completed_at": dt_field.to_representation(p.completed_at) if p.completed_at else None,
            "score": p.score,
        }

    def get_required(self, obj) -> bool:
        role = self.context.get("role")
        return bool(role and role in obj.required_for_roles)


class TrainingModuleInputSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")
    content = serializers.CharField(required=False, allow_blank=True, max_length=50000, default="")
    url = serializers.URLField(required=False, allow_blank=True, max_length=500, default="")
    audience_roles = serializers.ListField(
        child=serializers.ChoiceField(choices=STAFF_ROLE_CHOICES),
        required=False,
        default=list,
        max_length=5,
    )
    required_for_roles = serializers.ListField(
        child=serializers.ChoiceField(choices=STAFF_ROLE_CHOICES),
        required=False,
        default=list,
        max_length=5,
    )
    due_days = serializers.IntegerField(required=False, min_value=1, max_value=3650, default=30)
    pass_score = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=100, default=None)
    is_published = serializers.BooleanField(default=True)


class TrainingProgressInputSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=["start", "complete"])
    score = serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=100)


class TrainingProgressSerializer(serializers.Serializer):
    module_id = serializers.IntegerField()
    status = serializers.CharField()
    started_at = serializers.DateTimeField()
    completed_at = serializers.DateTimeField(allow_null=True)
    score = serializers.IntegerField(allow_null=True)


class TrainingOverdueSerializer(serializers.Serializer):
    user_id = serializers.IntegerField()
    name = serializers.CharField()
    module_id = serializers.IntegerField()
    module = serializers.CharField()
    due_at = serializers.DateTimeField()
    days_overdue = serializers.IntegerField()
