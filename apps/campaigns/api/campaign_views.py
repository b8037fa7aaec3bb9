"""Campaign endpoints: seed 003 GET/POST /campaigns (filters `status`, `type`, each with `all`), GET
/campaigns/{id}/analytics; seed 004 §3.4 CRUD and POST /campaigns/{id}/send; plus pause, resume, cancel and the
audience preview. Managers and admins create and send; agents read the campaigns that reached their customers,
with those customers' results only; other roles are refused."""

import django_filters
from django.db.models import Prefetch
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.permissions import SAFE_METHODS, BasePermission, IsAuthenticated

from apps.accounts.roles import Role
from apps.core.api.views import BaseApi, BaseListApi

from ..models import Campaign, CampaignChannel, CampaignStatus, CampaignVariant
from ..selectors.analytics import campaign_analytics
from ..selectors.campaigns import FULL_VIEW, campaign_get_for_user, campaigns_visible_to, customer_scope
from ..services import campaigns as services
from ..services.audience import audience_preview, audience_validate
from ..services.winners import campaign_winner_set
from . import campaign_serializers as s

ERRORS = {400: OpenApiResponse(description="validation_error"), 404: OpenApiResponse(description="not_found")}
CONFLICT = {409: OpenApiResponse(description="conflict: the campaign's state does not allow it")}


class CampaignsPermission(BasePermission):
    """Read: admins, managers, agents (scoped by the selector). Write: the role matrix's `campaigns` module."""

    message = "Your role does not grant access to 'campaigns'."

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        if request.method in SAFE_METHODS and user.role == Role.AGENT and getattr(view, "agents_read", True):
            return True
        return user.can("campaigns", "write")


CAMPAIGNS = [IsAuthenticated, CampaignsPermission]


class CampaignFilterSet(django_filters.FilterSet):
    """`all` (or no value) means no filter."""

    status = django_filters.ChoiceFilter(choices=[*CampaignStatus.choices, ("all", "All")], method="filter_all")
    type = django_filters.ChoiceFilter(choices=[*CampaignChannel.choices, ("all", "All")], method="filter_all")

    class Meta:
        model = Campaign
        fields = ["status", "type"]

    def filter_all(self, queryset, name, value):
        return queryset if value in ("", "all") else queryset.filter(**{name: value})


def _with_variants(qs):
    return qs.prefetch_related(Prefetch("variants", queryset=CampaignVariant.objects.order_by("code")))


def _detail(request, pk) -> dict:
    campaign = _with_variants(campaigns_visible_to(request.user)).get(pk=pk)
    return s.CampaignSerializer(campaign, context={"full_view": request.user.role in FULL_VIEW}).data


def _input(data: dict) -> dict:
    data = dict(data)
    data.pop("variants", None)
    if "survey_id" in data:
        data["survey"] = data.pop("survey_id")
    return data


class CampaignListCreateApi(BaseListApi):
    permission_classes = CAMPAIGNS
    serializer_class = s.CampaignSerializer
    filterset_class = CampaignFilterSet
    model = Campaign
    list_key = "campaigns"
    search_fields = ("name",)
    sort_fields = {"created_at": "created_at", "name": "name", "scheduled_at": "scheduled_at", "status": "status"}
    default_sort = ("-created_at", "-id")

    def visible_queryset(self, user):
        return _with_variants(campaigns_visible_to(user))

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "full_view": self.request.user.role in FULL_VIEW}

    @extend_schema(
        tags=["campaigns"],
        summary="Campaigns (filters: status incl. all, type incl. all; search: name)",
        parameters=[OpenApiParameter("search", str, description="Words of the name.")],
    )
    def get(self, request):
        return self.list_response(request)

    @extend_schema(
        tags=["campaigns"],
        request=s.CampaignInputSerializer,
        responses={201: s.CampaignSerializer, **ERRORS},
        summary="Create a campaign (a draft; POST /campaigns/{id}/send sends or schedules it)",
    )
    def post(self, request):
        data = self.parse(s.CampaignInputSerializer)
        campaign = self.call(
            services.campaign_create, actor=request.user, variants=data.get("variants"), **_input(data)
        )
        return self.created(_detail(request, campaign.pk))


class CampaignDetailApi(BaseApi):
    permission_classes = CAMPAIGNS

    @extend_schema(tags=["campaigns"], responses={200: s.CampaignSerializer, 404: ERRORS[404]}, summary="A campaign")
    def get(self, request, pk):
        campaign_get_for_user(user=request.user, pk=pk)
        return self.ok(_detail(request, pk))

    @extend_schema(
        tags=["campaigns"],
        request=s.CampaignInputSerializer,
        responses={200: s.CampaignSerializer, **ERRORS, **CONFLICT},
        summary="Replace a draft or scheduled campaign's settings",
    )
    def put(self, request, pk):
        return self._update(request, pk, partial=False)

    @extend_schema(
        tags=["campaigns"],
        request=s.CampaignInputSerializer,
        responses={200: s.CampaignSerializer, **ERRORS, **CONFLICT},
        summary="Change some of a draft or scheduled campaign's settings",
    )
    def patch(self, request, pk):
        return self._update(request, pk, partial=True)

    def _update(self, request, pk, *, partial: bool):
        campaign = campaign_get_for_user(user=request.user, pk=pk)
        data = self.parse(s.CampaignInputSerializer, partial=partial)
        self.call(
            services.campaign_update,
            campaign=campaign,
            actor=request.user,
            variants=data.get("variants"),
            **_input(data),
        )
        return self.ok(_detail(request, pk))

    @extend_schema(
        tags=["campaigns"],
        responses={204: None, 404: ERRORS[404], **CONFLICT},
        summary="Delete a campaign that never sent",
    )
    def delete(self, request, pk):
        campaign = campaign_get_for_user(user=request.user, pk=pk)
        self.call(services.campaign_delete, campaign=campaign, actor=request.user)
        return self.ok(None, status_code=204)


