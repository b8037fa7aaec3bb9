"""Claims endpoints (seed 001 claims management, seed 003 claims service): list and file, detail and update,
the workflow, timeline, communications log, assignment, reserve, payments with approval, documents."""

import django_filters
from django.db import transaction
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers as drf_serializers
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import SAFE_METHODS, BasePermission, IsAuthenticated

from apps.accounts.api.permissions import MfaSatisfied, module_permission
from apps.accounts.models import User
from apps.accounts.roles import READ, WRITE, Role
from apps.catalog.models import Peril
from apps.claims import assessments, dashboards, fraud, reports, selectors, services
from apps.claims.models import (
    Assessment,
    AssessmentStatus,
    Claim,
    ClaimChannel,
    ClaimPayment,
    ClaimPriority,
    ClaimStatus,
    FraudReview,
)
from apps.core.api.views import BaseApi, BaseListApi
from apps.core.columns import PERSON_SUMMARY, list_columns
from apps.documents import selectors as document_selectors
from apps.documents import services as document_services
from apps.documents.api import serializers as document_serializers
from apps.documents.api.views import UploadMixin
from apps.documents.models import Document
from apps.policies.models import Vehicle
from apps.policies.selectors import policy_get_for_user

from . import serializers as s

A, M, AG, AS, V = Role.ADMIN, Role.MANAGER, Role.AGENT, Role.ASSESSOR, Role.VIEWER


class ClaimsPermission(BasePermission):
    """Staff by the `claims` module of the role matrix, narrowed per view by `write_roles` (the roles the service
    itself checks: `services.ACTION_ROLES` or the claim workflow); customers only for the methods a view lists in
    `customer_methods` (and only their own claims, by the selectors)."""

    message = "Your role does not grant access to this claims action."

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        if user.role == Role.CUSTOMER:
            return request.method in getattr(view, "customer_methods", ())
        if request.method in SAFE_METHODS:
            return user.can("claims", READ)
        return user.can("claims", WRITE) and user.role in getattr(view, "write_roles", {A, M, AG, AS})


PERMISSIONS = [IsAuthenticated, MfaSatisfied, ClaimsPermission]


class ClaimFilterSet(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=ClaimStatus.choices)
    priority = django_filters.ChoiceFilter(choices=ClaimPriority.choices)
    claim_type = django_filters.ChoiceFilter(choices=Peril.choices)
    handler = django_filters.NumberFilter(field_name="handler_id")
    assessor = django_filters.NumberFilter(field_name="assessor_id")
    customer_id = django_filters.NumberFilter(field_name="customer_id")
    policy_id = django_filters.NumberFilter(field_name="policy_id")
    incident_from = django_filters.DateFilter(field_name="incident_date", lookup_expr="gte")
    incident_to = django_filters.DateFilter(field_name="incident_date", lookup_expr="lte")

    class Meta:
        model = Claim
        fields = ["status", "priority", "claim_type", "handler", "assessor", "customer_id", "policy_id"]


def _claim_payload(claim: Claim, user: User) -> dict:
    if user.role == Role.CUSTOMER:
        return s.CustomerClaimSerializer(claim).data
    return s.ClaimDetailSerializer(claim).data


class ClaimListCreateApi(BaseListApi):
    permission_classes = PERMISSIONS
    customer_methods = ("GET", "POST")
    write_roles = services.ACTION_ROLES["file"]
    filterset_class = ClaimFilterSet
    model = Claim
    list_key = "claims"
    sort_fields = {
        "created_at": "created_at",
        "incident_date": "incident_date",
        "claimed_amount": "claimed_amount",
        "status": "status",
    }
    default_sort = ("-created_at", "-id")

    def get_serializer_class(self):
        if getattr(self, "swagger_fake_view", False) or self.request.user.role != Role.CUSTOMER:
            return s.ClaimListSerializer
        return s.CustomerClaimListSerializer

    def visible_queryset(self, user):
        return list_columns(
            selectors.claims_visible_to(user),
            related={
                "customer": ("customer_code", "first_name", "last_name"),
                "policy": ("policy_number",),
                "handler": PERSON_SUMMARY,
                "assessor": PERSON_SUMMARY,
            },
        )

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        term = (self.request.query_params.get("search") or "").strip()[:100]
        if term:
            queryset = queryset.filter(
                Q(claim_number__iexact=term)
                | Q(policy__policy_number__iexact=term)
                | Q(customer__last_name__iexact=term)
                | Q(customer__customer_code__iexact=term)
            )
        return queryset

    @extend_schema(
        tags=["claims"],
        responses={200: s.ClaimListSerializer(many=True)},
        summary="Claims (search: claim number, policy number, customer code or surname)",
    )
    def get(self, request):
        return self.list_response(request)

    @extend_schema(
        tags=["claims"],
        request=s.ClaimFileSerializer,
        responses={201: s.ClaimDetailSerializer, 200: s.ClaimDetailSerializer},
        summary="File a claim (first notice of loss); a repeat notice of an open claim returns that claim (200)",
    )
    def post(self, request):
        data = self.parse(s.ClaimFileSerializer)
        policy = policy_get_for_user(user=request.user, pk=data["policy_id"])
        vehicle = None
        if data.get("vehicle_id"):
            vehicle = get_object_or_404(Vehicle, pk=data["vehicle_id"], policy=policy)
        claim, created = self.call(
            services.claim_file,
            actor=request.user,
            policy=policy,
            claim_type=data["claim_type"],
            claimed_amount=data["claimed_amount"],
            description=data["description"],
            incident_date=data["incident_date"],
            incident_time=data.get("incident_time"),
            incident_place=data["incident_place"],
            vehicle=vehicle,
            channel=ClaimChannel.API if request.user.role == Role.CUSTOMER else ClaimChannel.AGENT,
        )
        payload = _claim_payload(selectors.claim_detail_for_user(user=request.user, pk=claim.pk), request.user)
        payload["duplicate"] = not created
        return self.created(payload) if created else self.ok(payload)


