from rest_framework import serializers

from apps.core.api.serializers import OutputModelSerializer
from apps.customers.api.serializers import QuietHoursSerializer  # the same shape as customers' own
from apps.notifications.models import Notification, NotificationPreference, NotificationType

TYPES = [c[0] for c in NotificationType.choices]


class NotificationSerializer(OutputModelSerializer):
    class Meta:
        model = Notification
        fields = [
            "id",
            "type",
            "event",
            "title",
            "message",
            "data",
            "link",
            "read_status",
            "read_at",
            "priority",
            "expires_at",
            "created_at",
        ]
        read_only_fields = fields


class NotificationQuerySerializer(serializers.Serializer):
    read_status = serializers.ChoiceField(choices=["all", "read", "unread"], default="all", required=False)
    type = serializers.ChoiceField(choices=["all", *TYPES], default="all", required=False)


class MarkReadSerializer(serializers.Serializer):
    ids = serializers.ListField(child=serializers.IntegerField(), required=False, max_length=1000)


class PreferencesSerializer(OutputModelSerializer):
    in_app = serializers.DictField(child=serializers.BooleanField(), required=False)
    email = serializers.DictField(child=serializers.BooleanField(), required=False)
    quiet_hours = QuietHoursSerializer(required=False, allow_null=True)
    # null until the person first saves preferences (the defaults are shown from an unsaved row)
    updated_at = serializers.DateTimeField(read_only=True, allow_null=True)

    class Meta:
        model = NotificationPreference
        fields = ["in_app", "email", "quiet_hours", "updated_at"]
        read_only_fields = ["updated_at"]

    def _check_types(self, value: dict) -> dict:
        unknown = sorted(set(value) - set(TYPES))
        if unknown:
            raise serializers.ValidationError(f"Unknown notification type(s): {', '.join(unknown)}.")
        return value

    def validate_in_app(self, value):
        return self._check_types(value)

    def validate_email(self, value):
        return self._check_types(value)

    def to_representation(self, instance):
        return {
            "in_app": instance.in_app or {},
            "email": instance.email or {},
            "quiet_hours": instance.quiet_hours or None,
            "updated_at": instance.updated_at.isoformat() if instance.updated_at else None,
        }
