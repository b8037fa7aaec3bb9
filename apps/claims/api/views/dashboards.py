"""Claims dashboards (seed 001): KPIs, alerts, claims by status/priority/age, assessment progress."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers as drf_serializers
from rest_framework.permissions import IsAuthenticated

from apps.accounts.api.permissions import MfaSatisfied, module_permission
from apps.claims import dashboards
from apps.core.api.views import BaseApi

DASHBOARD_PERMISSIONS = [IsAuthenticated, MfaSatisfied, module_permission("dashboard")]


class DashboardPeriodSerializer(drf_serializers.Serializer):
    period = drf_serializers.ChoiceField(choices=list(dashboards.PERIODS), default="month", required=False)


class DashboardKpiApi(BaseApi):
    permission_classes = DASHBOARD_PERMISSIONS

    @extend_schema(
        tags=["dashboard"],
        parameters=[DashboardPeriodSerializer],
        responses={200: OpenApiTypes.OBJECT},
        summary="Claims KPIs for the period (week, month, quarter)",
    )
    def get(self, request):
        params = self.parse(DashboardPeriodSerializer, data=request.query_params)
        return self.ok(dashboards.dashboard_kpi(user=request.user, period=params["period"]))


class DashboardAlertsApi(BaseApi):
    permission_classes = DASHBOARD_PERMISSIONS

    @extend_schema(tags=["dashboard"], responses={200: OpenApiTypes.OBJECT}, summary="Priority alerts")
    def get(self, request):
        return self.ok({"alerts": dashboards.dashboard_alerts(user=request.user)})


class DashboardClaimsApi(BaseApi):
    permission_classes = DASHBOARD_PERMISSIONS

    @extend_schema(tags=["dashboard"], responses={200: OpenApiTypes.OBJECT}, summary="Claims by status, priority, age")
    def get(self, request):
        return self.ok(dashboards.dashboard_claims(user=request.user))


class DashboardAssessmentsApi(BaseApi):
    permission_classes = DASHBOARD_PERMISSIONS

    @extend_schema(tags=["dashboard"], responses={200: OpenApiTypes.OBJECT}, summary="Assessment progress")
    def get(self, request):
        return self.ok(dashboards.dashboard_assessments(user=request.user))
