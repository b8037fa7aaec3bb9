from apps.core.api.urls import api_path

from . import campaign_views, survey_views

urlpatterns: list = [
    api_path("campaigns", campaign_views.CampaignListCreateApi.as_view(), "campaigns-list"),
    api_path("campaigns/audience-preview", campaign_views.AudiencePreviewApi.as_view(), "campaigns-audience-preview"),
    api_path("campaigns/<int:pk>", campaign_views.CampaignDetailApi.as_view(), "campaigns-detail"),
    api_path("campaigns/<int:pk>/send", campaign_views.CampaignSendApi.as_view(), "campaigns-send"),
    api_path("campaigns/<int:pk>/pause", campaign_views.CampaignPauseApi.as_view(), "campaigns-pause"),
    api_path("campaigns/<int:pk>/resume", campaign_views.CampaignResumeApi.as_view(), "campaigns-resume"),
    api_path("campaigns/<int:pk>/cancel", campaign_views.CampaignCancelApi.as_view(), "campaigns-cancel"),
    api_path("campaigns/<int:pk>/winner", campaign_views.CampaignWinnerApi.as_view(), "campaigns-winner"),
    api_path("campaigns/<int:pk>/analytics", campaign_views.CampaignAnalyticsApi.as_view(), "campaigns-analytics"),
    api_path("campaigns/<int:pk>/audience", campaign_views.CampaignAudienceApi.as_view(), "campaigns-audience"),
    api_path("surveys", survey_views.SurveyListCreateApi.as_view(), "surveys-list"),
    api_path("surveys/<int:pk>", survey_views.SurveyDetailApi.as_view(), "surveys-detail"),
    api_path("surveys/<int:pk>/publish", survey_views.SurveyPublishApi.as_view(), "surveys-publish"),
    api_path("surveys/<int:pk>/close", survey_views.SurveyCloseApi.as_view(), "surveys-close"),
    api_path("surveys/<int:pk>/responses", survey_views.SurveyResponseListApi.as_view(), "surveys-responses"),
    api_path("surveys/<int:pk>/analytics", survey_views.SurveyAnalyticsApi.as_view(), "surveys-analytics"),
    api_path("surveys/<int:pk>/answer/<str:token>", survey_views.SurveyAnswerApi.as_view(), "surveys-answer"),
]
