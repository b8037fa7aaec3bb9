"""The assistant's endpoints: seed 003 `POST /ai/query`, `GET/PUT /ai/settings`; seed 004 `POST /copilot/chat`
and `/safety/rescinded-responses`; the customer chat and the confirmation of proposed actions. Thin: parse →
engine/service → render. A refused request (bad input) writes nothing but its audit record."""

import django_filters
from django.db import transaction
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.exceptions import Throttled, ValidationError
from rest_framework.permissions import BasePermission, IsAuthenticated

from apps.accounts.api.permissions import module_permission
from apps.accounts.roles import Role
from apps.assistant import engine, services
from apps.assistant.models import Channel, RescindedResponse
from apps.assistant.selectors import rescinded_responses_visible_to
from apps.core.api.exceptions import ApiError
from apps.core.api.throttles import AIRateThrottle, GeneralRateThrottle
from apps.core.api.views import BaseApi, BaseListApi

from . import serializers as s


def roles_permission(*roles: str):
    class HasRole(BasePermission):
        message = "Your role cannot use this."

        def has_permission(self, request, view) -> bool:
            user = request.user
            return bool(user and user.is_authenticated and user.role in roles)

    HasRole.__name__ = "Has" + "Or".join(r.title() for r in roles) + "Role"
    return HasRole


AI_THROTTLES = [GeneralRateThrottle, AIRateThrottle]
UNAVAILABLE = {503: OpenApiResponse(description="The provider failed and the fallback answer is switched off")}
BAD_INPUT = {
    400: OpenApiResponse(description="Empty message, forged history turn or invalid body (recorded)"),
    413: OpenApiResponse(description="The message is longer than the assistant accepts (recorded)"),
    429: OpenApiResponse(description="The AI settings' rate limit"),
}


class _ChatApi(BaseApi):
    throttle_classes = AI_THROTTLES

    def run(self, *, channel: str, turns_builder, conversation_id, context, raw):
        user = self.request.user
        try:
            with transaction.atomic():
                conversation = services.conversation_for(user=user, channel=channel, pk=conversation_id, unsaved=True)
                turns = turns_builder(conversation)
                return engine.chat(user=user, channel=channel, turns=turns, conversation=conversation, context=context)
        except engine.BadInput as exc:
            engine.reject(exc, user=user, channel=channel, raw=raw)
            if exc.code == "too_long":
                raise ApiError(
                    str(exc), code="payload_too_large", status_code=413, details={exc.field: [str(exc)]}
                ) from exc
            raise ValidationError({exc.field: [str(exc)]}) from exc
        except services.RateLimited as exc:
            raise Throttled(wait=exc.wait, detail=str(exc)) from exc
        except engine.ProviderError as exc:
            raise ApiError("The AI provider is unavailable.", code="service_unavailable", status_code=503) from exc

    def parse_audited(self, serializer_class, *, channel: str):
        """`parse`, with a refused body on the audit trail like every other bad request to the assistant."""
        try:
            return self.parse(serializer_class)
        except ValidationError as exc:
            raw = self.request.data
            engine.reject(
                engine.BadInput(str(exc.detail)[:300], field="body", code="invalid"),
                user=self.request.user,
                channel=channel,
                raw=raw if isinstance(raw, str | list | dict) else str(raw),
            )
            raise


def _context(value) -> dict:
    if value is None or value == "":
        return {}
    if isinstance(value, str):
        return {"page": value[:500]}
    if isinstance(value, dict):
        return {str(k)[:50]: str(v)[:500] for k, v in list(value.items())[:20]}
    raise ValidationError({"context": ["A string or an object."]})


class AiQueryApi(_ChatApi):
    """Managers' questions, answered from the platform's figures and the knowledge base (seed 003)."""

    permission_classes = [IsAuthenticated, roles_permission(Role.ADMIN, Role.MANAGER)]

    @extend_schema(
        tags=["ai"],
        request=s.AiQueryInputSerializer,
        responses={200: s.AiQueryOutputSerializer, **BAD_INPUT, **UNAVAILABLE},
        summary="Ask the AI assistant (answers with sources and suggestions)",
    )
    def post(self, request):
        data = self.parse_audited(s.AiQueryInputSerializer, channel=Channel.QUERY)
        context = _context(data.get("context"))

        def turns(conversation):
            return [engine.Turn(role="user", text=engine.check_message(data["query"]))]

        answer = self.run(
            channel=Channel.QUERY, turns_builder=turns, conversation_id=None, context=context, raw=data["query"]
        )
        refs = [src["ref"] for src in answer.sources]
        if answer.used_figures:
            refs.append("platform_figures")
        return self.ok(
            {
                "response": answer.text,
                "confidence": answer.confidence,
                "sources": refs,
                "suggestions": answer.suggestions,
                "source_details": answer.sources,
                "cached": answer.cached,
                "fallback": answer.fallback,
            }
        )