class ClaimDetailApi(BaseApi):
    permission_classes = PERMISSIONS
    customer_methods = ("GET",)

    @extend_schema(tags=["claims"], responses={200: s.ClaimDetailSerializer}, summary="A claim with its timeline")
    def get(self, request, pk):
        return self.ok(_claim_payload(selectors.claim_detail_for_user(user=request.user, pk=pk), request.user))

    @extend_schema(
        tags=["claims"],
        request=s.ClaimUpdateSerializer,
        responses={200: s.ClaimDetailSerializer},
        summary="Update the working fields (priority, estimate, description, place, time)",
    )
    def patch(self, request, pk):
        claim = selectors.claim_get_for_user(user=request.user, pk=pk)
        data = self.parse(s.ClaimUpdateSerializer, partial=True)
        self.call(services.claim_update, claim=claim, actor=request.user, **data)
        return self.ok(_claim_payload(selectors.claim_detail_for_user(user=request.user, pk=pk), request.user))


class ClaimTransitionApi(BaseApi):
    permission_classes = PERMISSIONS
    customer_methods = ("POST",)  # withdraw their own claim
    write_roles = services.CLAIM_WORKFLOW.roles

    @extend_schema(
        tags=["claims"],
        request=s.ClaimTransitionSerializer,
        responses={200: s.ClaimDetailSerializer},
        summary="Move the claim in its workflow (409 lists the allowed moves)",
    )
    def post(self, request, pk):
        claim = selectors.claim_get_for_user(user=request.user, pk=pk)
        data = self.parse(s.ClaimTransitionSerializer)
        self.call(
            services.claim_transition,
            claim=claim,
            actor=request.user,
            to=data["to"],
            note=data["note"],
            settlement_amount=data.get("settlement_amount"),
        )
        return self.ok(_claim_payload(selectors.claim_detail_for_user(user=request.user, pk=pk), request.user))


class ClaimTimelineApi(BaseApi):
    permission_classes = PERMISSIONS
    customer_methods = ("GET",)

    @extend_schema(
        tags=["claims"], responses={200: s.TimelineEntrySerializer(many=True)}, summary="The claim's timeline"
    )
    def get(self, request, pk):
        claim = selectors.claim_get_for_user(user=request.user, pk=pk)
        events = selectors.claim_timeline(claim=claim, user=request.user)
        serializer = (
            s.PublicTimelineEntrySerializer if request.user.role == Role.CUSTOMER else s.TimelineEntrySerializer
        )
        return self.ok({"claim_number": claim.claim_number, "timeline": serializer(events, many=True).data})


class ClaimCommunicationsApi(BaseListApi):
    permission_classes = PERMISSIONS
    serializer_class = s.ClaimCommunicationSerializer
    model = Claim
    list_key = "communications"
    sort_fields = {"occurred_at": "occurred_at"}
    default_sort = ("-occurred_at", "-id")

    def visible_queryset(self, user):
        claim = selectors.claim_get_for_user(user=user, pk=self.kwargs["pk"])
        return selectors.claim_communications(claim=claim)

    @extend_schema(tags=["claims"], summary="The stakeholder communications log")
    def get(self, request, pk):
        return self.list_response(request)

    @extend_schema(
        tags=["claims"],
        request=s.CommunicationInputSerializer,
        responses={201: s.ClaimCommunicationSerializer},
        summary="Log a communication (attachments: documents of this claim)",
    )
    def post(self, request, pk):
        claim = selectors.claim_get_for_user(user=request.user, pk=pk)
        data = self.parse(s.CommunicationInputSerializer)
        ids = data.pop("attachment_ids")
        attachments = list(document_selectors.documents_visible_to(request.user).filter(pk__in=ids))
        missing = sorted(set(ids) - {d.pk for d in attachments})
        if missing:
            raise ValidationError({"attachment_ids": [f"Not documents of this claim: {missing}."]})
        communication = self.call(
            services.claim_communication_add, claim=claim, actor=request.user, attachments=attachments, **data
        )
        return self.created(s.ClaimCommunicationSerializer(communication).data)


