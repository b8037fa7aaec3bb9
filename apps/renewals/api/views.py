"""Seed 003 renewal cases endpoints: list (filters, search, sort), detail with timeline, update, assign, escalate."""

import django_filters
from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated

from apps.accounts.api.permissions import module_permission
from apps.accounts.roles import Role
from apps.core.api.exceptions import PayloadTooLarge
from apps.core.api.throttles import GeneralRateThrottle, UploadRateThrottle
from apps.core.api.views import BaseApi, BaseListApi, RecordSearchListApi
from apps.core.columns import PERSON_SUMMARY, list_columns
from apps.customers.timeline import linked_entries
from apps.renewals import dashboards, ingest, selectors, services
from apps.renewals.models import CaseStatus, Priority, RenewalCase, UploadBatch

from . import serializers as s

CasesPermission = module_permission("cases")
STAFF = [IsAuthenticated, CasesPermission]


class CaseFilterSet(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=CaseStatus.choices)
    priority = django_filters.ChoiceFilter(choices=Priority.choices)
    assigned_to = django_filters.NumberFilter(field_name="assigned_to_id")
    payment_status = django_filters.CharFilter()
    policy_type = django_filters.CharFilter(field_name="policy_type")  # the case's own copy (indexed), no join

    class Meta:
        model = RenewalCase
        fields = ["status", "priority", "assigned_to", "payment_status", "policy_type"]


class CaseListApi(RecordSearchListApi):
    permission_classes = STAFF
    serializer_class = s.CaseListSerializer
    filterset_class = CaseFilterSet
    model = RenewalCase
    list_key = "cases"
    sort_fields = {"created_at": "created_at", "renewal_date": "renewal_period", "priority": "priority_rank"}
    default_sort = ("-created_at", "-id")
    # a case search: the case's, its policy's or its customer's number (prefix on the index), or the policyholder's
    # name (full-text, best first)
    search_numbers = {"REN-": "case_number", "POL-": "policy__policy_number", "CUS-": "policy__customer__customer_code"}
    search_name_vector = "policy__customer__search_vector"

    def visible_queryset(self, user):
        return list_columns(
            selectors.cases_visible_to(user),
            related={
                "policy": ("policy_number", "policy_type"),
                "policy__customer": ("first_name", "last_name"),
                "policy__product": ("code",),
                "assigned_to": PERSON_SUMMARY,
            },
        )

    def visible_parts(self, user):
        """An agent's cases count as their own plus the unassigned ones of their policies (two index scans)."""
        return selectors.cases_visible_parts(user) if user.role == Role.AGENT else None

    @extend_schema(
        tags=["cases"], summary="Renewal cases (search: case, policy or customer number, or the policyholder's name)"
    )
    def get(self, request):
        return self.list_response(request)


def case_detail(request, pk) -> dict:
    """The case as the asking user sees it: timeline and the files attached to it that they may see."""
    case = selectors.case_get_for_user(user=request.user, pk=pk)
    documents = selectors.case_documents(user=request.user, case=case)
    linked = linked_entries(kind="case", object_id=case.pk, user=request.user)
    return s.CaseDetailSerializer(case, context={"documents": documents, "linked": linked}).data


class CaseDetailApi(BaseApi):
    permission_classes = STAFF

    @extend_schema(
        tags=["cases"], responses={200: s.CaseDetailSerializer}, summary="A case with its timeline and documents"
    )
    def get(self, request, pk):
        return self.ok(case_detail(request, pk))

    @extend_schema(
        tags=["cases"],
        request=s.CaseUpdateSerializer,
        responses={200: s.CaseDetailSerializer},
        summary="Work the case (status, payment, notes)",
    )
    def put(self, request, pk):
        case = selectors.case_get_for_user(user=request.user, pk=pk)
        data = self.parse(s.CaseUpdateSerializer, partial=True)
        self.call(services.renewal_case_update, case=case, actor=request.user, **data)
        return self.ok(case_detail(request, pk))


class CaseAssignApi(BaseApi):
    permission_classes = STAFF

    @extend_schema(
        tags=["cases"], request=s.CaseAssignSerializer, responses={200: s.CaseDetailSerializer}, summary="Assign a case"
    )
    def post(self, request, pk):
        case = selectors.case_get_for_user(user=request.user, pk=pk)
        data = self.parse(s.CaseAssignSerializer)
        self.call(
            services.renewal_case_assign,
            case=case,
            actor=request.user,
            assignee=data["assigned_to"],
            notes=data["notes"],
        )
        return self.ok(case_detail(request, pk))


