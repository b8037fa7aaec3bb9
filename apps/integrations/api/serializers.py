from rest_framework import serializers

from apps.integrations.models import ExternalCheck


class ExternalCheckSerializer(serializers.ModelSerializer):
    class Meta:
        model = ExternalCheck
        fields = ["id", "kind", "provider", "status", "result", "message", "cached", "duration_ms", "checked_at"]
        read_only_fields = fields