class ClaimAssignApi(BaseApi):
    permission_classes = PERMISSIONS
    write_roles = services.ACTION_ROLES["assign"]

    @extend_schema(
        tags=["claims"],
        request=s.ClaimAssignSerializer,
        responses={200: s.ClaimDetailSerializer},
        summary="Assign the handler and/or the assessor",
    )
    def post(self, request, pk):
        claim = selectors.claim_get_for_user(user=request.user, pk=pk)
        data = self.parse(s.ClaimAssignSerializer)
        handler = get_object_or_404(User, pk=data["handler_id"]) if data.get("handler_id") else None
        assessor = get_object_or_404(User, pk=data["assessor_id"]) if data.get("assessor_id") else None
        self.call(services.claim_assign, claim=claim, actor=request.user, handler=handler, assessor=assessor)
        return self.ok(_claim_payload(selectors.claim_detail_for_user(user=request.user, pk=pk), request.user))


class ClaimReserveApi(BaseApi):
    permission_classes = PERMISSIONS
    write_roles = services.ACTION_ROLES["reserve"]

    @extend_schema(
        tags=["claims"],
        request=s.ReserveSerializer,
        responses={200: s.ClaimDetailSerializer},
        summary="Set or adjust the outstanding reserve (with a reason)",
    )
    def post(self, request, pk):
        claim = selectors.claim_get_for_user(user=request.user, pk=pk)
        data = self.parse(s.ReserveSerializer)
        self.call(services.claim_reserve_set, claim=claim, actor=request.user, **data)
        return self.ok(_claim_payload(selectors.claim_detail_for_user(user=request.user, pk=pk), request.user))


class ClaimPaymentsApi(BaseListApi):
    permission_classes = PERMISSIONS
    write_roles = services.ACTION_ROLES["pay"]
    serializer_class = s.ClaimPaymentSerializer
    model = ClaimPayment
    list_key = "payments"
    filterset_fields = ["status"]
    sort_fields = {"created_at": "created_at", "amount": "amount"}
    default_sort = ("-created_at", "-id")

    def visible_queryset(self, user):
        claim = selectors.claim_get_for_user(user=user, pk=self.kwargs["pk"])
        return selectors.claim_payments(claim=claim)

    @extend_schema(tags=["claims"], summary="Payments on the claim")
    def get(self, request, pk):
        return self.list_response(request)

    @extend_schema(
        tags=["claims"],
        request=s.PaymentRequestSerializer,
        responses={201: s.ClaimPaymentSerializer},
        summary="Pay against the reserve (above your authority it waits for a manager's approval)",
    )
    def post(self, request, pk):
        claim = selectors.claim_get_for_user(user=request.user, pk=pk)
        data = self.parse(s.PaymentRequestSerializer)
        payment = self.call(services.claim_payment_request, claim=claim, actor=request.user, **data)
        return self.created(s.ClaimPaymentSerializer(payment).data)


class ClaimPaymentDecisionApi(BaseApi):
    permission_classes = PERMISSIONS
    write_roles = services.ACTION_ROLES["decide_payment"]

    @extend_schema(
        tags=["claims"],
        request=s.PaymentDecisionSerializer,
        responses={200: s.ClaimPaymentSerializer},
        summary="Approve or reject a payment waiting for approval (not by its requester)",
    )
    def post(self, request, pk, payment_id):
        claim = selectors.claim_get_for_user(user=request.user, pk=pk)
        payment = get_object_or_404(claim.payments.all(), pk=payment_id)
        data = self.parse(s.PaymentDecisionSerializer)
        payment = self.call(services.claim_payment_decide, payment=payment, actor=request.user, **data)
        return self.ok(s.ClaimPaymentSerializer(payment).data)


