from decimal import Decimal

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.accounts.models import User
from apps.core.api.serializers import FastRepresentationMixin, OutputModelSerializer
from apps.customers.api.serializers import LinkedEntrySerializer
from apps.documents.models import Document
from apps.renewals.models import CaseEvent, CaseStatus, PaymentStatus, Priority, RenewalCase


class PersonSerializer(OutputModelSerializer):
    name = serializers.CharField(source="get_full_name")

    class Meta:
        model = User
        fields = ["id", "name", "email"]


class CasePolicySerializer(FastRepresentationMixin, serializers.Serializer):
    id = serializers.IntegerField()
    policy_number = serializers.CharField()
    customer_name = serializers.CharField(source="customer.full_name")
    policy_type = serializers.CharField()


class CaseListSerializer(OutputModelSerializer):
    policy = CasePolicySerializer()
    assigned_to = PersonSerializer(allow_null=True)

    class Meta:
        model = RenewalCase
        fields = [
            "id",
            "case_number",
            "policy",
            "status",
            "priority",
            "renewal_period",
            "renewal_amount",
            "payment_status",
            "assigned_to",
            "created_at",
        ]
        read_only_fields = fields


class CaseEventSerializer(OutputModelSerializer):
    date = serializers.DateTimeField(source="occurred_at")
    user = serializers.SerializerMethodField()

    class Meta:
        model = CaseEvent
        fields = ["date", "action", "user", "details"]
        read_only_fields = fields

    def get_user(self, obj) -> str:
        return obj.actor.get_full_name() if obj.actor_id else "System"


class CaseDocumentSerializer(OutputModelSerializer):
    """Seed 003 case detail `documents[]`: id, name, url, uploaded_at (url null while the file is quarantined)."""

    name = serializers.CharField(source="original_name")
    url = serializers.SerializerMethodField()
    uploaded_at = serializers.DateTimeField(source="created_at")

    class Meta:
        model = Document
        fields = ["id", "name", "url", "uploaded_at", "doc_type", "mime_type", "size", "scan_status"]
        read_only_fields = fields

    def get_url(self, obj) -> str | None:
        return reverse("v1:files-download", kwargs={"pk": obj.pk}) if obj.is_downloadable else None


class CaseDetailSerializer(OutputModelSerializer):
    """Needs `documents` in its context: the case's files the asking user may see (selectors.case_documents)."""

    policy = serializers.SerializerMethodField()
    assigned_to = PersonSerializer(allow_null=True)
    escalated_to = PersonSerializer(allow_null=True)
    timeline = CaseEventSerializer(source="timeline_events", many=True)
    linked = serializers.SerializerMethodField()
    documents = serializers.SerializerMethodField()

    class Meta:
        model = RenewalCase
        fields = [
            "id",
            "case_number",
            "policy",
            "status",
            "priority",
            "renewal_period",
            "renewal_amount",
            "payment_status",
            "payment_method",
            "payment_date",
            "assigned_to",
            "communication_attempts",
            "last_contact_date",
            "notes",
            "escalated_to",
            "escalation_reason",
            "escalated_at",
            "renewed_policy",
            "timeline",
            "linked",
            "documents",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(LinkedEntrySerializer(many=True))
    def get_linked(self, obj) -> list[dict]:
        """Emails about the case, newest first, and why (context `linked`: customers.timeline.linked_entries)."""
        return LinkedEntrySerializer(self.context.get("linked", []), many=True).data

    @extend_schema_field(CaseDocumentSerializer(many=True))
    def get_documents(self, obj) -> list[dict]:
        return CaseDocumentSerializer(self.context["documents"], many=True).data

    def get_policy(self, obj) -> dict:
        policy, customer = obj.policy, obj.policy.customer
        return {
            "id": policy.pk,
            "policy_number": policy.policy_number,
            "policy_type": policy.policy_type,
            "premium_amount": str(policy.premium_amount),
            "start_date": policy.start_date,
            "end_date": policy.end_date,
            "customer": {
                "id": customer.pk,
                "name": customer.full_name,
                "email": customer.email,
                "phone": customer.phone,
            },
        }


class CaseUpdateSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=CaseStatus.choices, required=False)
    priority = serializers.ChoiceField(choices=Priority.choices, required=False)
    payment_status = serializers.ChoiceField(choices=PaymentStatus.choices, required=False)
    payment_method = serializers.CharField(max_length=50, required=False, allow_blank=True)
    payment_date = serializers.DateTimeField(required=False)
    notes = serializers.CharField(max_length=5000, required=False, allow_blank=True)
    record_contact = serializers.BooleanField(required=False, default=False)
    renewal_amount = serializers.DecimalField(
        max_digits=12, decimal_places=2, min_value=Decimal("0.01"), required=False, help_text="The next term's premium."
    )


