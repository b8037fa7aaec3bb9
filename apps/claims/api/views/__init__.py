"""Claims API views, one module per sub-resource (claims, fraud, assessments, dashboards); re-exported here for
urls.py."""

from .assessments import (
    ASSESSMENT_PERMISSIONS,
    AssessmentDetailApi,
    AssessmentEstimateAcceptApi,
    AssessmentEstimatesApi,
    AssessmentFilterSet,
    AssessmentListCreateApi,
    AssessmentPhotosApi,
    AssessmentSectionsApi,
    ClaimAssessmentApi,
)
from .base import PERMISSIONS, ClaimsPermission
from .claims import (
    ClaimAssignApi,
    ClaimCommunicationsApi,
    ClaimDetailApi,
    ClaimDocumentsApi,
    ClaimFilterSet,
    ClaimListCreateApi,
    ClaimPaymentDecisionApi,
    ClaimPaymentsApi,
    ClaimReportApi,
    ClaimReserveApi,
    ClaimTimelineApi,
    ClaimTransitionApi,
)
from .dashboards import (
    DASHBOARD_PERMISSIONS,
    DashboardAlertsApi,
    DashboardAssessmentsApi,
    DashboardClaimsApi,
    DashboardKpiApi,
    DashboardPeriodSerializer,
)
from .fraud import ClaimFraudApi, ClaimFraudDecisionApi, ClaimFraudScoreApi, FraudQueueApi

__all__ = [
    "ASSESSMENT_PERMISSIONS",
    "DASHBOARD_PERMISSIONS",
    "PERMISSIONS",
    "AssessmentDetailApi",
    "AssessmentEstimateAcceptApi",
    "AssessmentEstimatesApi",
    "AssessmentFilterSet",
    "AssessmentListCreateApi",
    "AssessmentPhotosApi",
    "AssessmentSectionsApi",
    "ClaimAssessmentApi",
    "ClaimAssignApi",
    "ClaimCommunicationsApi",
    "ClaimDetailApi",
    "ClaimDocumentsApi",
    "ClaimFilterSet",
    "ClaimFraudApi",
    "ClaimFraudDecisionApi",
    "ClaimFraudScoreApi",
    "ClaimListCreateApi",
    "ClaimPaymentDecisionApi",
    "ClaimPaymentsApi",
    "ClaimReportApi",
    "ClaimReserveApi",
    "ClaimTimelineApi",
    "ClaimTransitionApi",
    "ClaimsPermission",
    "DashboardAlertsApi",
    "DashboardAssessmentsApi",
    "DashboardClaimsApi",
    "DashboardKpiApi",
    "DashboardPeriodSerializer",
    "FraudQueueApi",
]
