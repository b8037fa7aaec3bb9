"""Vehicle damage assessments (seed 001): list and open, detail, sections, photos, estimates, accepting one."""

import django_filters
from django.db import transaction
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated

from apps.accounts.api.permissions import MfaSatisfied, module_permission
from apps.accounts.models import User
from apps.claims import assessments, selectors
from apps.claims.models import (
    Assessment,
    AssessmentStatus,
)
from apps.core.api.views import BaseApi, BaseListApi

from .. import serializers as s

ASSESSMENT_PERMISSIONS = [IsAuthenticated, MfaSatisfied, module_permission("assessments")]


def _assessment_payload(user, pk) -> dict:
    return s.AssessmentSerializer(selectors.assessment_get_for_user(user=user, pk=pk)).data


def _assessment_create(request, claim, data: dict):
    assessor = get_object_or_404(User, pk=data["assessor_id"]) if data.get("assessor_id") else None
    assessment = BaseApi.call(
        assessments.assessment_create,
        claim=claim,
        actor=request.user,
        assessor=assessor,
        scheduled_for=data.get("scheduled_for"),
        inspection_place=data.get("inspection_place", ""),
        vehicle_value=data.get("vehicle_value"),
    )
    return _assessment_payload(request.user, assessment.pk)


class AssessmentFilterSet(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=AssessmentStatus.choices)
    assessor = django_filters.NumberFilter(field_name="assessor_id")
    total_loss = django_filters.BooleanFilter(field_name="total_loss_recommendation")

    class Meta:
        model = Assessment
        fields = ["status", "assessor", "total_loss"]


class AssessmentListCreateApi(BaseListApi):
    permission_classes = ASSESSMENT_PERMISSIONS
    serializer_class = s.AssessmentListSerializer
    filterset_class = AssessmentFilterSet
    model = Assessment
    list_key = "assessments"
    sort_fields = {"created_at": "created_at", "scheduled_for": "scheduled_for", "severity": "overall_severity"}
    default_sort = ("-created_at", "-id")

    def visible_queryset(self, user):
        return selectors.assessments_visible_to(user)

    @extend_schema(tags=["assessments"], summary="Vehicle damage assessments")
    def get(self, request):
        return self.list_response(request)

    @extend_schema(
        tags=["assessments"],
        request=s.AssessmentCreateSerializer,
        responses={201: s.AssessmentSerializer},
        summary="Open the assessment of a claim (one per claim; its nine sections are created)",
    )
    def post(self, request):
        data = self.parse(s.AssessmentCreateSerializer)
        if not data.get("claim_id"):
            raise ValidationError({"claim_id": ["Which claim?"]})
        claim = selectors.claim_get_for_user(user=request.user, pk=data["claim_id"])
        return self.created(_assessment_create(request, claim, data))


class ClaimAssessmentApi(BaseApi):
    permission_classes = ASSESSMENT_PERMISSIONS

    @extend_schema(tags=["assessments"], responses={200: s.AssessmentSerializer}, summary="The claim's assessment")
    def get(self, request, pk):
        claim = selectors.claim_get_for_user(user=request.user, pk=pk)
        assessment = get_object_or_404(selectors.assessments_visible_to(request.user), claim=claim)
        return self.ok(_assessment_payload(request.user, assessment.pk))

    @extend_schema(
        tags=["assessments"],
        request=s.AssessmentCreateSerializer,
        responses={201: s.AssessmentSerializer},
        summary="Open the claim's assessment",
    )
    def post(self, request, pk):
        claim = selectors.claim_get_for_user(user=request.user, pk=pk)
        return self.created(_assessment_create(request, claim, self.parse(s.AssessmentCreateSerializer)))


class AssessmentDetailApi(BaseApi):
    permission_classes = ASSESSMENT_PERMISSIONS

    @extend_schema(tags=["assessments"], responses={200: s.AssessmentSerializer}, summary="An assessment")
    def get(self, request, pk):
        return self.ok(_assessment_payload(request.user, pk))

    @extend_schema(
        tags=["assessments"],
        request=s.AssessmentUpdateSerializer,
        responses={200: s.AssessmentSerializer},
        summary="Update the assessment (status completed needs every section complete)",
    )
    def patch(self, request, pk):
        assessment = selectors.assessment_get_for_user(user=request.user, pk=pk)
        data = self.parse(s.AssessmentUpdateSerializer, partial=True)
        if "assessor_id" in data:
            data["assessor"] = get_object_or_404(User, pk=data.pop("assessor_id"))
        self.call(assessments.assessment_update, assessment=assessment, actor=request.user, **data)
        return self.ok(_assessment_payload(request.user, pk))