class ClaimDocumentsApi(UploadMixin, BaseListApi):
    permission_classes = PERMISSIONS
    customer_methods = ("GET", "POST")
    serializer_class = document_serializers.DocumentOutputSerializer
    model = Document
    list_key = "documents"
    sort_fields = {"created_at": "created_at", "original_name": "original_name"}
    default_sort = ("-created_at", "-id")
    parser_classes = [MultiPartParser, FormParser]

    def visible_queryset(self, user):
        claim = selectors.claim_get_for_user(user=user, pk=self.kwargs["pk"])
        return document_selectors.documents_visible_to(user).filter(entity_type="claim", entity_id=claim.pk)

    @extend_schema(tags=["claims"], summary="The claim's documents and photos")
    def get(self, request, pk):
        return self.list_response(request)

    @extend_schema(
        tags=["claims"],
        request={"multipart/form-data": document_serializers.DocumentUploadSerializer},
        responses={201: document_serializers.DocumentOutputSerializer},
        summary="Upload a document or photo to the claim (customers: to their own claims)",
    )
    def post(self, request, pk):
        claim = selectors.claim_get_for_user(user=request.user, pk=pk)
        data = self.parse(document_serializers.DocumentUploadSerializer)
        visibility = Document.Visibility.CUSTOMER if request.user.role == Role.CUSTOMER else data["visibility"]
        document = self.call(
            document_services.document_upload,
            file=data["file"],
            uploaded_by=request.user,
            customer=claim.customer,
            entity_type="claim",
            entity_id=claim.pk,
            doc_type=data["doc_type"],
            visibility=visibility,
            request=request._request,
        )
        return self.created(document_serializers.DocumentOutputSerializer(document).data)


# --- fraud (seed 002 unique #2) ---------------------------------------------------------------------------------


class ClaimFraudApi(BaseApi):
    permission_classes = PERMISSIONS

    @extend_schema(
        tags=["claims"],
        responses={
            200: inline_serializer(
                "ClaimFraud",
                {
                    "claim_number": drf_serializers.CharField(),
                    "fraud_score": drf_serializers.IntegerField(allow_null=True),
                    "fraud_review": drf_serializers.ChoiceField(choices=FraudReview.choices, allow_blank=True),
                    "assessments": s.FraudAssessmentSerializer(many=True),
                },
            )
        },
        summary="The claim's fraud scores, newest first, each with its explained indicators and decision",
    )
    def get(self, request, pk):
        claim = selectors.claim_get_for_user(user=request.user, pk=pk)
        assessments = claim.fraud_assessments.select_related("decided_by")
        return self.ok(
            {
                "claim_number": claim.claim_number,
                "fraud_score": claim.fraud_score,
                "fraud_review": claim.fraud_review,
                "assessments": s.FraudAssessmentSerializer(assessments, many=True).data,
            }
        )


class ClaimFraudScoreApi(BaseApi):
    permission_classes = PERMISSIONS
    write_roles = services.ACTION_ROLES["fraud_score"]

    @extend_schema(
        tags=["claims"], request=None, responses={201: s.FraudAssessmentSerializer}, summary="Score the claim now"
    )
    def post(self, request, pk):
        claim = selectors.claim_get_for_user(user=request.user, pk=pk)
        return self.created(s.FraudAssessmentSerializer(fraud.claim_fraud_score(claim=claim)).data)


class ClaimFraudDecisionApi(BaseApi):
    permission_classes = PERMISSIONS
    write_roles = services.ACTION_ROLES["fraud_decide"]

    @extend_schema(
        tags=["claims"],
        request=s.FraudDecisionSerializer,
        responses={200: s.FraudAssessmentSerializer},
        summary="Record the reviewer's decision on the latest score",
    )
    def post(self, request, pk):
        claim = selectors.claim_get_for_user(user=request.user, pk=pk)
        data = self.parse(s.FraudDecisionSerializer)
        self.call(services.claim_fraud_decide, claim=claim, actor=request.user, **data)
        return self.ok(s.FraudAssessmentSerializer(claim.fraud_assessments.select_related("decided_by").first()).data)


class FraudQueueApi(BaseListApi):
    permission_classes = PERMISSIONS
    serializer_class = s.ClaimListSerializer
    model = Claim
    list_key = "claims"
    sort_fields = {"fraud_score": "fraud_score", "created_at": "created_at"}
    default_sort = ("-fraud_score", "-id")

    def visible_queryset(self, user):
        return selectors.claims_visible_to(user).filter(fraud_review="pending")

    @extend_schema(tags=["claims"], summary="Claims waiting for a fraud review (score at or above the threshold)")
    def get(self, request):
        return self.list_response(request)


# --- assessments (seed 001) ---------------------------------------------------------------------------------------

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


# --- dashboards (seed 001) ------------------------------------------------------------------------------------------

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


class ClaimReportApi(BaseApi):
    permission_classes = PERMISSIONS

    @extend_schema(
        tags=["claims"],
        responses={(200, "application/pdf"): OpenApiTypes.BINARY},
        summary="The claim report (PDF): claim, assessment, photos, estimates, payments, timeline",
    )
    def get(self, request, pk):
        claim = selectors.claim_get_for_user(user=request.user, pk=pk)
        response = HttpResponse(reports.claim_report_pdf(claim), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{claim.claim_number}.pdf"'
        response["Cache-Control"] = "private, no-store"
        return response
