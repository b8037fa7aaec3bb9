"""Surveys API: build and publish (managers, admins), results and analytics (agents for their customers,
viewers read), and answering through a signed link (no sign-in: the link is the credential)."""

from django.db.models import Q
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.permissions import AllowAny, IsAuthenticated

from apps.accounts.api.permissions import module_permission
from apps.core.api.views import BaseApi, BaseListApi
from apps.core.exceptions import Conflict
from apps.core.net import client_ip

from ..models import Survey, SurveyResponse
from ..selectors import surveys as selectors
from ..services import surveys as services
from . import survey_serializers as s

SURVEYS = [IsAuthenticated, module_permission("surveys")]


class SurveyListCreateApi(BaseListApi):
    permission_classes = SURVEYS
    serializer_class = s.SurveySerializer
    model = Survey
    list_key = "surveys"
    sort_fields = {"created_at": "created_at", "title": "title", "response_count": "response_count"}
    default_sort = ("-created_at", "-id")

    def visible_queryset(self, user):
        return selectors.surveys_visible_to(user)

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        params = self.request.query_params
        status = (params.get("status") or "").strip()
        if status and status != "all":
            queryset = queryset.filter(status=status)
        kind = (params.get("kind") or "").strip()
        if kind and kind != "all":
            queryset = queryset.filter(kind=kind)
        term = (params.get("search") or "").strip()[:100]
        if term:
            queryset = queryset.filter(Q(title__icontains=term) | Q(description__icontains=term))
        return queryset

    @extend_schema(
        tags=["surveys"],
        summary="Surveys (filters: status, kind — `all` for any; search: title or description)",
        parameters=[
            OpenApiParameter("status", str, enum=["draft", "published", "closed", "all"]),
            OpenApiParameter("kind", str, enum=["nps", "csat", "custom", "all"]),
            OpenApiParameter("search", str),
        ],
    )
    def get(self, request):
        return self.list_response(request)

    @extend_schema(
        tags=["surveys"],
        request=s.SurveyCreateSerializer,
        responses={201: s.SurveySerializer},
        summary="Build a survey (a draft: questions as data, checked now, published later)",
    )
    def post(self, request):
        data = self.parse(s.SurveyCreateSerializer)
        survey = self.call(
            services.survey_create,
            actor=request.user,
            title=data["title"],
            description=data["description"],
            questions=data["questions"],
            settings_=data["settings"],
            trigger=data["trigger"],
            expires_at=data["expires_at"],
        )
        return self.created(s.SurveySerializer(selectors.survey_get_for_user(user=request.user, pk=survey.pk)).data)


class SurveyDetailApi(BaseApi):
    permission_classes = SURVEYS

    @extend_schema(tags=["surveys"], responses={200: s.SurveySerializer}, summary="A survey")
    def get(self, request, pk):
        return self.ok(s.SurveySerializer(selectors.survey_get_for_user(user=request.user, pk=pk)).data)

    @extend_schema(
        tags=["surveys"],
        request=s.SurveyUpdateSerializer,
        responses={200: s.SurveySerializer},
        summary="Edit the working copy (a published version never changes: publish again for the next)",
    )
    def put(self, request, pk):
        survey = selectors.survey_get_for_user(user=request.user, pk=pk)
        data = self.parse(s.SurveyUpdateSerializer, partial=True)
        self.call(services.survey_update, survey=survey, actor=request.user, **data)
        return self.ok(s.SurveySerializer(selectors.survey_get_for_user(user=request.user, pk=pk)).data)


class SurveyPublishApi(BaseApi):
    permission_classes = SURVEYS

    @extend_schema(
        tags=["surveys"],
        request=s.SurveyPublishSerializer,
        responses={200: s.SurveySerializer},
        summary="Publish the working copy as the next immutable version (optionally with an expiry)",
    )
    def post(self, request, pk):
        survey = selectors.survey_get_for_user(user=request.user, pk=pk)
        data = self.parse(s.SurveyPublishSerializer)
        kwargs = {"expires_at": data["expires_at"]} if "expires_at" in data else {}
        self.call(services.survey_publish, survey=survey, actor=request.user, **kwargs)
        return self.ok(s.SurveySerializer(selectors.survey_get_for_user(user=request.user, pk=pk)).data)


