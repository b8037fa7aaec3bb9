from apps.core.api.urls import api_path

from . import views

urlpatterns = [
    api_path("claims/<int:pk>/checks", views.ClaimChecksApi.as_view(), "claims-checks"),
]
