from apps.core.api.urls import api_path

from . import views

urlpatterns = [
    api_path("cases", views.CaseListApi.as_view(), "cases-list"),
    api_path("cases/<int:pk>", views.CaseDetailApi.as_view(), "cases-detail"),
    api_path("cases/<int:pk>/assign", views.CaseAssignApi.as_view(), "cases-assign"),
    api_path("cases/<int:pk>/escalate", views.CaseEscalateApi.as_view(), "cases-escalate"),
]
