from apps.core.api.urls import api_path

from . import views

urlpatterns = [
    api_path("policies", views.PolicyListCreateApi.as_view(), "policies-list"),
    api_path("policies/<int:pk>", views.PolicyDetailApi.as_view(), "policies-detail"),
    api_path("policies/<int:pk>/transitions", views.PolicyTransitionApi.as_view(), "policies-transitions"),
    api_path("policies/<int:pk>/timeline", views.PolicyTimelineApi.as_view(), "policies-timeline"),
    api_path("policies/<int:pk>/endorsements", views.EndorsementListCreateApi.as_view(), "policies-endorsements"),
    api_path("recommendations", views.RecommendationApi.as_view(), "recommendations"),
    api_path("contacts/<int:pk>/policies", views.ContactPolicyListCreateApi.as_view(), "contacts-policies"),
    api_path(
        "contacts/<int:pk>/policies/<int:policy_id>", views.ContactPolicyDetailApi.as_view(), "contacts-policy-detail"
    ),
]