class SurveyCloseApi(BaseApi):
    permission_classes = SURVEYS

    @extend_schema(
        tags=["surveys"], request=None, responses={200: s.SurveySerializer}, summary="Stop collecting answers"
    )
    def post(self, request, pk):
        survey = selectors.survey_get_for_user(user=request.user, pk=pk)
        self.call(services.survey_close, survey=survey, actor=request.user)
        return self.ok(s.SurveySerializer(selectors.survey_get_for_user(user=request.user, pk=pk)).data)


class SurveyResponseListApi(BaseListApi):
    permission_classes = SURVEYS
    serializer_class = s.SurveyResponseSerializer
    model = SurveyResponse
    list_key = "responses"
    sort_fields = {"created_at": "created_at", "score": "score", "sentiment_score": "sentiment_score"}
    default_sort = ("-created_at", "-id")

    def visible_queryset(self, user):
        survey = selectors.survey_get_for_user(user=user, pk=self.kwargs["pk"])
        return selectors.responses_visible_to(user, survey=survey)

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        group = (self.request.query_params.get("nps_group") or "").strip()
        if group == "detractor":
            queryset = queryset.filter(Q(score_kind="nps", score__lte=6) | Q(score_kind="csat", score__lte=2))
        elif group == "promoter":
            queryset = queryset.filter(score_kind="nps", score__gte=9)
        elif group == "passive":
            queryset = queryset.filter(score_kind="nps", score__gte=7, score__lte=8)
        return queryset

    @extend_schema(
        tags=["surveys"],
        summary="A survey's responses (agents: their customers'; nps_group: promoter, passive, detractor)",
        parameters=[OpenApiParameter("nps_group", str, enum=["promoter", "passive", "detractor", "all"])],
    )
    def get(self, request, pk):
        return self.list_response(request)


class SurveyAnalyticsApi(BaseApi):
    permission_classes = SURVEYS

    @extend_schema(
        tags=["surveys"],
        parameters=[s.SurveyAnalyticsQuerySerializer],
        responses={200: s.SurveyAnalyticsSerializer},
        summary="NPS and CSAT overall, over time and by agent, team, product line and channel; feedback "
        "categories and sentiment (agents: their customers' answers)",
    )
    def get(self, request, pk):
        survey = selectors.survey_get_for_user(user=request.user, pk=pk)
        params = self.parse(s.SurveyAnalyticsQuerySerializer, data=request.query_params)
        return self.ok(
            selectors.survey_analytics(
                user=request.user,
                survey=survey,
                period=params["period"],
                date_from=params.get("date_from"),
                date_to=params.get("date_to"),
            )
        )


def link_view(invitation) -> dict:
    version = invitation.version
    return {
        "survey_id": invitation.survey_id,
        "title": version.title,
        "description": invitation.survey.description,
        "questions": version.questions,
        "intro": (version.settings or {}).get("intro", ""),
        "state": services.invitation_state(invitation),
        "expires_at": invitation.expires_at,
        "started": services.started_token(),
    }


class SurveyAnswerApi(BaseApi):
    """The signed link, for an app or an integrator: no sign-in (the link is the credential). A forged link or
    another survey's is a 404; answered, expired or closed is a 409 on POST."""

    authentication_classes = []
    permission_classes = [AllowAny]
    mfa_exempt = True

    @extend_schema(tags=["surveys"], responses={200: s.SurveyLinkSerializer}, summary="What a signed survey link opens")
    def get(self, request, pk, token):
        return self.ok(link_view(services.invitation_open(survey_id=pk, token=token)))

    @extend_schema(
        tags=["surveys"],
        request=s.SurveyAnswerSerializer,
        responses={201: s.SurveyAnswerResultSerializer},
        summary="Answer through a signed link, once (answers checked against the link's version)",
    )
    def post(self, request, pk, token):
        invitation = services.invitation_open(survey_id=pk, token=token)
        data = self.parse(s.SurveyAnswerSerializer)
        state = services.invitation_state(invitation)
        if state != "open":
            message, code = services.STATE_ERRORS[state]
            raise Conflict(message, code=code)
        response = self.call(
            services.response_submit,
            invitation=invitation,
            answers=data["responses"],
            completion_time=services.completion_seconds(data.get("started", "")),
            ip_address=client_ip(request),
            user_agent=request.META.get("HTTP_USER_AGENT", ""),
        )
        thank_you = (invitation.version.settings or {}).get("thank_you") or "Thank you for your answers."
        return self.created({"response_id": response.pk, "thank_you": thank_you})
