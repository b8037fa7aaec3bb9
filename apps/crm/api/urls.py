from apps.core.api.urls import api_path

from . import views

urlpatterns = [
    api_path("client-leads", views.ClientLeadListCreateApi.as_view(), "client-leads"),
    api_path("client-leads/<int:pk>/convert", views.ClientLeadConvertApi.as_view(), "client-leads-convert"),
    api_path("recruit-leads", views.RecruitLeadListCreateApi.as_view(), "recruit-leads"),
    api_path("recruit-leads/<int:pk>/convert", views.RecruitLeadConvertApi.as_view(), "recruit-leads-convert"),
    api_path("leads/bulk-map", views.LeadBulkMapApi.as_view(), "leads-bulk-map"),
    api_path("leads/bulk-import", views.LeadBulkImportApi.as_view(), "leads-bulk-import"),
    api_path("leads/imports/<int:pk>/failed-rows", views.LeadImportFailedRowsApi.as_view(), "leads-import-failed-rows"),
    api_path("leads/<int:pk>", views.LeadDetailApi.as_view(), "leads-detail"),
    api_path("leads/<int:pk>/activities", views.LeadActivityCreateApi.as_view(), "leads-activities"),
    api_path("leads/<int:pk>/merge", views.LeadMergeApi.as_view(), "leads-merge"),
    api_path("leads/merges/<int:pk>/undo", views.LeadMergeUndoApi.as_view(), "leads-merge-undo"),
    api_path("opportunities", views.OpportunityListApi.as_view(), "opportunities-list"),
    api_path("opportunities/<int:pk>", views.OpportunityDetailApi.as_view(), "opportunities-detail"),
    api_path("tasks", views.TaskListCreateApi.as_view(), "tasks-list"),
    api_path("tasks/<int:pk>", views.TaskDetailApi.as_view(), "tasks-detail"),
    api_path("appointments", views.AppointmentListCreateApi.as_view(), "appointments-list"),
    api_path("appointments/<int:pk>", views.AppointmentDetailApi.as_view(), "appointments-detail"),
    api_path("calendar/feed", views.CalendarFeedApi.as_view(), "calendar-feed"),
    api_path("calendar/google", views.GoogleCalendarApi.as_view(), "calendar-google"),
    api_path("calendar/google/connect", views.GoogleCalendarConnectApi.as_view(), "calendar-google-connect"),
    api_path("calendar/google/callback", views.GoogleCalendarCallbackApi.as_view(), "calendar-google-callback"),
    api_path("calendar/google/sync", views.GoogleCalendarSyncApi.as_view(), "calendar-google-sync"),
    api_path(
        "calendar/google/notifications", views.GoogleCalendarNotificationApi.as_view(), "calendar-google-notifications"
    ),
    api_path("calendar/<str:token>.ics", views.CalendarIcsApi.as_view(), "calendar-ics"),
    api_path("agents", views.AgentListApi.as_view(), "agents-list"),
]
