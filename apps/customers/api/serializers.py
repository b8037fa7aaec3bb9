"""Customer and interaction shapes. Input serializers validate structure; services apply the rules."""

import zoneinfo

from rest_framework import serializers

from apps.accounts.models import User
from apps.core.api.fields import PhoneNumberField
from apps.core.api.serializers import OutputModelSerializer
from apps.customers.models import Customer, Interaction, KycStatus

CHANNELS = ("email", "sms", "whatsapp", "phone", "post")


class AddressSerializer(serializers.Serializer):
    line1 = serializers.CharField(max_length=200)
    line2 = serializers.CharField(max_length=200, required=False, allow_blank=True)
    city = serializers.CharField(max_length=100)
    region = serializers.CharField(max_length=100, required=False, allow_blank=True)
    postal_code = serializers.CharField(max_length=20, required=False, allow_blank=True)
    country = serializers.RegexField(r"^[A-Z]{2}$", error_messages={"invalid": "ISO 3166-1 alpha-2 code, e.g. PT."})


class QuietHoursSerializer(serializers.Serializer):
    start = serializers.TimeField(format="%H:%M", input_formats=["%H:%M"])
    end = serializers.TimeField(format="%H:%M", input_formats=["%H:%M"])
    timezone = serializers.CharField(max_length=64, default="UTC")

    def validate_timezone(self, value: str) -> str:
        if value not in zoneinfo.available_timezones():
            raise serializers.ValidationError("Unknown time zone.")
        return value


class CommunicationPreferencesSerializer(serializers.Serializer):
    """Per-channel opt-in (explicit consent: absent means no), the order to use them in, quiet hours and
    language."""

    channels = serializers.DictField(child=serializers.BooleanField(), required=False)
    preferred_channels = serializers.ListField(
        child=serializers.ChoiceField(choices=CHANNELS),
        required=False,
        max_length=len(CHANNELS),
        help_text="The order to try consented channels in (default: email, sms, whatsapp).",
    )
    quiet_hours = QuietHoursSerializer(required=False, allow_null=True)
    language = serializers.RegexField(r"^[a-z]{2}(-[A-Z]{2})?$", required=False, default="en")

    def validate_channels(self, value: dict) -> dict:
        unknown = set(value) - set(CHANNELS)
        if unknown:
            raise serializers.ValidationError(f"Unknown channel(s): {', '.join(sorted(unknown))}.")
        return {channel: bool(value.get(channel, False)) for channel in CHANNELS}

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if value.get("quiet_hours"):
            hours = value["quiet_hours"]
            value["quiet_hours"] = {
                "start": hours["start"].strftime("%H:%M"),
                "end": hours["end"].strftime("%H:%M"),
                "timezone": hours["timezone"],
            }
        return value


class CustomerInputSerializer(serializers.Serializer):
    first_name = serializers.CharField(max_length=100)
    last_name = serializers.CharField(max_length=100)
    email = serializers.EmailField(max_length=255, required=False, allow_blank=True)
    phone = PhoneNumberField()
    date_of_birth = serializers.DateField(required=False, allow_null=True)
    address = AddressSerializer(required=False)
    national_id = serializers.CharField(
        max_length=64, required=False, allow_blank=True, allow_null=True, write_only=True
    )
    kyc_status = serializers.ChoiceField(choices=KycStatus.choices, required=False)
    communication_preferences = CommunicationPreferencesSerializer(required=False)
    agent = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), required=False, allow_null=True
    )

    def validate_date_of_birth(self, value):
        from django.utils import timezone

        if value and value > timezone.localdate():
            raise serializers.ValidationError("Cannot be in the future.")
        if value and value.year < 1900:
            raise serializers.ValidationError("Must be after 1900.")
        return value


