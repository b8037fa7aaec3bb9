"""Input and output shapes of the surveys API (seed 003 `surveys` and `survey_responses` fields)."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.core.api.serializers import OutputModelSerializer

from .. import survey_schema
from ..models import Survey, SurveyKind, SurveyResponse, SurveyStatus, SurveyTrigger
from ..selectors.surveys import PERIODS
from ..services.surveys import has_unpublished_changes


class SurveySkipConditionSerializer(serializers.Serializer):
    op = serializers.ChoiceField(choices=survey_schema.OPERATORS)
    value = serializers.JSONField(required=False, help_text="A number, a label or a list (for `in`).")


class SurveySkipRuleSerializer(serializers.Serializer):
    condition = SurveySkipConditionSerializer(label="if")
    goto = serializers.CharField(help_text="A later question's id, or `end`.")

    def get_fields(self):  # `if` is a keyword in Python, not in JSON
        fields = super().get_fields()
        fields["if"] = fields.pop("condition")
        return fields


class SurveyQuestionSerializer(serializers.Serializer):
    """One question of a survey (see apps/campaigns/survey_schema.py)."""

    id = serializers.RegexField(survey_schema.ID_RE.pattern)
    type = serializers.ChoiceField(choices=survey_schema.TYPES)
    text = serializers.CharField(max_length=500)
    required = serializers.BooleanField(required=False, default=False)
    help = serializers.CharField(required=False, max_length=300)
    options = serializers.ListField(child=serializers.CharField(max_length=200), required=False)
    min = serializers.IntegerField(required=False, help_text="rating: lowest value (default 1)")
    max = serializers.IntegerField(required=False, help_text="rating: highest value (default 5, at most 10)")
    max_choices = serializers.IntegerField(required=False, help_text="multiple_choice: at most this many")
    max_length = serializers.IntegerField(required=False, help_text="text: at most this many characters")
    skip = SurveySkipRuleSerializer(many=True, required=False)


class SurveySettingsSerializer(serializers.Serializer):
    link_valid_days = serializers.IntegerField(required=False, min_value=1, max_value=365)
    thank_you = serializers.CharField(required=False, max_length=1000)
    intro = serializers.CharField(required=False, max_length=1000)


@extend_schema_field(SurveyQuestionSerializer(many=True))
class QuestionsField(serializers.JSONField):
    """Checked by the service (every problem named by question), documented as the list of questions."""


@extend_schema_field(SurveySettingsSerializer)
class SettingsField(serializers.JSONField):
    pass


class SurveyCreateSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=255)
    description = serializers.CharField(required=False, allow_blank=True, max_length=5000, default="")
    questions = QuestionsField()
    settings = SettingsField(required=False, default=dict)
    trigger = serializers.ChoiceField(choices=SurveyTrigger.choices, required=False, allow_blank=True, default="")
    expires_at = serializers.DateTimeField(required=False, allow_null=True, default=None)


class SurveyUpdateSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=255, required=False)
    description = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    questions = QuestionsField(required=False)
    settings = SettingsField(required=False)
    trigger = serializers.ChoiceField(choices=SurveyTrigger.choices, required=False, allow_blank=True)
    expires_at = serializers.DateTimeField(required=False, allow_null=True)


class SurveyPublishSerializer(serializers.Serializer):
    expires_at = serializers.DateTimeField(required=False, allow_null=True, help_text="Set or change the expiry.")


class SurveySerializer(OutputModelSerializer):
    """A survey as seed 003's `surveys` row, with its live version and whether the working copy differs."""

    kind = serializers.ChoiceField(choices=SurveyKind.choices, read_only=True)
    status = serializers.ChoiceField(choices=SurveyStatus.choices, read_only=True)
    questions = QuestionsField(read_only=True)
    settings = SettingsField(read_only=True)
    version = serializers.SerializerMethodField()
    has_unpublished_changes = serializers.SerializerMethodField()

    class Meta:
        model = Survey
        fields = [
            "id",
            "title",
            "description",
            "kind",
            "status",
            "trigger",
            "questions",
            "settings",
            "version",
            "has_unpublished_changes",
            "published_at",
            "expires_at",
            "response_count",
            "created_by_id",
            "created_at",
            "updated_at",
        ]

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_version(self, survey) -> int | None:
        return survey.current_version.number if survey.current_version_id else None

    def get_has_unpublished_changes(self, survey) -> bool:
        return survey.status != SurveyStatus.CLOSED and has_unpublished_changes(survey)