class CopilotChatApi(_ChatApi):
    """Seed 004 §3.2: the agents' copilot with its tools (writes are proposed and confirmed)."""

    permission_classes = [IsAuthenticated, module_permission("crm")]

    @extend_schema(
        tags=["ai"],
        request=s.CopilotChatInputSerializer,
        responses={200: s.CopilotChatOutputSerializer, **BAD_INPUT, **UNAVAILABLE},
        summary="Copilot chat turn (function calls run as you; writes wait for your confirmation)",
    )
    def post(self, request):
        data = self.parse_audited(s.CopilotChatInputSerializer, channel=Channel.COPILOT)
        context = _context(data.get("context"))

        def turns(conversation):
            return engine.history_from_client(data["history"], user=request.user, channel=Channel.COPILOT)

        answer = self.run(
            channel=Channel.COPILOT,
            turns_builder=turns,
            conversation_id=data.get("conversation_id"),
            context=context,
            raw=data["history"],
        )
        return self.ok(
            {
                "chatResponse": engine.display(answer.text),
                "functionCalls": answer.function_calls or None,
                "actions": answer.actions,
                "sources": answer.sources,
                "suggestions": answer.suggestions,
                "confidence": answer.confidence,
                "conversation_id": answer.conversation_id,
                "fallback": answer.fallback,
            }
        )


class CustomerChatApi(_ChatApi):
    """The portal's chat for customers: their own policies, payments and claims, public and customers' knowledge,
    a first notice of loss step by step, and a hand-over to a person."""

    permission_classes = [IsAuthenticated, module_permission("self_service")]

    @extend_schema(
        tags=["ai"],
        request=s.CustomerChatInputSerializer,
        responses={200: s.CustomerChatOutputSerializer, **BAD_INPUT, **UNAVAILABLE},
        summary="Customer chat turn",
    )
    def post(self, request):
        data = self.parse_audited(s.CustomerChatInputSerializer, channel=Channel.CUSTOMER)

        def turns(conversation):
            message = engine.check_message(data["message"])
            return [*engine.history_from_conversation(conversation), engine.Turn(role="user", text=message)]

        answer = self.run(
            channel=Channel.CUSTOMER,
            turns_builder=turns,
            conversation_id=data.get("conversation_id"),
            context=_context(data.get("context")),
            raw=data["message"],
        )
        return self.ok(
            {
                "response": engine.display(answer.text),
                "confidence": answer.confidence,
                "sources": answer.sources,
                "suggestions": answer.suggestions,
                "actions": answer.actions,
                "conversation_id": answer.conversation_id,
                "fallback": answer.fallback,
            }
        )


class ActionDecisionApi(BaseApi):
    """Confirm or refuse an action the assistant proposed to you (someone else's is not found)."""

    permission_classes = [IsAuthenticated, roles_permission(Role.ADMIN, Role.MANAGER, Role.AGENT, Role.CUSTOMER)]

    @extend_schema(
        tags=["ai"],
        request=s.ActionDecisionInputSerializer,
        responses={200: s.ActionDecisionOutputSerializer},
        summary="Confirm or refuse a proposed action",
    )
    def post(self, request):
        data = self.parse(s.ActionDecisionInputSerializer)
        action = services.action_confirm(
            action_id=data["action_id"], user=request.user, confirm=data["decision"] == "confirm"
        )
        result = action.result or {}
        message = engine.decision_message(action)
        return self.ok(
            {
                "id": action.pk,
                "tool": action.tool,
                "summary": action.summary,
                "status": action.status,
                "result": result,
                "message": message,
            }
        )


class AiSettingsApi(BaseApi):
    """Seed 003 `GET/PUT /ai/settings` (administrators)."""

    permission_classes = [IsAuthenticated, module_permission("settings")]

    @extend_schema(
        tags=["ai"],
        responses={200: s.AiSettingsOutputSerializer},
        summary="The AI settings (the API key is never returned)",
    )
    def get(self, request):
        return self.ok(s.AiSettingsOutputSerializer(services.ai_settings_get()).data)

    @extend_schema(
        tags=["ai"],
        request=s.AiSettingsInputSerializer,
        responses={200: s.AiSettingsOutputSerializer},
        summary="Change the AI settings",
    )
    def put(self, request):
        data = dict(self.parse(s.AiSettingsInputSerializer))
        api_key = data.pop("api_key", None)
        row = self.call(services.ai_settings_update, actor=request.user, api_key=api_key, **data)
        return self.ok(s.AiSettingsOutputSerializer(row).data)


class RescindedResponseFilterSet(django_filters.FilterSet):
    rule = django_filters.CharFilter()
    channel = django_filters.ChoiceFilter(choices=Channel.choices)
    created_from = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_to = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lte")

    class Meta:
        model = RescindedResponse
        fields = ["rule", "channel"]


class RescindedResponseListApi(BaseListApi):
    """Seed 004 §3.8: the answers the guardrails blocked, with the rule, the original and the replacement."""

    permission_classes = [IsAuthenticated, roles_permission(Role.ADMIN, Role.MANAGER)]
    serializer_class = s.RescindedResponseSerializer
    filterset_class = RescindedResponseFilterSet
    list_key = "rescinded_responses"
    model = RescindedResponse
    search_fields = ("original", "reason")
    sort_fields = {"created_at": "created_at", "rule": "rule"}
    default_sort = ("-created_at", "-id")

    def visible_queryset(self, user):
        return rescinded_responses_visible_to(user)

    @extend_schema(tags=["ai"], summary="Rescinded AI responses (filters: rule, channel, created)")
    def get(self, request):
        return self.list_response(request)
