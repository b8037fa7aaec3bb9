from apps.core.api.serializers import OutputModelSerializer
from apps.integrations.models import ExternalCheck


class ExternalCheckSerializer(OutputModelSerializer):
    class Meta:
        model = ExternalCheck
        fields = ["id", "kind", "provider", "status", "result", "message", "cached", "duration_ms", "checked_at"]
        read_only_fields = fields
