"""Unified inbox shapes (seed 004 §3.4): conversations, messages, the send request, the webhook answer."""

from rest_framework import serializers

from apps.core.api.serializers import OutputModelSerializer
from apps.messaging.models import Conversation, Message


class ConversationContactSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    customer_code = serializers.CharField()
    name = serializers.CharField(source="full_name")


class ConversationSerializer(OutputModelSerializer):
    contact = ConversationContactSerializer(source="customer", allow_null=True, read_only=True)

    class Meta:
        model = Conversation
        fields = [
            "id",
            "contact",
            "address",
            "last_message_at",
            "last_channel",
            "last_direction",
            "last_preview",
            "unread_count",
        ]


class ChannelMessageSerializer(OutputModelSerializer):
    contact_id = serializers.IntegerField(source="customer_id", allow_null=True, read_only=True)
    template_id = serializers.IntegerField(allow_null=True, read_only=True)
    sent_by_id = serializers.IntegerField(allow_null=True, read_only=True)

    class Meta:
        model = Message
        fields = [
            "id",
            "conversation_id",
            "contact_id",
            "channel",
            "direction",
            "from_address",
            "to_address",
            "body",
            "template_id",
            "template_variables",
            "purpose",
            "provider",
            "provider_message_id",
            "status",
            "error_code",
            "error_message",
            "source",
            "sent_by_id",
            "created_at",
            "status_updated_at",
            "read_at",
        ]


class ConversationQuerySerializer(serializers.Serializer):
    channel = serializers.ChoiceField(choices=["sms", "whatsapp"], required=False)
    unread = serializers.BooleanField(required=False, allow_null=True, default=None)


class MessageSendInputSerializer(serializers.Serializer):
    channel = serializers.ChoiceField(choices=["sms", "whatsapp"])
    to = serializers.CharField(max_length=40, required=False, help_text="Phone number (E.164 or national).")
    contact_id = serializers.IntegerField(required=False, min_value=1, help_text="Or the contact's id: their phone.")
    body = serializers.CharField(max_length=10_000, required=False, allow_blank=True, trim_whitespace=False)
    template_id = serializers.IntegerField(required=False, min_value=1)
    variables = serializers.ListField(
        child=serializers.CharField(max_length=1000), required=False, max_length=20, default=list
    )
    purpose = serializers.ChoiceField(choices=["service", "marketing"], default="service")

    def validate(self, attrs):
        if bool(attrs.get("to")) == bool(attrs.get("contact_id")):
            raise serializers.ValidationError({"to": ["Give either to or contact_id."]})
        if bool(attrs.get("body")) == bool(attrs.get("template_id")):
            raise serializers.ValidationError({"body": ["Give either body or template_id."]})
        return attrs


class IncomingMessageAckSerializer(serializers.Serializer):
    received = serializers.IntegerField()
    duplicates = serializers.IntegerField()
    statuses = serializers.IntegerField()
    templates = serializers.IntegerField()
    message_ids = serializers.ListField(child=serializers.IntegerField())
