"""/claims/{id}/checks: the claim's vehicle and context checks (registration, history, VIN, place, weather)."""

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers as drf_serializers
from rest_framework.permissions import IsAuthenticated

from apps.accounts.api.permissions import MfaSatisfied, module_permission
from apps.claims.selectors import claim_get_for_user
from apps.core.api.views import BaseApi
from apps.integrations import services

from .serializers import ExternalCheckSerializer

PERMISSIONS = [IsAuthenticated, MfaSatisfied, module_permission("claims")]


CLAIM_CHECKS = inline_serializer(
    "ClaimChecks",
    {"claim_number": drf_serializers.CharField(), "checks": ExternalCheckSerializer(many=True)},
)


class ClaimChecksApi(BaseApi):
    permission_classes = PERMISSIONS

    @extend_schema(
        tags=["claims"],
        responses={200: CLAIM_CHECKS},
        summary="The claim's latest external checks (degraded ones say why)",
    )
    def get(self, request, pk):
        claim = claim_get_for_user(user=request.user, pk=pk)
        checks = services.claim_checks_latest(claim)
        return self.ok({"claim_number": claim.claim_number, "checks": ExternalCheckSerializer(checks, many=True).data})

    @extend_schema(
        tags=["claims"],
        request=None,
        responses={201: CLAIM_CHECKS},
        summary="Run the checks again now (cached answers are reused)",
    )
    def post(self, request, pk):
        claim = claim_get_for_user(user=request.user, pk=pk)
        checks = services.claim_checks_run(claim=claim)
        return self.created(
            {"claim_number": claim.claim_number, "checks": ExternalCheckSerializer(checks, many=True).data}
        )
