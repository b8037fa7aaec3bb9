"""Web Push subscriptions in the notification preferences (the browser's PushSubscription.toJSON())."""

from rest_framework import serializers

from apps.core.api.serializers import OutputModelSerializer
from apps.messaging.models import PushSubscription
from apps.notifications.models import NotificationType


class PushSubscriptionSerializer(OutputModelSerializer):
    class Meta:
        model = PushSubscription
        fields = ["id", "endpoint", "types", "user_agent", "created_at", "last_success_at"]


class PushKeysSerializer(serializers.Serializer):
    p256dh = serializers.RegexField(r"^[A-Za-z0-9_-]{80,100}={0,2}$", max_length=200)
    auth = serializers.RegexField(r"^[A-Za-z0-9_-]{16,30}={0,2}$", max_length=100)


class PushSubscriptionInputSerializer(serializers.Serializer):
    endpoint = serializers.URLField(max_length=1000)
    keys = PushKeysSerializer()
    types = serializers.ListField(
        child=serializers.ChoiceField(choices=NotificationType.choices), required=False, default=list, max_length=10
    )


class PushSettingsSerializer(serializers.Serializer):
    enabled = serializers.BooleanField()
    vapid_public_key = serializers.CharField(allow_blank=True)
    subscriptions = PushSubscriptionSerializer(many=True)
