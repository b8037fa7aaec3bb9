"""Unified inbox shapes (seed 004 §3.4): conversations, messages, the send request, the webhook answer."""

from rest_framework import serializers

from apps.core.api.serializers import OutputModelSerializer
from apps.messaging.models import Channel, Conversation, Email, Message


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


class HistoryItemSerializer(serializers.Serializer):
    """One item of a contact's history: an SMS or WhatsApp message (`type` message: the seed's `Message`) or an
    email (`type` email, `id` its /emails/{id}, with `subject` and `thread_id`)."""

    id = serializers.IntegerField(source="h_id")
    type = serializers.ChoiceField(source="h_type", choices=["message", "email"])
    conversation_id = serializers.IntegerField(source="h_conversation_id", allow_null=True)
    contact_id = serializers.IntegerField(source="h_contact_id", allow_null=True)
    channel = serializers.ChoiceField(source="h_channel", choices=Channel.choices)
    direction = serializers.ChoiceField(source="h_direction", choices=["inbound", "outbound"])
    from_address = serializers.CharField(source="h_from_address")
    to_address = serializers.CharField(source="h_to_address")
    subject = serializers.CharField(source="h_subject", allow_null=True)
    body = serializers.CharField(source="h_body")
    template_id = serializers.IntegerField(source="h_template_id", allow_null=True)
    template_variables = serializers.ListField(source="h_template_variables", child=serializers.CharField())
    purpose = serializers.CharField(source="h_purpose")
    provider = serializers.CharField(source="h_provider")
    provider_message_id = serializers.CharField(source="h_provider_message_id", help_text="An email's Message-ID.")
    status = serializers.CharField(
        source="h_status",
        help_text="received, queued, sent, delivered, read or failed (emails: received, queued, sent, failed).",
    )
    error_code = serializers.CharField(source="h_error_code")
    error_message = serializers.CharField(source="h_error_message")
    source = serializers.CharField(source="h_source")
    sent_by_id = serializers.IntegerField(source="h_sent_by_id", allow_null=True)
    created_at = serializers.DateTimeField(source="h_created_at")
    status_updated_at = serializers.DateTimeField(source="h_status_updated_at", allow_null=True)
    read = serializers.BooleanField(source="h_read", help_text="Staff have read it (always true when outbound).")
    thread_id = serializers.CharField(source="h_thread_id", allow_null=True)


class HistoryQuerySerializer(serializers.Serializer):
    type = serializers.ChoiceField(
        choices=["contact", "lead"], default="contact", help_text="Whether the id is a contact's or a lead's."
    )
    sort_order = serializers.ChoiceField(choices=["asc", "desc"], default="desc")


class ConversationQuerySerializer(serializers.Serializer):
    channel = serializers.ChoiceField(choices=Channel.choices, required=False)
    unread = serializers.BooleanField(required=False, allow_null=True, default=None)


class MessageSendInputSerializer(serializers.Serializer):
    channel = serializers.ChoiceField(choices=Channel.choices)
    to = serializers.CharField(
        max_length=254, required=False, help_text="Phone number (E.164 or national), or an email address."
    )
    contact_id = serializers.IntegerField(
        required=False, min_value=1, help_text="Or the contact's id: their phone (SMS, WhatsApp) or email."
    )
    subject = serializers.CharField(
        max_length=998,
        required=False,
        allow_blank=True,
        help_text="Email only. Empty: answers the contact's latest email in its thread (Re:).",
    )
    account_id = serializers.IntegerField(
        required=False,
        min_value=1,
        help_text="Email only: the mailbox to send from (default: the one the contact last wrote to).",
    )
    body = serializers.CharField(max_length=10_000, required=False, allow_blank=True, trim_whitespace=False)
    template_id = serializers.IntegerField(required=False, min_value=1, help_text="WhatsApp only.")
    variables = serializers.ListField(
        child=serializers.CharField(max_length=1000), required=False, max_length=20, default=list
    )
    purpose = serializers.ChoiceField(choices=["service", "marketing"], default="service")

    def validate(self, attrs):
        if bool(attrs.get("to")) == bool(attrs.get("contact_id")):
            raise serializers.ValidationError({"to": ["Give either to or contact_id."]})
        if bool(attrs.get("body")) == bool(attrs.get("template_id")):
            raise serializers.ValidationError({"body": ["Give either body or template_id."]})
        if attrs["channel"] == "email":
            if attrs.get("template_id"):
                raise serializers.ValidationError({"template_id": ["Templates are WhatsApp templates."]})
        elif "subject" in attrs or "account_id" in attrs:
            field = "subject" if "subject" in attrs else "account_id"
            raise serializers.ValidationError({field: ["Only for email."]})
        return attrs


class SentEmailSerializer(OutputModelSerializer):
    """An email sent from the unified inbox, named as a channel message is (its `id` is its /emails/{id})."""

    channel = serializers.SerializerMethodField()
    contact_id = serializers.IntegerField(source="customer_id", allow_null=True, read_only=True)
    from_address = serializers.CharField(source="from_email", read_only=True)
    to_address = serializers.CharField(source="to_email", read_only=True)
    body = serializers.CharField(source="body_text", read_only=True)
    status = serializers.CharField(source="delivery_status", read_only=True, help_text="queued, sent or failed.")
    account_id = serializers.IntegerField(read_only=True)
    sent_by_id = serializers.IntegerField(allow_null=True, read_only=True)
    created_at = serializers.DateTimeField(source="received_at", read_only=True)

    class Meta:
        model = Email
        fields = [
            "id",
            "channel",
            "contact_id",
            "direction",
            "account_id",
            "from_address",
            "to_address",
            "subject",
            "body",
            "message_id",
            "thread_id",
            "in_reply_to",
            "references",
            "status",
            "sent_by_id",
            "created_at",
        ]

    def get_channel(self, obj) -> str:
        return "email"


class IncomingMessageAckSerializer(serializers.Serializer):
    received = serializers.IntegerField()
    duplicates = serializers.IntegerField()
    statuses = serializers.IntegerField()
    templates = serializers.IntegerField()
    message_ids = serializers.ListField(child=serializers.IntegerField())
