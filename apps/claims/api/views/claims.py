"""Claims (seed 001 claims management, seed 003 claims service): list and file, detail and update, the workflow,
timeline, communications log, assignment, reserve, payments with approval, documents, the PDF report."""

import django_filters
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, MultiPartParser

from apps.accounts.models import User
from apps.accounts.roles import Role
from apps.catalog.models import Peril
from apps.claims import reports, selectors, services
from apps.claims.models import (
    Claim,
    ClaimChannel,
    ClaimPayment,
    ClaimPriority,
    ClaimStatus,
)
from apps.core.api.views import BaseApi, BaseListApi, RecordSearchListApi
from apps.core.columns import PERSON_SUMMARY, list_columns
from apps.customers.api.serializers import LinkedEntrySerializer
from apps.customers.timeline import linked_entries
from apps.documents import selectors as document_selectors
from apps.documents import services as document_services
from apps.documents.api import serializers as document_serializers
from apps.documents.api.views import UploadMixin
from apps.documents.models import Document
from apps.policies.models import Vehicle
from apps.policies.selectors import policy_get_for_user

from .. import serializers as s
from .base import PERMISSIONS, _claim_payload


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


class ClaimListCreateApi(RecordSearchListApi):
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
    # a claim search: the claim's, its policy's or its customer's number, or the customer's name (best first)
    search_numbers = {"CLM-": "claim_number", "POL-": "policy__policy_number", "CUS-": "customer__customer_code"}
    search_name_vector = "customer__search_vector"

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

    @extend_schema(
        tags=["claims"],
        responses={200: s.ClaimListSerializer(many=True)},
        summary="Claims (search: claim, policy or customer number, or the customer's name)",
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
        tags=["claims"],
        responses={200: s.ClaimTimelineSerializer},
        summary="The claim's timeline, and (staff) the emails linked to the claim",
    )
    def get(self, request, pk):
        claim = selectors.claim_get_for_user(user=request.user, pk=pk)
        events = selectors.claim_timeline(claim=claim, user=request.user)
        serializer = (
            s.PublicTimelineEntrySerializer if request.user.role == Role.CUSTOMER else s.TimelineEntrySerializer
        )
        linked = linked_entries(kind="claim", object_id=claim.pk, user=request.user)  # none for the claimant
        return self.ok(
            {
                "claim_number": claim.claim_number,
                "timeline": serializer(events, many=True).data,
                "linked": LinkedEntrySerializer(linked, many=True).data,
            }
        )


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
