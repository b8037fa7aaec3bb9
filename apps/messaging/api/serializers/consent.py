"""The DNC list (seed 004 §3.8)."""

from rest_framework import serializers

from apps.core.api.serializers import OutputModelSerializer
from apps.messaging.models import DncEntry


class DncEntrySerializer(OutputModelSerializer):
    contact_id = serializers.IntegerField(source="customer_id", allow_null=True, read_only=True)
    added_by_id = serializers.IntegerField(allow_null=True, read_only=True)

    class Meta:
        model = DncEntry
        fields = [
            "id",
            "address",
            "channel",
            "reason",
            "source",
            "contact_id",
            "added_by_id",
            "expires_at",
            "created_at",
        ]


class DncEntryInputSerializer(serializers.Serializer):
    address = serializers.CharField(max_length=255, help_text="Phone number (E.164 or national) or email address.")
    channel = serializers.ChoiceField(choices=["", "email", "sms", "whatsapp"], required=False, default="")
    reason = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
    expires_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
