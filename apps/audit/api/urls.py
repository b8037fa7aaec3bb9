from apps.core.api.urls import api_path

from . import views

urlpatterns = [
    api_path("audit/security-events", views.SecurityEventListApi.as_view(), "audit-security-events"),
    api_path("audit/changes", views.ChangeEventListApi.as_view(), "audit-changes"),
]
