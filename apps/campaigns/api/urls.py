from apps.core.api.urls import api_path

from . import survey_views

urlpatterns = [
    api_path("surveys", survey_views.SurveyListCreateApi.as_view(), "surveys-list"),
    api_path("surveys/<int:pk>", survey_views.SurveyDetailApi.as_view(), "surveys-detail"),
    api_path("surveys/<int:pk>/publish", survey_views.SurveyPublishApi.as_view(), "surveys-publish"),
    api_path("surveys/<int:pk>/close", survey_views.SurveyCloseApi.as_view(), "surveys-close"),
    api_path("surveys/<int:pk>/responses", survey_views.SurveyResponseListApi.as_view(), "surveys-responses"),
    api_path("surveys/<int:pk>/analytics", survey_views.SurveyAnalyticsApi.as_view(), "surveys-analytics"),
    api_path("surveys/<int:pk>/answer/<str:token>", survey_views.SurveyAnswerApi.as_view(), "surveys-answer"),
]
