"""Seed 003 /emails shapes: the list row (sentiment {score, label}, ai_intent {category, confidence}), the detail
with body, attachments, links with their reasons, thread and timeline; the PUT, reply and escalate inputs."""

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.accounts.models import User
from apps.core.api.serializers import FastRepresentationMixin, OutputModelSerializer
from apps.core.api.values import from_columns
from apps.documents.models import Document
from apps.messaging.models import Email, EmailCategory, EmailEvent, EmailLink, EmailPriority, EmailStatus, EmailTemplate


class SentimentSerializer(FastRepresentationMixin, serializers.Serializer):
    score = serializers.FloatField(allow_null=True)
    label = serializers.CharField()


class IntentSerializer(FastRepresentationMixin, serializers.Serializer):
    category = serializers.CharField(required=False)
    confidence = serializers.FloatField(required=False, help_text="Percent, one decimal.")


class EmailPersonSerializer(OutputModelSerializer):
    name = serializers.CharField(source="get_full_name")

    class Meta:
        model = User
        fields = ["id", "name", "email"]


class EmailListSerializer(OutputModelSerializer):
    sentiment = SentimentSerializer()
    ai_intent = IntentSerializer()
    assigned_to = serializers.IntegerField(source="assigned_to_id", allow_null=True)

    # the list's page is read as rows (apps/core/api/values.py): these two are the row forms of `sentiment`
    # (the model's property) and `ai_intent` (a JSON document whose keys may be missing)
    @from_columns("sentiment_score", "sentiment_label")
    def row_sentiment(self, score, label) -> dict:
        return {"score": None if score is None else float(score), "label": str(label)}

    @from_columns("ai_intent")
    def row_ai_intent(self, intent) -> dict | None:
        if intent is None:
            return None
        out: dict = {}
        if "category" in intent:
            out["category"] = None if intent["category"] is None else str(intent["category"])
        if "confidence" in intent:
            out["confidence"] = None if intent["confidence"] is None else float(intent["confidence"])
        return out

    class Meta:
        model = Email
        fields = [
            "id",
            "message_id",
            "thread_id",
            "from_email",
            "from_name",
            "subject",
            "category",
            "priority",
            "status",
            "sentiment",
            "ai_intent",
            "assigned_to",
            "automated",
            "received_at",
            "read_status",
        ]
        read_only_fields = fields


class EmailLinkSerializer(OutputModelSerializer):
    class Meta:
        model = EmailLink
        fields = ["kind", "object_id", "label", "reason"]
        read_only_fields = fields


class EmailEventSerializer(OutputModelSerializer):
    date = serializers.DateTimeField(source="occurred_at")
    user = serializers.SerializerMethodField()

    class Meta:
        model = EmailEvent
        fields = ["date", "action", "user", "details"]
        read_only_fields = fields

    def get_user(self, obj) -> str:
        return obj.actor.get_full_name() if obj.actor_id else "System"


class ThreadMessageSerializer(OutputModelSerializer):
    class Meta:
        model = Email
        fields = [
            "id",
            "direction",
            "message_id",
            "from_email",
            "to_email",
            "subject",
            "body_text",
            "received_at",
            "delivery_status",
        ]
        read_only_fields = fields


class EmailAttachmentSerializer(FastRepresentationMixin, serializers.Serializer):
    filename = serializers.CharField()
    content_type = serializers.CharField()
    size = serializers.IntegerField()
    status = serializers.CharField(help_text="stored or refused")
    reason = serializers.CharField(required=False)
    document_id = serializers.IntegerField(required=False)
    url = serializers.CharField(required=False, allow_null=True)


class EmailDetailSerializer(OutputModelSerializer):
    """Needs `thread` and `documents` in its context (selectors.email_thread, selectors.email_documents)."""

    sentiment = SentimentSerializer()
    ai_intent = IntentSerializer()
    assigned_to = EmailPersonSerializer(allow_null=True)
    escalated_to = EmailPersonSerializer(allow_null=True)
    account = serializers.SerializerMethodField()
    customer = serializers.SerializerMethodField()
    links = EmailLinkSerializer(many=True)
    attachments = serializers.SerializerMethodField()
    thread = serializers.SerializerMethodField()
    timeline = EmailEventSerializer(source="timeline_events", many=True)

    class Meta:
        model = Email
        fields = [
            "id",
            "message_id",
            "thread_id",
            "direction",
            "account",
            "from_email",
            "from_name",
            "to_email",
            "cc_emails",
            "bcc_emails",
            "subject",
            "body_text",
            "body_html",
            "attachments",
            "category",
            "priority",
            "status",
            "sentiment",
            "ai_intent",
            "model_version",
            "category_source",
            "automated",
            "read_status",
            "assigned_to",
            "escalated_to",
            "escalation_reason",
            "escalated_at",
            "customer",
            "links",
            "link_reasons",
            "in_reply_to",
            "references",
            "delivery_status",
            "delivery_error",
            "parse_defects",
            "received_at",
            "created_at",
            "updated_at",
            "thread",
            "timeline",
        ]
        read_only_fields = fields

    def get_account(self, obj) -> dict:
        return {"id": obj.account_id, "name": obj.account.name, "email": obj.account.email}

    @extend_schema_field(
        {
            "type": "object",
            "nullable": True,
            "properties": {"id": {"type": "integer"}, "customer_code": {"type": "string"}, "name": {"type": "string"}},
        }
    )
    def get_customer(self, obj) -> dict | None:
        customer = obj.customer
        if customer is None:
            return None
        return {"id": customer.pk, "customer_code": customer.customer_code, "name": customer.full_name}

    @extend_schema_field(EmailAttachmentSerializer(many=True))
    def get_attachments(self, obj) -> list:
        visible = {d.pk: d for d in self.context.get("documents", [])}
        result = []
        for entry in obj.attachments or []:
            item = dict(entry)
            document: Document | None = visible.get(entry.get("document_id"))
            if entry.get("status") == "stored":
                item["url"] = (
                    reverse("v1:files-download", kwargs={"pk": document.pk})
                    if document is not None and document.is_downloadable
                    else None
                )
            result.append(item)
        return result

    @extend_schema_field(ThreadMessageSerializer(many=True))
    def get_thread(self, obj) -> list:
        return ThreadMessageSerializer(self.context.get("thread", []), many=True).data


class EmailUpdateSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=EmailStatus.choices, required=False)
    category = serializers.ChoiceField(choices=EmailCategory.choices, required=False)
    priority = serializers.ChoiceField(choices=EmailPriority.choices, required=False)
    assigned_to = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), required=False, allow_null=True, help_text="null: unassign."
    )
    read_status = serializers.BooleanField(required=False)


class EmailReplySerializer(serializers.Serializer):
    to = serializers.CharField(max_length=255, required=False, help_text="Default: the sender.")
    subject = serializers.CharField(max_length=500, required=False, help_text="Default: 'Re: ' and the subject.")
    body = serializers.CharField(max_length=100_000, required=False, allow_blank=True)
    template_id = serializers.PrimaryKeyRelatedField(
        queryset=EmailTemplate.objects.all(), required=False, allow_null=True, source="template"
    )

    def validate(self, attrs):
        if not (attrs.get("body") or "").strip() and attrs.get("template") is None:
            raise serializers.ValidationError({"body": ["Write a reply or choose a template."]})
        return attrs


class EmailEscalateSerializer(serializers.Serializer):
    escalated_to = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True))
    reason = serializers.CharField(max_length=4000)
