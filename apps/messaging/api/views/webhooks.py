"""`/webhooks/incoming-message` (seed 004 §3.4, public): provider callbacks for inbound messages, delivery receipts
and template reviews (POST, signed per provider), and Meta's subscription handshake (GET hub.challenge)."""

from urllib.parse import parse_qs

from django.conf import settings
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.parsers import BaseParser
from rest_framework.permissions import AllowAny

from apps.core.api.views import BaseApi
from apps.core.exceptions import PayloadTooLarge
from apps.messaging.providers.base import WebhookRequest
from apps.messaging.services.webhooks import webhook_handshake, webhook_provider, webhook_receive

from ..serializers import messages as s

MAX_BODY = 1024 * 1024


class RawBodyParser(BaseParser):
    """Signatures are checked over the exact bytes received (JSON from Meta, a form from Twilio)."""

    media_type = "*/*"

    def parse(self, stream, media_type=None, parser_context=None):
        body = stream.read(MAX_BODY + 1) if stream is not None else b""
        if len(body) > MAX_BODY:
            raise PayloadTooLarge()
        return body


SIGNATURES = [
    OpenApiParameter("provider", str, OpenApiParameter.QUERY, required=False, enum=["twilio", "meta", "sandbox"]),
    OpenApiParameter("X-Twilio-Signature", str, OpenApiParameter.HEADER, required=False),
    OpenApiParameter("X-Hub-Signature-256", str, OpenApiParameter.HEADER, required=False),
    OpenApiParameter("X-Sandbox-Signature", str, OpenApiParameter.HEADER, required=False),
]


class IncomingMessageWebhookApi(BaseApi):
    authentication_classes = []
    permission_classes = [AllowAny]
    mfa_exempt = True
    parser_classes = [RawBodyParser]
    throttle_classes = []

    @extend_schema(
        tags=["messages"],
        auth=[],
        parameters=[
            OpenApiParameter("hub.mode", str, OpenApiParameter.QUERY, required=True),
            OpenApiParameter("hub.verify_token", str, OpenApiParameter.QUERY, required=True),
            OpenApiParameter("hub.challenge", str, OpenApiParameter.QUERY, required=True),
        ],
        responses={
            (200, "text/plain"): OpenApiResponse(OpenApiTypes.STR, description="The challenge, echoed"),
            400: OpenApiResponse(description="Wrong verify token or not a subscription check"),
            403: OpenApiResponse(description="No verify token configured (fail closed)"),
        },
        summary="WhatsApp Cloud API subscription handshake",
    )
    def get(self, request):
        challenge = webhook_handshake(query={k: str(v) for k, v in request.query_params.items()})
        return HttpResponse(challenge, content_type="text/plain; charset=utf-8")

    @extend_schema(
        tags=["messages"],
        auth=[],
        parameters=SIGNATURES,
        request={"application/json": OpenApiTypes.OBJECT, "application/x-www-form-urlencoded": OpenApiTypes.OBJECT},
        responses={
            200: s.IncomingMessageAckSerializer,
            400: OpenApiResponse(description="Missing or wrong signature, malformed event, invalid number"),
            413: OpenApiResponse(description="Body over 1 MB"),
            403: OpenApiResponse(description="The provider's webhook secret is not configured (fail closed)"),
        },
        summary="Provider webhook: inbound SMS/WhatsApp, delivery receipts, template reviews (signed)",
    )
    def post(self, request):
        body = request.data if isinstance(request.data, bytes) else b""
        headers = {k.lower(): v for k, v in request.headers.items()}
        provider = webhook_provider(query_provider=request.query_params.get("provider", ""), headers=headers)
        form: dict[str, list[str]] = {}
        if "application/x-www-form-urlencoded" in request.content_type:
            form = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
        base = settings.MESSAGING_WEBHOOK_BASE_URL
        url = base + request.get_full_path() if base else request.build_absolute_uri()
        hook = WebhookRequest(url=url, method="POST", headers=headers, body=body, form=form)
        result = self.call(webhook_receive, provider=provider, request=hook)
        return self.ok(result)