class CustomerSelfUpdateSerializer(serializers.Serializer):
    """What customers change themselves (seed 002 #3): contact details and preferences."""

    email = serializers.EmailField(max_length=255, required=False, allow_blank=True)
    phone = PhoneNumberField()
    address = AddressSerializer(required=False)
    communication_preferences = CommunicationPreferencesSerializer(required=False)


class AgentSummarySerializer(OutputModelSerializer):
    full_name = serializers.CharField(source="get_full_name")

    class Meta:
        model = User
        fields = ["id", "full_name", "email"]


class CustomerOutputSerializer(OutputModelSerializer):
    agent = AgentSummarySerializer(read_only=True)
    national_id_masked = serializers.SerializerMethodField()
    has_portal_account = serializers.SerializerMethodField()

    class Meta:
        model = Customer
        fields = [
            "id",
            "customer_code",
            "first_name",
            "last_name",
            "email",
            "phone",
            "date_of_birth",
            "address",
            "national_id_masked",
            "kyc_status",
            "kyc_documents",
            "communication_preferences",
            "agent",
            "has_portal_account",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_national_id_masked(self, obj) -> str:
        value = obj.national_id or ""
        return f"{'•' * max(0, len(value) - 3)}{value[-3:]}" if value else ""

    def get_has_portal_account(self, obj) -> bool:
        return obj.user_id is not None


class InteractionInputSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=Interaction.Type.choices)
    direction = serializers.ChoiceField(choices=Interaction.Direction.choices, required=False)
    channel = serializers.CharField(max_length=50, required=False, allow_blank=True)
    summary = serializers.CharField(max_length=5000)
    occurred_at = serializers.DateTimeField(required=False)


class InteractionDeleteSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500)


class InteractionOutputSerializer(OutputModelSerializer):
    author = AgentSummarySerializer(read_only=True)

    class Meta:
        model = Interaction
        fields = [
            "id",
            "customer",
            "type",
            "direction",
            "channel",
            "summary",
            "occurred_at",
            "author",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class ErasureInputSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500)
    confirm = serializers.BooleanField()

    def validate_confirm(self, value: bool) -> bool:
        if not value:
            raise serializers.ValidationError("Set to true to confirm the erasure; it cannot be undone.")
        return value


class LinkedEntrySerializer(serializers.Serializer):
    """A record another app links to this one's timeline (hook `records.timeline`): today the emails about it,
    with the reason each is linked."""

    type = serializers.CharField(help_text="email")
    id = serializers.IntegerField(help_text="The linked record's id (an email: GET /emails/{id}).")
    occurred_at = serializers.DateTimeField()
    direction = serializers.CharField(help_text="inbound, outbound or empty")
    title = serializers.CharField()
    party = serializers.CharField(help_text="Who it is from (received) or to (sent).")
    reason = serializers.CharField(help_text='Why it is linked, e.g. "subject names CLM-2026-0001".')
    status = serializers.CharField()


class ContactDetailSerializer(CustomerOutputSerializer):
    """Seed 004 GET /contacts/{id}: the contact and the records related to it, which the apps holding them add
    (hook `contacts.related`: policies from policies; activities, opportunities, tasks, appointments from crm)."""

    RELATED = ("policies", "activities", "opportunities", "tasks", "appointments")

    policies = serializers.ListField(child=serializers.DictField(), read_only=True)
    activities = serializers.ListField(child=serializers.DictField(), read_only=True)
    opportunities = serializers.ListField(child=serializers.DictField(), read_only=True)
    tasks = serializers.ListField(child=serializers.DictField(), read_only=True)
    appointments = serializers.ListField(child=serializers.DictField(), read_only=True)
    linked = LinkedEntrySerializer(many=True, read_only=True, help_text="Emails about the contact, newest first.")

    class Meta(CustomerOutputSerializer.Meta):
        fields = [
            *CustomerOutputSerializer.Meta.fields,
            "policies",
            "activities",
            "opportunities",
            "tasks",
            "appointments",
            "linked",
        ]