class CampaignSendApi(BaseApi):
    permission_classes = CAMPAIGNS

    @extend_schema(
        tags=["campaigns"],
        request=None,
        responses={
            202: s.CampaignSerializer,
            400: ERRORS[400],
            404: ERRORS[404],
            409: OpenApiResponse(description="already_sending, or completed/cancelled"),
            422: OpenApiResponse(description="empty_audience: the audience matches nobody"),
        },
        summary="Send the campaign now, or schedule it for its scheduled_at (seed 004 §3.4)",
    )
    def post(self, request, pk):
        campaign = campaign_get_for_user(user=request.user, pk=pk)
        self.call(services.campaign_send, campaign=campaign, actor=request.user)
        return self.ok(_detail(request, pk), status_code=202)


def _move_api(move: str, summary: str):
    service = getattr(services, f"campaign_{move}")

    class MoveApi(BaseApi):
        permission_classes = CAMPAIGNS

        @extend_schema(
            tags=["campaigns"],
            request=None,
            responses={200: s.CampaignSerializer, 404: ERRORS[404], **CONFLICT},
            summary=summary,
            operation_id=f"campaigns_{move}",
        )
        def post(self, request, pk):
            campaign = campaign_get_for_user(user=request.user, pk=pk)
            service(campaign=campaign, actor=request.user)
            return self.ok(_detail(request, pk))

    MoveApi.__name__ = MoveApi.__qualname__ = f"Campaign{move.title()}Api"
    return MoveApi


CampaignPauseApi = _move_api("pause", "Pause sending (queued messages wait)")
CampaignResumeApi = _move_api("resume", "Resume a paused campaign")
CampaignCancelApi = _move_api("cancel", "Cancel: nothing more is sent")


class CampaignWinnerApi(BaseApi):
    permission_classes = CAMPAIGNS

    @extend_schema(
        tags=["campaigns"],
        request=s.WinnerInputSerializer,
        responses={
            200: s.CampaignSerializer,
            400: ERRORS[400],
            404: ERRORS[404],
            409: OpenApiResponse(description="winner_chosen (already picked), not_sending"),
        },
        summary="Choose the A/B test's winner by hand (managers): it goes to the rest of the audience now",
    )
    def post(self, request, pk):
        campaign = campaign_get_for_user(user=request.user, pk=pk)
        data = self.parse(s.WinnerInputSerializer)
        self.call(campaign_winner_set, campaign=campaign, actor=request.user, code=data["code"], reason=data["reason"])
        return self.ok(_detail(request, pk))


class CampaignAnalyticsApi(BaseApi):
    permission_classes = CAMPAIGNS

    @extend_schema(
        tags=["campaigns"],
        responses={200: s.CampaignAnalyticsSerializer, 404: ERRORS[404]},
        summary="Sent, delivered, opened, clicked, converted and rates (seed 003), per variant, holdout lift, "
        "budget per channel, over time; agents: their customers' only",
    )
    def get(self, request, pk):
        campaign = campaign_get_for_user(user=request.user, pk=pk)
        return self.ok(campaign_analytics(campaign, customers=customer_scope(request.user)))


class CampaignAudienceApi(BaseApi):
    permission_classes = CAMPAIGNS
    agents_read = False  # who else is in the audience is not an agent's to see

    @extend_schema(
        tags=["campaigns"],
        responses={200: s.AudiencePreviewSerializer, 404: ERRORS[404]},
        summary="The campaign's audience now: how many, and a sample",
    )
    def get(self, request, pk):
        campaign = campaign_get_for_user(user=request.user, pk=pk)
        return self.ok(services.campaign_preview(campaign=campaign))


class AudiencePreviewApi(BaseApi):
    permission_classes = CAMPAIGNS

    @extend_schema(
        tags=["campaigns"],
        request=s.AudiencePreviewInputSerializer,
        responses={200: s.AudiencePreviewSerializer, 400: ERRORS[400]},
        summary="Preview an audience segment before creating the campaign: count and a sample",
    )
    def post(self, request):
        data = self.parse(s.AudiencePreviewInputSerializer)
        spec = self.call(audience_validate, spec=data.get("target_audience"))
        return self.ok(
            audience_preview(spec, channels=data["channels"] or ["email"], purpose=data["purpose"], sample=10)
        )
