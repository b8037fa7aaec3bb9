"""Fraud scores and review (seed 002 unique #2): a claim's score, re-scoring, the decision, the review queue."""

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers as drf_serializers

from apps.claims import fraud, selectors, services
from apps.claims.models import (
    Claim,
    FraudReview,
)
from apps.core.api.views import BaseApi, BaseListApi

from .. import serializers as s
from .base import PERMISSIONS


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
