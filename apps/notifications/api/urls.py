from apps.core.api.urls import api_path

from . import views

urlpatterns = [
    api_path("notifications", views.NotificationListApi.as_view(), "notifications-list"),
    api_path("notifications/mark-all-read", views.NotificationMarkAllReadApi.as_view(), "notifications-mark-all-read"),
    api_path("notifications/mark-read", views.NotificationMarkReadApi.as_view(), "notifications-mark-read"),
    api_path("notifications/preferences", views.NotificationPreferencesApi.as_view(), "notifications-preferences"),
    api_path("notifications/<int:pk>/read", views.NotificationReadApi.as_view(), "notifications-read"),
]