class SurveyResponseSerializer(OutputModelSerializer):
    """One response (seed 003 `survey_responses`) with what analytics groups it by."""

    customer = serializers.SerializerMethodField()
    version = serializers.IntegerField(source="version.number")
    agent = serializers.SerializerMethodField()
    team = serializers.CharField(source="team.name", allow_null=True, default=None)
    nps_group = serializers.CharField()
    follow_up_ticket = serializers.SerializerMethodField()

    class Meta:
        model = SurveyResponse
        fields = [
            "id",
            "survey_id",
            "version",
            "customer_id",
            "customer",
            "responses",
            "completion_time",
            "ip_address",
            "user_agent",
            "score",
            "score_kind",
            "nps_group",
            "channel",
            "source",
            "agent",
            "team",
            "product_line",
            "feedback_category",
            "sentiment_score",
            "sentiment_label",
            "classifier_version",
            "follow_up_ticket",
            "created_at",
        ]

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_customer(self, response) -> str | None:
        c = response.customer
        return f"{c.first_name} {c.last_name}".strip() if c is not None else None

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_agent(self, response) -> str | None:
        return response.agent.get_full_name() if response.agent is not None else None

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_follow_up_ticket(self, response) -> str | None:
        follow_up = getattr(response, "follow_up", None)
        return follow_up.ticket.ticket_number if follow_up is not None else None


class SurveyAnalyticsQuerySerializer(serializers.Serializer):
    period = serializers.ChoiceField(choices=sorted(PERIODS), required=False, default="month")
    date_from = serializers.DateField(required=False)
    date_to = serializers.DateField(required=False)

    def validate(self, attrs):
        if attrs.get("date_from") and attrs.get("date_to") and attrs["date_from"] > attrs["date_to"]:
            raise serializers.ValidationError({"date_to": ["Must not be before date_from."]})
        return attrs


class SurveyFiguresSerializer(serializers.Serializer):
    responses = serializers.IntegerField()
    nps = serializers.FloatField(allow_null=True, help_text="% promoters − % detractors, −100…100")
    promoters = serializers.IntegerField()
    passives = serializers.IntegerField()
    detractors = serializers.IntegerField()
    csat = serializers.FloatField(allow_null=True, help_text="% of CSAT answers that are 4 or 5")
    csat_average = serializers.FloatField(allow_null=True)
    average_score = serializers.FloatField(allow_null=True)
    sentiment = serializers.FloatField(allow_null=True, help_text="Average VADER compound score of the free text")


class SurveyOverallSerializer(SurveyFiguresSerializer):
    invited = serializers.IntegerField()
    delivered = serializers.IntegerField()
    not_sent = serializers.IntegerField()
    answered = serializers.IntegerField()
    response_rate = serializers.FloatField(allow_null=True)


class SurveyTrendSerializer(SurveyFiguresSerializer):
    period = serializers.DateField(help_text="The first day of the day, week or month")


class SurveyGroupSerializer(SurveyFiguresSerializer):
    key = serializers.JSONField(allow_null=True, help_text="The agent's or team's id, the product line, the channel")
    label = serializers.CharField()


class SurveyFeedbackCategorySerializer(serializers.Serializer):
    category = serializers.CharField()
    count = serializers.IntegerField()
    sentiment = serializers.FloatField(allow_null=True)


class SurveySentimentCountsSerializer(serializers.Serializer):
    positive = serializers.IntegerField()
    neutral = serializers.IntegerField()
    negative = serializers.IntegerField()


class SurveyFeedbackSerializer(serializers.Serializer):
    categories = SurveyFeedbackCategorySerializer(many=True)
    sentiment = SurveySentimentCountsSerializer()


class SurveyAnalyticsSerializer(serializers.Serializer):
    survey_id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=SurveyKind.choices)
    period = serializers.CharField()
    overall = SurveyOverallSerializer()
    trend = SurveyTrendSerializer(many=True)
    by_agent = SurveyGroupSerializer(many=True)
    by_team = SurveyGroupSerializer(many=True)
    by_product_line = SurveyGroupSerializer(many=True)
    by_channel = SurveyGroupSerializer(many=True)
    feedback = SurveyFeedbackSerializer()


class SurveyLinkSerializer(serializers.Serializer):
    """What a signed link opens: the version's questions and whether it may still be answered."""

    survey_id = serializers.IntegerField()
    title = serializers.CharField()
    description = serializers.CharField(allow_blank=True)
    questions = QuestionsField()
    intro = serializers.CharField(allow_blank=True)
    state = serializers.ChoiceField(choices=["open", "answered", "expired", "closed"])
    expires_at = serializers.DateTimeField()
    started = serializers.CharField(help_text="Send back as `started` to record the completion time.")


class SurveyAnswerSerializer(serializers.Serializer):
    responses = serializers.JSONField(help_text="The answers by question id: a number, a label, a list or text.")
    started = serializers.CharField(required=False, max_length=200, help_text="The `started` the GET gave.")


class SurveyAnswerResultSerializer(serializers.Serializer):
    response_id = serializers.IntegerField()
    thank_you = serializers.CharField()