class CaseAssignSerializer(serializers.Serializer):
    assigned_to = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True))
    notes = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")


class CaseEscalateSerializer(serializers.Serializer):
    escalated_to = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True))
    reason = serializers.CharField(max_length=2000)
    priority = serializers.ChoiceField(choices=Priority.choices, default=Priority.URGENT)


class BatchUploadSerializer(serializers.Serializer):
    file = serializers.FileField(allow_empty_file=True, use_url=False)
    policy_type = serializers.CharField(max_length=30)


class BatchSerializer(serializers.Serializer):
    batch_id = serializers.IntegerField(source="pk")
    file_name = serializers.CharField()
    total_records = serializers.IntegerField()
    status = serializers.CharField()


class IgnoredColumnSerializer(serializers.Serializer):
    column = serializers.IntegerField(help_text="1-based position in the file.")
    header = serializers.CharField()
    reason = serializers.CharField()


class BatchStatusSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    file_name = serializers.CharField()
    policy_type = serializers.CharField()
    status = serializers.CharField()
    message = serializers.CharField()
    total_records = serializers.IntegerField()
    processed_records = serializers.IntegerField()
    successful_records = serializers.IntegerField()
    failed_records = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)
    ignored_columns = IgnoredColumnSerializer(many=True)


class BatchStatusDetailSerializer(BatchStatusSerializer):
    errors = serializers.SerializerMethodField()

    def get_errors(self, obj) -> list[dict]:
        return [{"row": e["row"], "error": e["error"]} for e in obj.error_log[:1000]]


class DashboardQuerySerializer(serializers.Serializer):
    """Seed 003 dashboard query parameters."""

    date_range = serializers.ChoiceField(choices=["week", "month", "custom"], default="month")
    start_date = serializers.DateField(required=False)
    end_date = serializers.DateField(required=False)
    policy_type = serializers.CharField(required=False, default="all", max_length=30)
    case_status = serializers.ChoiceField(choices=["all", "new", "in_progress", "resolved"], default="all")

    def validate(self, attrs):
        if attrs["date_range"] == "custom":
            start, end = attrs.get("start_date"), attrs.get("end_date")
            if not (start and end):
                raise serializers.ValidationError(
                    {"start_date": ["start_date and end_date are required when date_range is custom."]}
                )
            if start > end:
                raise serializers.ValidationError({"end_date": ["end_date is before start_date."]})
            if (end - start).days > 366:
                raise serializers.ValidationError({"end_date": ["At most 367 days at a time."]})
        attrs["policy_type"] = attrs["policy_type"].strip().lower() or "all"
        return attrs


class DashboardStatsSerializer(serializers.Serializer):
    totalCases = serializers.IntegerField()  # noqa: N815 - seed 003 field names
    inProgress = serializers.IntegerField()  # noqa: N815
    renewed = serializers.IntegerField()
    pendingAction = serializers.IntegerField()  # noqa: N815
    errors = serializers.IntegerField()
    # Dashboard sums of money are JSON numbers (seed 003); resources keep exact decimal strings.
    paymentCollected = serializers.FloatField()  # noqa: N815
    paymentPending = serializers.FloatField()  # noqa: N815


class DashboardTrendSerializer(serializers.Serializer):
    name = serializers.CharField()
    date = serializers.DateField()
    newCases = serializers.IntegerField()  # noqa: N815
    renewals = serializers.IntegerField()
    successRate = serializers.FloatField()  # noqa: N815


class _BatchCounts(serializers.Serializer):
    renewed = serializers.IntegerField()
    inProgress = serializers.IntegerField()  # noqa: N815
    pending = serializers.IntegerField()
    failed = serializers.IntegerField()


class _BatchPayment(serializers.Serializer):
    received = serializers.FloatField()
    pending = serializers.FloatField()


class DashboardBatchSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    fileName = serializers.CharField()  # noqa: N815
    batchStatus = serializers.CharField()  # noqa: N815
    status = _BatchCounts()
    payment = _BatchPayment()
