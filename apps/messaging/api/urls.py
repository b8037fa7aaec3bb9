from apps.core.api.urls import api_path

from .views import consent, emails, messages, push, webhooks

urlpatterns = [
    api_path("messages", messages.ConversationListApi.as_view(), "messages-list"),
    api_path("messages/send", messages.MessageSendApi.as_view(), "messages-send"),
    api_path("messages/<int:pk>", messages.ContactMessagesApi.as_view(), "messages-contact"),
    api_path("webhooks/incoming-message", webhooks.IncomingMessageWebhookApi.as_view(), "webhooks-incoming-message"),
    api_path("dnc-list", consent.DncListApi.as_view(), "dnc-list"),
    api_path("dnc-list/<int:pk>", consent.DncDetailApi.as_view(), "dnc-detail"),
    api_path("notifications/push-subscriptions", push.PushSubscriptionsApi.as_view(), "push-subscriptions"),
    api_path(
        "notifications/push-subscriptions/<int:pk>",
        push.PushSubscriptionDetailApi.as_view(),
        "push-subscription-detail",
    ),
    api_path("emails", emails.EmailListApi.as_view(), "emails-list"),
    api_path("emails/<int:pk>", emails.EmailDetailApi.as_view(), "emails-detail"),
    api_path("emails/<int:pk>/reply", emails.EmailReplyApi.as_view(), "emails-reply"),
    api_path("emails/<int:pk>/escalate", emails.EmailEscalateApi.as_view(), "emails-escalate"),
]
