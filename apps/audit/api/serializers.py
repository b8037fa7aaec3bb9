from rest_framework import serializers

from apps.core.api.serializers import OutputModelSerializer

from ..models import SecurityEvent


class SecurityEventSerializer(OutputModelSerializer):
    class Meta:
        model = SecurityEvent
        fields = [
            "id",
            "kind",
            "occurred_at",
            "user",
            "email",
            "ip_address",
            "user_agent",
            "path",
            "request_id",
            "details",
        ]
        read_only_fields = fields


class ChangeEventSerializer(serializers.Serializer):
    id = serializers.CharField(source="pgh_id")
    label = serializers.CharField(source="pgh_label")
    model = serializers.CharField(source="pgh_model")
    object_id = serializers.CharField(source="pgh_obj_id", allow_null=True)
    created_at = serializers.DateTimeField(source="pgh_created_at")
    data = serializers.JSONField(source="pgh_data")
    diff = serializers.JSONField(source="pgh_diff", allow_null=True)
    context = serializers.JSONField(source="pgh_context", allow_null=True)
