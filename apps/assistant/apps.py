from django.apps import AppConfig


class AssistantConfig(AppConfig):
    name = "apps.assistant"
    label = "assistant"
    verbose_name = "AI assistant"
    provides = ()  # hooks (apps.core.hooks) this app answers
