from decimal import Decimal

from rest_framework import serializers

from apps.billing.models import Commission, Instalment, Payment, Transaction, TransactionType
from apps.core.api.serializers import OutputModelSerializer


class InstalmentSerializer(OutputModelSerializer):
    class Meta:
        model = Instalment
        fields = ["sequence", "due_date", "amount", "currency", "status", "paid_at"]
        read_only_fields = fields


class PaymentInputSerializer(serializers.Serializer):
    policy_id = serializers.IntegerField(min_value=1)
    amount = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=Decimal("0.01"))
    currency = serializers.CharField(max_length=3, required=False)
    method = serializers.ChoiceField(choices=Payment.Method.choices)
    paid_at = serializers.DateTimeField(required=False)
    provider_reference = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")


class PaymentSerializer(OutputModelSerializer):
    policy_number = serializers.CharField(source="policy.policy_number")

    class Meta:
        model = Payment
        fields = [
            "id",
            "policy",
            "policy_number",
            "instalment",
            "amount",
            "currency",
            "method",
            "status",
            "provider",
            "provider_reference",
            "paid_at",
            "created_at",
        ]
        read_only_fields = fields


class TransactionSerializer(OutputModelSerializer):
    policy_number = serializers.CharField(source="policy.policy_number", default=None)

    class Meta:
        model = Transaction
        fields = ["id", "type", "amount", "currency", "policy", "policy_number", "description", "occurred_at"]
        read_only_fields = fields


class CommissionSerializer(OutputModelSerializer):
    policy_number = serializers.CharField(source="policy.policy_number")
    agent_name = serializers.CharField(source="agent.get_full_name")

    class Meta:
        model = Commission
        fields = [
            "id",
            "policy",
            "policy_number",
            "agent",
            "agent_name",
            "payment",
            "rate",
            "amount",
            "currency",
            "status",
            "created_at",
        ]
        read_only_fields = fields


class LoyaltyRedeemSerializer(serializers.Serializer):
    policy_id = serializers.IntegerField(min_value=1)
    points = serializers.IntegerField(min_value=1, max_value=1_000_000)
    customer_id = serializers.IntegerField(min_value=1, required=False)


class WebhookAckSerializer(serializers.Serializer):
    result = serializers.ChoiceField(choices=["processed", "duplicate", "ignored", "unapplied"])
    payment_id = serializers.IntegerField(allow_null=True)


TYPES = TransactionType.choices