class AssessmentSectionsApi(BaseApi):
    permission_classes = ASSESSMENT_PERMISSIONS

    @extend_schema(tags=["assessments"], responses={200: s.AssessmentSectionSerializer(many=True)}, summary="Sections")
    def get(self, request, pk):
        assessment = selectors.assessment_get_for_user(user=request.user, pk=pk)
        return self.ok({"sections": s.AssessmentSectionSerializer(assessment.sections.all(), many=True).data})

    @extend_schema(
        tags=["assessments"],
        request=s.SectionsUpdateSerializer,
        responses={200: s.AssessmentSerializer},
        summary="Record findings, severity (0–10) and completeness per area",
    )
    def put(self, request, pk):
        assessment = selectors.assessment_get_for_user(user=request.user, pk=pk)
        data = self.parse(s.SectionsUpdateSerializer)
        with transaction.atomic():  # all the sections or none
            for section in data["sections"]:
                self.call(assessments.assessment_section_update, assessment=assessment, actor=request.user, **section)
        return self.ok(_assessment_payload(request.user, pk))


class AssessmentPhotosApi(BaseApi):
    permission_classes = ASSESSMENT_PERMISSIONS
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    @extend_schema(
        tags=["assessments"], responses={200: s.PhotoSerializer(many=True)}, summary="The ordered photo gallery"
    )
    def get(self, request, pk):
        assessment = selectors.assessment_get_for_user(user=request.user, pk=pk)
        return self.ok({"photos": s.PhotoSerializer(selectors.assessment_photos(assessment), many=True).data})

    @extend_schema(
        tags=["assessments"],
        request={"multipart/form-data": s.PhotoUploadSerializer},
        responses={201: s.PhotoSerializer},
        summary="Add a photo (scanned, EXIF stripped, thumbnailed by the document pipeline), tagged to an area",
    )
    def post(self, request, pk):
        assessment = selectors.assessment_get_for_user(user=request.user, pk=pk)
        data = self.parse(s.PhotoUploadSerializer)
        photo = self.call(
            assessments.assessment_photo_add,
            assessment=assessment,
            actor=request.user,
            file=data["file"],
            area=data["area"],
            caption=data["caption"],
            request=request._request,
        )
        return self.created(s.PhotoSerializer(photo).data)

    @extend_schema(
        tags=["assessments"],
        request=s.PhotoOrderSerializer,
        responses={200: s.PhotoSerializer(many=True)},
        summary="Reorder the gallery (every photo id once)",
    )
    def put(self, request, pk):
        assessment = selectors.assessment_get_for_user(user=request.user, pk=pk)
        data = self.parse(s.PhotoOrderSerializer)
        self.call(assessments.assessment_photos_reorder, assessment=assessment, actor=request.user, **data)
        return self.ok({"photos": s.PhotoSerializer(selectors.assessment_photos(assessment), many=True).data})


class AssessmentEstimatesApi(BaseApi):
    permission_classes = ASSESSMENT_PERMISSIONS

    @extend_schema(
        tags=["assessments"],
        responses={200: s.EstimateSerializer(many=True)},
        summary="Estimates with their lines, and a side-by-side comparison",
    )
    def get(self, request, pk):
        assessment = selectors.assessment_get_for_user(user=request.user, pk=pk)
        return self.ok(
            {
                "estimates": s.EstimateSerializer(selectors.assessment_estimates(assessment), many=True).data,
                "comparison": assessments.estimates_comparison(assessment),
            }
        )

    @extend_schema(
        tags=["assessments"],
        request=s.EstimateCreateSerializer,
        responses={201: s.EstimateSerializer},
        summary="Add an estimate (parts, labour hours × rate, paint, sundries, tax; totals computed)",
    )
    def post(self, request, pk):
        assessment = selectors.assessment_get_for_user(user=request.user, pk=pk)
        data = self.parse(s.EstimateCreateSerializer)
        estimate = self.call(assessments.estimate_create, assessment=assessment, actor=request.user, **data)
        return self.created(s.EstimateSerializer(selectors.assessment_estimates(assessment).get(pk=estimate.pk)).data)


class AssessmentEstimateAcceptApi(BaseApi):
    permission_classes = ASSESSMENT_PERMISSIONS

    @extend_schema(
        tags=["assessments"],
        request=None,
        responses={200: s.AssessmentSerializer},
        summary="Accept an estimate (the total-loss test runs on it)",
    )
    def post(self, request, pk, estimate_id):
        assessment = selectors.assessment_get_for_user(user=request.user, pk=pk)
        estimate = get_object_or_404(assessment.estimates.all(), pk=estimate_id)
        self.call(assessments.estimate_accept, estimate=estimate, actor=request.user)
        return self.ok(_assessment_payload(request.user, pk))
