from apps.core.api.urls import api_path

from .views import emails

urlpatterns = [
    api_path("emails", emails.EmailListApi.as_view(), "emails-list"),
    api_path("emails/<int:pk>", emails.EmailDetailApi.as_view(), "emails-detail"),
    api_path("emails/<int:pk>/reply", emails.EmailReplyApi.as_view(), "emails-reply"),
    api_path("emails/<int:pk>/escalate", emails.EmailEscalateApi.as_view(), "emails-escalate"),
]
