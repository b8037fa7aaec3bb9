from apps.core.api.urls import api_path

from . import views

urlpatterns = [
    api_path("dashboard/kpi", views.DashboardKpiApi.as_view(), "dashboard-kpi"),
    api_path("dashboard/alerts", views.DashboardAlertsApi.as_view(), "dashboard-alerts"),
    api_path("dashboard/claims", views.DashboardClaimsApi.as_view(), "dashboard-claims"),
    api_path("dashboard/assessments", views.DashboardAssessmentsApi.as_view(), "dashboard-assessments"),
    api_path("claims", views.ClaimListCreateApi.as_view(), "claims-list"),
    api_path("claims/<int:pk>", views.ClaimDetailApi.as_view(), "claims-detail"),
    api_path("claims/<int:pk>/transition", views.ClaimTransitionApi.as_view(), "claims-transition"),
    api_path("claims/<int:pk>/timeline", views.ClaimTimelineApi.as_view(), "claims-timeline"),
    api_path("claims/<int:pk>/communications", views.ClaimCommunicationsApi.as_view(), "claims-communications"),
    api_path("claims/<int:pk>/assign", views.ClaimAssignApi.as_view(), "claims-assign"),
    api_path("claims/<int:pk>/reserve", views.ClaimReserveApi.as_view(), "claims-reserve"),
    api_path("claims/<int:pk>/payments", views.ClaimPaymentsApi.as_view(), "claims-payments"),
    api_path(
        "claims/<int:pk>/payments/<int:payment_id>/decision",
        views.ClaimPaymentDecisionApi.as_view(),
        "claims-payment-decision",
    ),
    api_path("claims/<int:pk>/documents", views.ClaimDocumentsApi.as_view(), "claims-documents"),
    api_path("claims/<int:pk>/fraud", views.ClaimFraudApi.as_view(), "claims-fraud"),
    api_path("claims/<int:pk>/fraud/score", views.ClaimFraudScoreApi.as_view(), "claims-fraud-score"),
    api_path("claims/<int:pk>/fraud/decision", views.ClaimFraudDecisionApi.as_view(), "claims-fraud-decision"),
    api_path("fraud/queue", views.FraudQueueApi.as_view(), "fraud-queue"),
    api_path("claims/<int:pk>/report.pdf", views.ClaimReportApi.as_view(), "claims-report"),
    api_path("claims/<int:pk>/assessment", views.ClaimAssessmentApi.as_view(), "claims-assessment"),
    api_path("assessments", views.AssessmentListCreateApi.as_view(), "assessments-list"),
    api_path("assessments/<int:pk>", views.AssessmentDetailApi.as_view(), "assessments-detail"),
    api_path("assessments/<int:pk>/sections", views.AssessmentSectionsApi.as_view(), "assessments-sections"),
    api_path("assessments/<int:pk>/photos", views.AssessmentPhotosApi.as_view(), "assessments-photos"),
    api_path("assessments/<int:pk>/estimates", views.AssessmentEstimatesApi.as_view(), "assessments-estimates"),
    api_path(
        "assessments/<int:pk>/estimates/<int:estimate_id>/accept",
        views.AssessmentEstimateAcceptApi.as_view(),
        "assessments-estimate-accept",
    ),
]
