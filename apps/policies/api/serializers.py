from decimal import Decimal

from rest_framework import serializers

from apps.accounts.models import Branch, User
from apps.catalog.models import Product
from apps.core.api.serializers import OutputModelSerializer
from apps.customers.api.serializers import AddressSerializer, LinkedEntrySerializer
from apps.policies.models import Endorsement, EndorsementKind, PaymentFrequency, Policy, PolicyTransition, Vehicle
from apps.policies.services import POLICY_WORKFLOW, allowed_actions

SELLERS = ["agent", "manager", "admin"]


class VehicleInputSerializer(serializers.Serializer):
    vin = serializers.CharField(max_length=25)
    registration = serializers.CharField(max_length=15)
    make = serializers.CharField(max_length=60, required=False, allow_blank=True)
    model = serializers.CharField(max_length=60)
    year = serializers.IntegerField(min_value=1900, max_value=2100, required=False)
    value = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=Decimal("0"))


class VehicleSerializer(OutputModelSerializer):
    class Meta:
        model = Vehicle
        fields = [
            "id",
            "vin",
            "registration",
            "make",
            "model",
            "year",
            "value",
            "manufacturer_decoded",
            "added_on",
            "removed_on",
        ]
        read_only_fields = fields


class PolicyCreateSerializer(serializers.Serializer):
    customer_id = serializers.IntegerField(min_value=1, required=False)
    product = serializers.SlugRelatedField(slug_field="code", queryset=Product.objects.select_related("line"))
    start_date = serializers.DateField()
    end_date = serializers.DateField(required=False)
    payment_frequency = serializers.ChoiceField(choices=PaymentFrequency.choices, default=PaymentFrequency.ANNUAL)
    sum_insured = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=Decimal("0"), required=False)
    coverages = serializers.ListField(child=serializers.SlugField(max_length=40), required=False, max_length=50)
    region = serializers.CharField(max_length=20, required=False)
    claims_count = serializers.IntegerField(min_value=0, max_value=50, required=False)
    deductible = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=Decimal("0"), required=False)
    vehicle = VehicleInputSerializer(required=False)
    insured_address = AddressSerializer(required=False)
    agent = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True, role__in=SELLERS), required=False
    )
    branch = serializers.PrimaryKeyRelatedField(queryset=Branch.objects.all(), required=False)
    grace_period_days = serializers.IntegerField(min_value=0, max_value=180, default=30)
    activate = serializers.BooleanField(default=False)

    def validate(self, attrs):
        if attrs.get("end_date") and attrs["end_date"] <= attrs["start_date"]:
            raise serializers.ValidationError({"end_date": ["Must be after the start date."]})
        return attrs


class PolicyUpdateSerializer(serializers.Serializer):
    agent = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True, role__in=SELLERS), required=False
    )
    branch = serializers.PrimaryKeyRelatedField(queryset=Branch.objects.all(), required=False, allow_null=True)
    grace_period_days = serializers.IntegerField(min_value=0, max_value=180, required=False)
    payment_frequency = serializers.ChoiceField(choices=PaymentFrequency.choices, required=False)


class TransitionInputSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=POLICY_WORKFLOW.moves)
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class EndorsementInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=EndorsementKind.choices)
    effective_date = serializers.DateField()
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    sum_insured = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=Decimal("0"), required=False)
    coverages = serializers.ListField(child=serializers.SlugField(max_length=40), required=False, max_length=50)
    vehicle = VehicleInputSerializer(required=False)
    insured_address = AddressSerializer(required=False)


class EndorsementSerializer(OutputModelSerializer):
    class Meta:
        model = Endorsement
        fields = [
            "sequence",
            "kind",
            "effective_date",
            "changes",
            "annual_premium_before",
            "annual_premium_after",
            "premium_delta",
            "reason",
            "created_by",
            "created_at",
        ]
        read_only_fields = fields


class TransitionSerializer(OutputModelSerializer):
    actor = serializers.CharField(source="actor.get_full_name", default=None)

    class Meta:
        model = PolicyTransition
        fields = ["from_status", "to_status", "actor", "note", "occurred_at"]
        read_only_fields = fields


class PolicyTimelineSerializer(serializers.Serializer):
    timeline = TransitionSerializer(many=True)
    linked = LinkedEntrySerializer(many=True, help_text="Emails about the policy, newest first, and why.")


class PolicyListSerializer(OutputModelSerializer):
    customer_name = serializers.SerializerMethodField()
    customer_code = serializers.CharField(source="customer.customer_code")
    product = serializers.CharField(source="product.code")
    product_name = serializers.CharField(source="product.name")
    agent = serializers.PrimaryKeyRelatedField(read_only=True)
    in_arrears = serializers.SerializerMethodField(help_text="An instalment is past due and unpaid.")
    amount_overdue = serializers.DecimalField(
        max_digits=12, decimal_places=2, read_only=True, help_text="Past due and unpaid (0.00 when none)."
    )

    class Meta:
        model = Policy
        fields = [
            "id",
            "policy_number",
            "customer",
            "customer_code",
            "customer_name",
            "product",
            "product_name",
            "policy_type",
            "status",
            "premium_amount",
            "currency",
            "payment_frequency",
            "start_date",
            "end_date",
            "renewal_date",
            "grace_period_days",
            "sum_insured",
            "agent",
            "branch",
            "in_arrears",
            "amount_overdue",
        ]
        read_only_fields = fields

    def get_customer_name(self, obj) -> str:
        return obj.customer.full_name

    def get_in_arrears(self, obj) -> bool:
        return obj.amount_overdue > 0  # annotated by policies_visible_to


class PolicyDetailSerializer(PolicyListSerializer):
    vehicles = VehicleSerializer(many=True, read_only=True)
    endorsements = EndorsementSerializer(many=True, read_only=True)
    allowed_actions = serializers.SerializerMethodField()

    class Meta(PolicyListSerializer.Meta):
        fields = [
            *PolicyListSerializer.Meta.fields,
            "coverage_selections",
            "insured_address",
            "quote_breakdown",
            "version",
            "cancelled_at",
            "cancellation_reason",
            "vehicles",
            "endorsements",
            "allowed_actions",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_allowed_actions(self, obj) -> list[str]:
        return allowed_actions(obj.status)
