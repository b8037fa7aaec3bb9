from apps.core.api.urls import api_path

from . import campaign_views

urlpatterns: list = [
    api_path("campaigns", campaign_views.CampaignListCreateApi.as_view(), "campaigns-list"),
    api_path("campaigns/audience-preview", campaign_views.AudiencePreviewApi.as_view(), "campaigns-audience-preview"),
    api_path("campaigns/<int:pk>", campaign_views.CampaignDetailApi.as_view(), "campaigns-detail"),
    api_path("campaigns/<int:pk>/send", campaign_views.CampaignSendApi.as_view(), "campaigns-send"),
    api_path("campaigns/<int:pk>/pause", campaign_views.CampaignPauseApi.as_view(), "campaigns-pause"),
    api_path("campaigns/<int:pk>/resume", campaign_views.CampaignResumeApi.as_view(), "campaigns-resume"),
    api_path("campaigns/<int:pk>/cancel", campaign_views.CampaignCancelApi.as_view(), "campaigns-cancel"),
    api_path("campaigns/<int:pk>/analytics", campaign_views.CampaignAnalyticsApi.as_view(), "campaigns-analytics"),
    api_path("campaigns/<int:pk>/audience", campaign_views.CampaignAudienceApi.as_view(), "campaigns-audience"),
]
