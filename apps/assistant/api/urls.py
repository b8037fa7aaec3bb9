from apps.core.api.urls import api_path

from . import views

urlpatterns = [
    api_path("ai/query", views.AiQueryApi.as_view(), "ai-query"),
    api_path("ai/settings", views.AiSettingsApi.as_view(), "ai-settings"),
    api_path("ai/actions/confirm", views.ActionDecisionApi.as_view(), "ai-actions-confirm"),
    api_path("copilot/chat", views.CopilotChatApi.as_view(), "copilot-chat"),
    api_path("assistant/chat", views.CustomerChatApi.as_view(), "assistant-chat"),
    api_path("safety/rescinded-responses", views.RescindedResponseListApi.as_view(), "safety-rescinded-responses"),
]
