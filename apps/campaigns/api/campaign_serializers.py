"""Input and output shapes of the campaigns API (seed 003 `campaigns` table and endpoints, seed 004 §3.4)."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.core.api.serializers import OutputModelSerializer

from ..models import Campaign, CampaignChannel, CampaignPurpose, CampaignStatus, CampaignVariant, GoalMetric

SCHEDULE_TYPES = [("immediate", "Immediate"), ("scheduled", "Scheduled")]


class CampaignVariantInputSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=10, required=False)
    name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    weight = serializers.IntegerField(min_value=1, max_value=100, required=False)
    content = serializers.JSONField(required=False, help_text="Overrides of the campaign's content.")


class CampaignInputSerializer(serializers.Serializer):
    """Seed 003 POST /campaigns body, plus the A/B, holdout, purpose and attribution settings."""

    name = serializers.CharField(max_length=255)
    description = serializers.CharField(required=False, allow_blank=True)
    type = serializers.ChoiceField(choices=CampaignChannel.choices)
    target_audience = serializers.JSONField(
        required=False,
        help_text='Audience segment: {"policy_types": [...], "renewal_window": "30_days", "regions": [...], '
        '"products", "tenure_years_min/max", "claims_min/max", "claims_within_days", "lead_statuses", '
        '"consented_only", "agent_ids", "customer_ids"}.',
    )
    content = serializers.JSONField(
        help_text='{"subject", "body" with {{ first_name }}-style variables, "template_id" (an email template), '
        '"whatsapp_template_id", "template_variables", "personalization"}'
    )
    schedule_type = serializers.ChoiceField(choices=SCHEDULE_TYPES, required=False, default="immediate")
    scheduled_at = serializers.DateTimeField(required=False, allow_null=True)
    channels = serializers.ListField(child=serializers.ChoiceField(choices=CampaignChannel.choices), min_length=1)
    budget = serializers.DecimalField(max_digits=12, decimal_places=2, required=False, allow_null=True, min_value=0)
    purpose = serializers.ChoiceField(choices=CampaignPurpose.choices, required=False)
    goal_metric = serializers.ChoiceField(choices=GoalMetric.choices, required=False)
    attribution_days = serializers.IntegerField(min_value=1, max_value=365, required=False)
    test_percent = serializers.IntegerField(min_value=1, max_value=100, required=False)
    test_window_hours = serializers.IntegerField(min_value=1, max_value=720, required=False)
    holdout_percent = serializers.IntegerField(min_value=0, max_value=50, required=False)
    survey_id = serializers.IntegerField(
        required=False,
        allow_null=True,
        help_text="A published survey the campaign carries: each recipient gets their own signed link "
        "({{ survey_link }} in the body, added as the last line when absent).",
    )
    variants = CampaignVariantInputSerializer(many=True, required=False)

    def validate_content(self, value):
        if not isinstance(value, dict):
            raise serializers.ValidationError("An object with subject and body.")
        value = dict(value)
        value.pop("personalization", None)  # personalisation is always on: variables are in the text
        return value


class AudiencePreviewInputSerializer(serializers.Serializer):
    target_audience = serializers.JSONField(required=False)
    channels = serializers.ListField(
        child=serializers.ChoiceField(choices=CampaignChannel.choices), required=False, default=list
    )
    purpose = serializers.ChoiceField(choices=CampaignPurpose.choices, required=False, default="marketing")


class WinnerInputSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=10, help_text="The variant that wins (A, B…).")
    reason = serializers.CharField(max_length=200, required=False, default="", allow_blank=True)


class AudienceSampleSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    customer_code = serializers.CharField()
    name = serializers.CharField()


class AudiencePreviewSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    sample = AudienceSampleSerializer(many=True)


class CampaignVariantSerializer(OutputModelSerializer):
    class Meta:
        model = CampaignVariant
        fields = ["id", "code", "name", "weight", "content", "links"]


class CampaignSerializer(OutputModelSerializer):
    created_by = serializers.SerializerMethodField()
    variants = CampaignVariantSerializer(many=True)
    winner = serializers.SerializerMethodField()
    status = serializers.ChoiceField(choices=CampaignStatus.choices)
    metrics = serializers.SerializerMethodField()
    survey_id = serializers.IntegerField(read_only=True, allow_null=True)

    class Meta:
        model = Campaign
        fields = [
            "id",
            "name",
            "description",
            "type",
            "status",
            "created_by",
            "target_audience",
            "content",
            "schedule_type",
            "scheduled_at",
            "channels",
            "budget",
            "metrics",
            "purpose",
            "goal_metric",
            "attribution_days",
            "test_percent",
            "test_window_hours",
            "holdout_percent",
            "survey_id",
            "variants",
            "winner",
            "winner_reason",
            "started_at",
            "test_ends_at",
            "finished_at",
            "created_at",
            "updated_at",
        ]

    @extend_schema_field(
        {"type": "object", "nullable": True, "properties": {"id": {"type": "integer"}, "name": {"type": "string"}}}
    )
    def get_created_by(self, obj):
        user = obj.created_by
        return {"id": user.pk, "name": user.get_full_name() or user.email} if user is not None else None

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_winner(self, obj):
        return obj.winner.code if obj.winner_id else None

    @extend_schema_field(serializers.JSONField(allow_null=True))
    def get_metrics(self, obj):
        """Whole-campaign figures: for those who see every customer's results (agents use /analytics)."""
        return obj.metrics if self.context.get("full_view", True) else None


class VariantFiguresSerializer(serializers.Serializer):
    code = serializers.CharField()
    sent = serializers.IntegerField()
    delivered = serializers.IntegerField()
    opened = serializers.IntegerField()
    clicked = serializers.IntegerField()
    converted = serializers.IntegerField()
    open_rate = serializers.FloatField()
    click_rate = serializers.FloatField()
    conversion_rate = serializers.FloatField()


class CampaignAnalyticsSerializer(serializers.Serializer):
    """Seed 003 GET /campaigns/{id}/analytics: its keys first, then the breakdowns."""

    sent = serializers.IntegerField()
    delivered = serializers.IntegerField()
    opened = serializers.IntegerField()
    clicked = serializers.IntegerField()
    converted = serializers.IntegerField()
    open_rate = serializers.FloatField()
    click_rate = serializers.FloatField()
    conversion_rate = serializers.FloatField()
    machine_opened = serializers.IntegerField()
    bounced = serializers.IntegerField()
    failed = serializers.IntegerField()
    refused = serializers.IntegerField()
    suppressed = serializers.IntegerField()
    queued = serializers.IntegerField()
    cancelled = serializers.IntegerField()
    variants = VariantFiguresSerializer(many=True)
    winner = serializers.CharField(allow_null=True)
    winner_reason = serializers.CharField(allow_blank=True)
    holdout = serializers.JSONField()
    budget = serializers.JSONField()
    over_time = serializers.JSONField()
