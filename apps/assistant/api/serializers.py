from rest_framework import serializers

from apps.assistant.models import AiSettings, Channel, Provider, RescindedResponse


class AiQueryInputSerializer(serializers.Serializer):
    """Seed 003 `POST /ai/query`."""

    query = serializers.CharField(max_length=1_000_000, allow_blank=True, trim_whitespace=False)
    context = serializers.DictField(required=False, default=dict)


class SourceSerializer(serializers.Serializer):
    ref = serializers.CharField()
    title = serializers.CharField()
    kind = serializers.CharField()
    url = serializers.CharField(allow_blank=True)


class AiQueryOutputSerializer(serializers.Serializer):
    response = serializers.CharField()
    confidence = serializers.FloatField()
    sources = serializers.ListField(
        child=serializers.CharField(),
        help_text="What the answer rests on: the cited passages' refs, 'platform_figures' when figures were used.",
    )
    suggestions = serializers.ListField(child=serializers.CharField())
    source_details = SourceSerializer(many=True)
    cached = serializers.BooleanField()
    fallback = serializers.BooleanField()


class FunctionCallSerializer(serializers.Serializer):
    name = serializers.CharField()
    args = serializers.DictField()
    result = serializers.DictField()


class ActionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    tool = serializers.CharField()
    summary = serializers.CharField()
    status = serializers.CharField()


class CopilotChatInputSerializer(serializers.Serializer):
    """Seed 004 §3.2 `{history, context}`; `conversation_id` continues a conversation the server keeps."""

    history = serializers.JSONField(help_text="[{role: user|model, parts: [{text}]}, …] ending with the user's message")
    context = serializers.JSONField(
        required=False, default=None, help_text="The page the agent is on (free text or object)"
    )
    conversation_id = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1)


class CopilotChatOutputSerializer(serializers.Serializer):
    chatResponse = serializers.CharField()  # noqa: N815 (seed 004's names)
    functionCalls = FunctionCallSerializer(many=True, allow_null=True)  # noqa: N815
    actions = ActionSerializer(many=True)
    sources = SourceSerializer(many=True)
    suggestions = serializers.ListField(child=serializers.CharField())
    confidence = serializers.FloatField()
    conversation_id = serializers.IntegerField()
    fallback = serializers.BooleanField()


class CustomerChatInputSerializer(serializers.Serializer):
    message = serializers.CharField(max_length=1_000_000, allow_blank=True, trim_whitespace=False)
    conversation_id = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
    context = serializers.DictField(required=False, default=dict)


class CustomerChatOutputSerializer(serializers.Serializer):
    response = serializers.CharField()
    confidence = serializers.FloatField()
    sources = SourceSerializer(many=True)
    suggestions = serializers.ListField(child=serializers.CharField())
    actions = ActionSerializer(many=True)
    conversation_id = serializers.IntegerField()
    fallback = serializers.BooleanField()


class ActionDecisionInputSerializer(serializers.Serializer):
    action_id = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    decision = serializers.ChoiceField(choices=[("confirm", "Confirm"), ("refuse", "Refuse")])


class ActionDecisionOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    tool = serializers.CharField()
    summary = serializers.CharField()
    status = serializers.CharField()
    result = serializers.DictField()
    message = serializers.CharField()


class AiSettingsOutputSerializer(serializers.ModelSerializer):
    """Seed 003 `GET /ai/settings`; the key is never returned, only whether one is set."""

    api_key_set = serializers.SerializerMethodField()
    temperature = serializers.FloatField()

    class Meta:
        model = AiSettings
        fields = [
            "enabled",
            "provider",
            "model",
            "base_url",
            "api_version",
            "temperature",
            "max_tokens",
            "response_timeout",
            "rate_limit_per_minute",
            "rate_limit_per_hour",
            "context_window_tokens",
            "cache_seconds",
            "features",
            "knowledge_base",
            "fallback_enabled",
            "fallback_message",
            "api_key_set",
            "updated_at",
        ]

    def get_api_key_set(self, obj) -> bool:
        return bool(obj.api_key_encrypted)


class AiSettingsInputSerializer(serializers.Serializer):
    """Seed 003 `PUT /ai/settings`: any of the settings; `api_key` is written (encrypted), never read back."""

    enabled = serializers.BooleanField(required=False)
    provider = serializers.ChoiceField(choices=Provider.choices, required=False)
    model = serializers.CharField(max_length=100, required=False)
    base_url = serializers.URLField(max_length=300, required=False, allow_blank=True)
    api_version = serializers.CharField(max_length=30, required=False, allow_blank=True)
    temperature = serializers.DecimalField(max_digits=3, decimal_places=2, min_value=0, max_value=2, required=False)
    max_tokens = serializers.IntegerField(min_value=16, max_value=32000, required=False)
    response_timeout = serializers.IntegerField(min_value=1, max_value=300, required=False)
    rate_limit_per_minute = serializers.IntegerField(min_value=1, max_value=100000, required=False)
    rate_limit_per_hour = serializers.IntegerField(min_value=1, max_value=1000000, required=False)
    context_window_tokens = serializers.IntegerField(min_value=500, max_value=1000000, required=False)
    cache_seconds = serializers.IntegerField(min_value=0, max_value=86400, required=False)
    features = serializers.DictField(child=serializers.BooleanField(), required=False)
    knowledge_base = serializers.DictField(required=False)
    fallback_enabled = serializers.BooleanField(required=False)
    fallback_message = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    api_key = serializers.CharField(
        max_length=400, required=False, allow_blank=True, write_only=True, trim_whitespace=True
    )

    def validate_knowledge_base(self, value):
        allowed = {"faq", "knowledge_hub", "categories"}
        unknown = set(value) - allowed
        if unknown:
            raise serializers.ValidationError(
                f"Unknown keys: {', '.join(sorted(unknown))}. Known: {', '.join(sorted(allowed))}."
            )
        categories = value.get("categories", [])
        if not isinstance(categories, list) or not all(isinstance(c, str) for c in categories):
            raise serializers.ValidationError("categories: a list of category names.")
        return value


class RescindedResponseSerializer(serializers.ModelSerializer):
    channel = serializers.ChoiceField(choices=Channel.choices)

    class Meta:
        model = RescindedResponse
        fields = [
            "id",
            "user_id",
            "conversation_id",
            "channel",
            "rule",
            "reason",
            "original",
            "replacement",
            "provider",
            "created_at",
        ]