class CaseEscalateApi(BaseApi):
    permission_classes = STAFF

    @extend_schema(
        tags=["cases"],
        request=s.CaseEscalateSerializer,
        responses={200: s.CaseDetailSerializer},
        summary="Escalate a case",
    )
    def post(self, request, pk):
        case = selectors.case_get_for_user(user=request.user, pk=pk)
        data = self.parse(s.CaseEscalateSerializer)
        self.call(services.renewal_case_escalate, case=case, actor=request.user, **data)
        return self.ok(case_detail(request, pk))


# --- uploads (seed 003 Upload Endpoints) --------------------------------------------------------------------

UploadPermission = module_permission("upload")


class BatchUploadApi(BaseApi):
    """POST /upload/batch: the file is checked and stored, the rows are processed by a Celery task."""

    permission_classes = [IsAuthenticated, UploadPermission]
    parser_classes = [MultiPartParser, FormParser]
    throttle_classes = [GeneralRateThrottle, UploadRateThrottle]

    @extend_schema(
        tags=["uploads"],
        request={"multipart/form-data": s.BatchUploadSerializer},
        responses={201: s.BatchSerializer, 200: s.BatchSerializer},
        summary="Upload a renewals spreadsheet (XLSX or CSV)",
    )
    def post(self, request):
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
        if declared > settings.RENEWAL_BATCH_MAX_BYTES + 64 * 1024:
            raise PayloadTooLarge(f"The file is larger than {settings.RENEWAL_BATCH_MAX_BYTES // (1024 * 1024)} MB.")
        data = self.parse(s.BatchUploadSerializer)
        batch, created = self.call(
            ingest.batch_create, file=data["file"], policy_type=data["policy_type"], actor=request.user
        )
        batch.refresh_from_db()
        body = s.BatchSerializer(batch).data
        return self.created(body) if created else self.ok(body)


class BatchListApi(BaseListApi):
    permission_classes = [IsAuthenticated, UploadPermission]
    serializer_class = s.BatchStatusSerializer
    model = UploadBatch
    list_key = "batches"
    filterset_fields = ["status", "policy_type"]
    sort_fields = {"created_at": "created_at"}
    default_sort = ("-created_at", "-id")

    def visible_queryset(self, user):
        return UploadBatch.objects.all()

    @extend_schema(tags=["uploads"], summary="Upload batches")
    def get(self, request):
        return self.list_response(request)


class BatchStatusApi(BaseApi):
    permission_classes = [IsAuthenticated, UploadPermission]

    @extend_schema(
        tags=["uploads"], responses={200: s.BatchStatusDetailSerializer}, summary="Batch progress and errors"
    )
    def get(self, request, pk):
        return self.ok(s.BatchStatusDetailSerializer(get_object_or_404(UploadBatch, pk=pk)).data)


class BatchFailedRowsApi(BaseApi):
    permission_classes = [IsAuthenticated, UploadPermission]

    @extend_schema(
        tags=["uploads"],
        responses={(200, "text/csv"): OpenApiResponse(response=OpenApiTypes.STR)},
        summary="The failed rows as CSV (original columns + error), to fix and re-upload",
    )
    def get(self, request, pk):
        batch = get_object_or_404(UploadBatch, pk=pk)
        response = HttpResponse(ingest.failed_rows_csv(batch), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="batch-{batch.pk}-failed-rows.csv"'
        return response


# --- dashboards (seed 003 Dashboard Endpoints) --------------------------------------------------------------

DashboardPermission = module_permission("dashboard")


class _DashboardApi(BaseApi):
    permission_classes = [IsAuthenticated, DashboardPermission]

    def filters(self) -> dict:
        data = self.parse(s.DashboardQuerySerializer, data=self.request.query_params)
        period = dashboards.Period.from_params(data["date_range"], data.get("start_date"), data.get("end_date"))
        return {"user": self.request.user, "period": period, **{k: data[k] for k in ("policy_type", "case_status")}}


class DashboardStatsApi(_DashboardApi):
    @extend_schema(
        tags=["dashboard"],
        parameters=[s.DashboardQuerySerializer],
        responses={200: s.DashboardStatsSerializer},
        summary="Renewal figures for the period (cases by status, money collected and pending)",
    )
    def get(self, request):
        return self.ok(dashboards.dashboard_stats(**self.filters()))


class DashboardTrendsApi(_DashboardApi):
    @extend_schema(
        tags=["dashboard"],
        parameters=[s.DashboardQuerySerializer],
        responses={200: s.DashboardTrendSerializer(many=True)},
        summary="Per day: new cases, renewals and success rate",
    )
    def get(self, request):
        return self.ok(dashboards.dashboard_trends(**self.filters()))


class DashboardBatchStatusApi(_DashboardApi):
    @extend_schema(
        tags=["dashboard"],
        parameters=[s.DashboardQuerySerializer],
        responses={200: s.DashboardBatchSerializer(many=True)},
        summary="The period's upload batches with their cases by status and payments",
    )
    def get(self, request):
        return self.ok(dashboards.dashboard_batch_status(**self.filters()))
