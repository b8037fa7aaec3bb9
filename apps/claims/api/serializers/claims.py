"""Serializers of claims: list and detail (staff and customer views), filing and working a claim, payments,
communications, fraud."""

from decimal import Decimal

from rest_framework import serializers

from apps.accounts.models import User
from apps.catalog.models import Peril
from apps.claims.models import (
    Claim,
    ClaimCommunication,
    ClaimEvent,
    ClaimPayment,
    ClaimPriority,
    ClaimStatus,
    CommunicationChannel,
    Direction,
    FraudAssessment,
    FraudReview,
    PayeeType,
    Stakeholder,
)
from apps.core.api.serializers import FastRepresentationMixin, OutputModelSerializer
from apps.customers.api.serializers import LinkedEntrySerializer

MONEY = {"max_digits": 12, "decimal_places": 2}


class ClaimPersonSerializer(OutputModelSerializer):
    name = serializers.CharField(source="get_full_name")

    class Meta:
        model = User
        fields = ["id", "name", "email"]


class ClaimCustomerSerializer(FastRepresentationMixin, serializers.Serializer):
    id = serializers.IntegerField()
    customer_code = serializers.CharField()
    name = serializers.CharField(source="full_name")


class ClaimListSerializer(OutputModelSerializer):
    customer = ClaimCustomerSerializer()
    policy_number = serializers.CharField(source="policy.policy_number")
    handler = ClaimPersonSerializer(allow_null=True)
    assessor = ClaimPersonSerializer(allow_null=True)

    class Meta:
        model = Claim
        fields = [
            "id",
            "claim_number",
            "status",
            "priority",
            "claim_type",
            "customer",
            "policy_number",
            "incident_date",
            "reported_date",
            "claimed_amount",
            "currency",
            "reserve_amount",
            "paid_amount",
            "settlement_amount",
            "handler",
            "assessor",
            "fraud_score",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class TimelineEntrySerializer(OutputModelSerializer):
    date = serializers.DateTimeField(source="occurred_at")
    user = serializers.SerializerMethodField()

    class Meta:
        model = ClaimEvent
        fields = ["date", "action", "from_status", "to_status", "user", "note", "internal"]
        read_only_fields = fields

    def get_user(self, obj) -> str:
        return obj.actor.get_full_name() if obj.actor_id else "System"


class PublicTimelineEntrySerializer(TimelineEntrySerializer):
    class Meta(TimelineEntrySerializer.Meta):
        fields = ["date", "action", "from_status", "to_status", "note"]
        read_only_fields = fields


class ClaimTimelineSerializer(serializers.Serializer):
    claim_number = serializers.CharField()
    timeline = TimelineEntrySerializer(many=True, help_text="A customer sees the public entries only.")
    linked = LinkedEntrySerializer(many=True, help_text="Emails about the claim, and why (staff only).")


class ClaimDetailSerializer(ClaimListSerializer):
    vehicle = serializers.SerializerMethodField()
    timeline = TimelineEntrySerializer(source="timeline_events", many=True)
    duplicate_of = serializers.CharField(source="duplicate_of.claim_number", allow_null=True, default=None)

    class Meta(ClaimListSerializer.Meta):
        fields = [
            *ClaimListSerializer.Meta.fields,
            "description",
            "incident_time",
            "incident_place",
            "coverage_code",
            "coverage_limit",
            "deductible",
            "estimated_cost",
            "settlement_date",
            "channel",
            "vehicle",
            "duplicate_of",
            "closed_at",
            "timeline",
        ]
        read_only_fields = fields

    def get_vehicle(self, obj) -> dict | None:
        v = obj.vehicle
        if v is None:
            return None
        return {
            "id": v.pk,
            "vin": v.vin,
            "registration": v.registration,
            "make": v.make,
            "model": v.model,
            "year": v.year,
        }


class CustomerClaimListSerializer(OutputModelSerializer):
    """What the claimant sees of their claims (no reserve, fraud score, handler or internal notes)."""

    policy_number = serializers.CharField(source="policy.policy_number")

    class Meta:
        model = Claim
        fields = [
            "id",
            "claim_number",
            "status",
            "claim_type",
            "policy_number",
            "incident_date",
            "incident_time",
            "incident_place",
            "description",
            "claimed_amount",
            "currency",
            "settlement_amount",
            "paid_amount",
            "reported_date",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class CustomerClaimSerializer(CustomerClaimListSerializer):
    """One claim for its claimant, with the public timeline."""

    timeline = PublicTimelineEntrySerializer(source="timeline_events", many=True)

    class Meta(CustomerClaimListSerializer.Meta):
        fields = [*CustomerClaimListSerializer.Meta.fields, "timeline"]
        read_only_fields = fields


class ClaimFileSerializer(serializers.Serializer):
    policy_id = serializers.IntegerField()
    claim_type = serializers.ChoiceField(choices=Peril.choices)
    claimed_amount = serializers.DecimalField(**MONEY, min_value=Decimal("0.01"))
    description = serializers.CharField(max_length=5000)
    incident_date = serializers.DateField()
    incident_time = serializers.TimeField(required=False, allow_null=True)
    incident_place = serializers.CharField(max_length=255)
    vehicle_id = serializers.IntegerField(required=False, allow_null=True)


class ClaimUpdateSerializer(serializers.Serializer):
    priority = serializers.ChoiceField(choices=ClaimPriority.choices, required=False)
    estimated_cost = serializers.DecimalField(**MONEY, min_value=Decimal("0"), required=False, allow_null=True)
    description = serializers.CharField(max_length=5000, required=False)
    incident_place = serializers.CharField(max_length=255, required=False)
    incident_time = serializers.TimeField(required=False, allow_null=True)


class ClaimTransitionSerializer(serializers.Serializer):
    to = serializers.ChoiceField(choices=ClaimStatus.choices)
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    settlement_amount = serializers.DecimalField(**MONEY, min_value=Decimal("0.01"), required=False)


class ClaimAssignSerializer(serializers.Serializer):
    handler_id = serializers.IntegerField(required=False, allow_null=True)
    assessor_id = serializers.IntegerField(required=False, allow_null=True)


class ReserveSerializer(serializers.Serializer):
    amount = serializers.DecimalField(**MONEY, min_value=Decimal("0"))
    reason = serializers.CharField(max_length=300)


class PaymentRequestSerializer(serializers.Serializer):
    amount = serializers.DecimalField(**MONEY, min_value=Decimal("0.01"))
    payee_name = serializers.CharField(max_length=150)
    payee_type = serializers.ChoiceField(choices=PayeeType.choices, default=PayeeType.CUSTOMER)
    bank_account = serializers.RegexField(r"^[A-Za-z]{2}[0-9]{2}[A-Za-z0-9 ]{8,34}$", required=False, allow_blank=True)
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class PaymentDecisionSerializer(serializers.Serializer):
    approve = serializers.BooleanField()
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class ClaimPaymentSerializer(OutputModelSerializer):
    requested_by = ClaimPersonSerializer()
    decided_by = ClaimPersonSerializer(allow_null=True)

    class Meta:
        model = ClaimPayment
        fields = [
            "id",
            "amount",
            "currency",
            "payee_type",
            "payee_name",
            "bank_account_last4",
            "note",
            "status",
            "requested_by",
            "decided_by",
            "decided_at",
            "decision_note",
            "paid_at",
            "created_at",
        ]
        read_only_fields = fields


class CommunicationInputSerializer(serializers.Serializer):
    stakeholder = serializers.ChoiceField(choices=Stakeholder.choices)
    channel = serializers.ChoiceField(choices=CommunicationChannel.choices)
    direction = serializers.ChoiceField(choices=Direction.choices)
    subject = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    body = serializers.CharField(max_length=20000)
    contact_name = serializers.CharField(max_length=150, required=False, allow_blank=True, default="")
    occurred_at = serializers.DateTimeField(required=False)
    attachment_ids = serializers.ListField(
        child=serializers.IntegerField(), required=False, max_length=20, default=list
    )


class ClaimCommunicationSerializer(OutputModelSerializer):
    author = ClaimPersonSerializer(allow_null=True)
    attachments = serializers.SerializerMethodField()

    class Meta:
        model = ClaimCommunication
        fields = [
            "id",
            "stakeholder",
            "channel",
            "direction",
            "subject",
            "body",
            "contact_name",
            "author",
            "attachments",
            "occurred_at",
            "created_at",
        ]
        read_only_fields = fields

    def get_attachments(self, obj) -> list[dict]:
        return [{"id": d.pk, "name": d.original_name, "mime_type": d.mime_type} for d in obj.attachments.all()]


class FraudIndicatorSerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()
    points = serializers.IntegerField()
    explanation = serializers.CharField()


class FraudAssessmentSerializer(OutputModelSerializer):
    indicators = FraudIndicatorSerializer(many=True)
    decided_by = ClaimPersonSerializer(allow_null=True)

    class Meta:
        model = FraudAssessment
        fields = [
            "id",
            "score",
            "indicators",
            "anomaly",
            "model_version",
            "computed_at",
            "decision",
            "decision_note",
            "decided_by",
            "decided_at",
        ]
        read_only_fields = fields


class FraudDecisionSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=[c for c in FraudReview.choices if c[0] != FraudReview.PENDING])
    note = serializers.CharField(max_length=2000)
