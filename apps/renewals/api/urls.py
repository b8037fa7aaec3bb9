from apps.core.api.urls import api_path

from . import views

urlpatterns = [
    api_path("cases", views.CaseListApi.as_view(), "cases-list"),
    api_path("cases/<int:pk>", views.CaseDetailApi.as_view(), "cases-detail"),
    api_path("cases/<int:pk>/assign", views.CaseAssignApi.as_view(), "cases-assign"),
    api_path("cases/<int:pk>/escalate", views.CaseEscalateApi.as_view(), "cases-escalate"),
    api_path("upload/batch", views.BatchUploadApi.as_view(), "upload-batch"),
    api_path("upload/batches", views.BatchListApi.as_view(), "upload-batches"),
    api_path("upload/batch/<int:pk>/status", views.BatchStatusApi.as_view(), "upload-batch-status"),
    api_path("upload/batch/<int:pk>/failed-rows", views.BatchFailedRowsApi.as_view(), "upload-batch-failed-rows"),
    api_path("dashboard/stats", views.DashboardStatsApi.as_view(), "dashboard-stats"),
    api_path("dashboard/trends", views.DashboardTrendsApi.as_view(), "dashboard-trends"),
    api_path("dashboard/batch-status", views.DashboardBatchStatusApi.as_view(), "dashboard-batch-status"),
]
