"""Auth (`/api/v1/auth/...`), users, teams and branches endpoints."""

from django.conf import settings
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework_simplejwt.tokens import AccessToken

from apps.core.api.throttles import AuthRateThrottle, GeneralRateThrottle
from apps.core.api.views import BaseApi, BaseListApi

from .. import selectors, services
from ..models import Branch, Team, User
from . import serializers as s
from .permissions import MfaSatisfied, module_permission

_MESSAGE = inline_serializer("Message", {"message": serializers.CharField()})


class PublicAuthApi(BaseApi):
    """Anonymous auth endpoints: no session/JWT parsing, per-IP auth throttle on top of the general one."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [GeneralRateThrottle, AuthRateThrottle]


def _login_payload(result) -> dict:
    if result.mfa_required:
        return {"mfa_required": True, "mfa_token": result.mfa_token, "expires_in": services.MFA_CHALLENGE_MAX_AGE}
    return {**result.tokens, "user": s.UserOutputSerializer(result.user).data}


class LoginApi(BaseApi):
    """POST /auth/login: seed 003 response; with MFA enrolled, an `mfa_required` challenge instead."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [GeneralRateThrottle]  # failures are limited per (email, IP) by django-axes

    @extend_schema(
        request=s.LoginInputSerializer,
        responses={
            200: s.LoginOutputSerializer,
            202: s.MfaChallengeOutputSerializer,
            401: OpenApiResponse(description="Invalid credentials"),
            429: OpenApiResponse(description="Locked out"),
        },
        tags=["auth"],
    )
    def post(self, request):
        data = self.parse(s.LoginInputSerializer)
        # Django's HttpRequest (not DRF's wrapper) so django-axes can flag a lockout on it.
        result = services.user_login(request=request._request, email=data["email"], password=data["password"])
        return self.ok(_login_payload(result), status_code=202 if result.mfa_required else 200)


class RefreshApi(PublicAuthApi):
    # A refresh token is unguessable: no per-IP auth bucket (an office behind one NAT refreshes a lot).
    throttle_classes = [GeneralRateThrottle]

    @extend_schema(request=s.RefreshInputSerializer, responses={200: s.TokenPairOutputSerializer}, tags=["auth"])
    def post(self, request):
        data = self.parse(s.RefreshInputSerializer)
        return self.ok(services.token_refresh(refresh_token=data["refresh_token"], request=request._request))


class LogoutApi(BaseApi):
    permission_classes = [IsAuthenticated]
    mfa_exempt = True

    @extend_schema(
        request=s.LogoutInputSerializer,
        responses={200: _MESSAGE},
        tags=["auth"],
        summary="Sign out: the bearer token and its sign-in's refresh tokens stop working",
    )
    def post(self, request):
        data = self.parse(s.LogoutInputSerializer)
        self.call(
            services.user_logout,
            user=request.user,
            access_token=request.auth if isinstance(request.auth, AccessToken) else None,
            refresh_token=data.get("refresh_token"),
            request=request._request,
        )
        return self.ok({"message": "Signed out."})


class RegisterApi(PublicAuthApi):
    """Customer self-registration. Staff accounts are created by administrators (POST /users)."""

    @extend_schema(request=s.RegisterInputSerializer, responses={201: s.LoginOutputSerializer}, tags=["auth"])
    def post(self, request):
        data = self.parse(s.RegisterInputSerializer)
        user, tokens = self.call(services.customer_sign_up, **data)
        return self.created({**tokens, "user": s.UserOutputSerializer(user).data})


class ForgotPasswordApi(PublicAuthApi):
    @extend_schema(request=s.ForgotPasswordInputSerializer, responses={200: _MESSAGE}, tags=["auth"])
    def post(self, request):
        data = self.parse(s.ForgotPasswordInputSerializer)
        services.password_reset_request(email=data["email"], request=request._request)
        return self.ok({"message": "If an account exists for this address, a reset link has been sent."})


class ResetPasswordApi(PublicAuthApi):
    @extend_schema(request=s.ResetPasswordInputSerializer, responses={200: _MESSAGE}, tags=["auth"])
    def post(self, request):
        data = self.parse(s.ResetPasswordInputSerializer)
        self.call(
            services.password_reset_confirm, token=data["token"], password=data["password"], request=request._request
        )
        return self.ok({"message": "Your password has been changed. Sign in with the new password."})


class MeApi(BaseApi):
    permission_classes = [IsAuthenticated]
    mfa_exempt = True

    @extend_schema(responses={200: s.UserOutputSerializer}, tags=["auth"])
    def get(self, request):
        return self.ok(s.UserOutputSerializer(request.user).data)

    @extend_schema(request=s.MeUpdateInputSerializer, responses={200: s.UserOutputSerializer}, tags=["auth"])
    def patch(self, request):
        data = self.parse(s.MeUpdateInputSerializer, partial=True)
        user = self.call(services.user_update, user=request.user, actor=request.user, request=request._request, **data)
        return self.ok(s.UserOutputSerializer(user).data)


class ChangePasswordApi(BaseApi):
    permission_classes = [IsAuthenticated, MfaSatisfied]
    throttle_classes = [GeneralRateThrottle, AuthRateThrottle]  # limits guessing of the current password

    @extend_schema(request=s.ChangePasswordInputSerializer, responses={200: s.TokenPairOutputSerializer}, tags=["auth"])
    def post(self, request):
        data = self.parse(s.ChangePasswordInputSerializer)
        tokens = self.call(
            services.password_change,
            user=request.user,
            current_password=data["current_password"],
            new_password=data["new_password"],
            request=request._request,
        )
        return self.ok(tokens)


class MfaSetupApi(BaseApi):
    permission_classes = [IsAuthenticated]
    mfa_exempt = True

    @extend_schema(request=None, responses={200: s.MfaSetupOutputSerializer}, tags=["auth"])
    def post(self, request):
        return self.ok(services.mfa_setup(user=request.user))


class MfaVerifyApi(BaseApi):
    """Two uses: with `mfa_token` (anonymous) it completes an MFA login; signed in, it confirms enrolment."""

    permission_classes = [AllowAny]
    throttle_classes = [GeneralRateThrottle, AuthRateThrottle]
    mfa_exempt = True

    @extend_schema(request=s.MfaVerifyInputSerializer, responses={200: s.LoginOutputSerializer}, tags=["auth"])
    def post(self, request):
        data = self.parse(s.MfaVerifyInputSerializer)
        if data.get("mfa_token"):
            result = services.mfa_login_verify(request=request._request, mfa_token=data["mfa_token"], code=data["code"])
            return self.ok(_login_payload(result))
        if not request.user.is_authenticated:
            raise s.serializers.ValidationError({"mfa_token": ["Required when not signed in."]})
        tokens = self.call(services.mfa_confirm, user=request.user, code=data["code"], request=request._request)
        request.user.refresh_from_db()
        return self.ok({**tokens, "user": s.UserOutputSerializer(request.user).data})


# --- users, teams, branches ----------------------------------------------------------------------


class UserListCreateApi(BaseListApi):
    permission_classes = [IsAuthenticated, MfaSatisfied, module_permission("users")]
    serializer_class = s.UserOutputSerializer
    list_key = "users"
    search_fields = ("email", "first_name", "last_name")
    sort_fields = {"email": "email", "last_name": "last_name", "created_at": "created_at", "role": "role"}
    default_sort = ("last_name", "first_name", "pk")
    filterset_fields = ["role", "is_active", "team", "branch", "status"]

    model = User

    def visible_queryset(self, user):
        return selectors.users_visible_to(user)

    @extend_schema(tags=["users"])
    def get(self, request):
        return self.list_response(request)

    @extend_schema(request=s.UserCreateInputSerializer, responses={201: s.UserOutputSerializer}, tags=["users"])
    def post(self, request):
        data = self.parse(s.UserCreateInputSerializer)
        user = self.call(services.user_create, created_by=request.user, **data)
        return self.created(s.UserOutputSerializer(user).data)


class UserDetailApi(BaseApi):
    permission_classes = [IsAuthenticated, MfaSatisfied, module_permission("users")]

    @extend_schema(responses={200: s.UserOutputSerializer}, tags=["users"])
    def get(self, request, pk):
        return self.ok(s.UserOutputSerializer(selectors.user_get_for_user(user=request.user, pk=pk)).data)

    @extend_schema(request=s.UserUpdateInputSerializer, responses={200: s.UserOutputSerializer}, tags=["users"])
    def patch(self, request, pk):
        target = selectors.user_get_for_user(user=request.user, pk=pk)
        data = self.parse(s.UserUpdateInputSerializer, partial=True)
        user = self.call(services.user_update, user=target, actor=request.user, request=request._request, **data)
        return self.ok(s.UserOutputSerializer(user).data)

    @extend_schema(responses={200: s.UserOutputSerializer}, tags=["users"])
    def delete(self, request, pk):
        target = selectors.user_get_for_user(user=request.user, pk=pk)
        user = self.call(services.user_deactivate, user=target, actor=request.user, request=request._request)
        return self.ok(s.UserOutputSerializer(user).data)


class TeamListCreateApi(BaseListApi):
    permission_classes = [IsAuthenticated, MfaSatisfied, module_permission("teams")]
    serializer_class = s.TeamSerializer
    list_key = "teams"
    search_fields = ("name",)
    sort_fields = {"name": "name", "created_at": "created_at"}
    default_sort = ("name",)
    filterset_fields = ["branch", "manager"]

    model = Team

    def visible_queryset(self, user):
        return selectors.teams_visible_to(user)

    @extend_schema(tags=["teams"])
    def get(self, request):
        return self.list_response(request)

    @extend_schema(request=s.TeamSerializer, responses={201: s.TeamSerializer}, tags=["teams"])
    def post(self, request):
        data = self.parse(s.TeamSerializer)
        team = self.call(services.team_save, **data)
        return self.created(s.TeamSerializer(team).data)


class TeamMembersApi(BaseApi):
    """Seed 004 PUT /teams/{id}/members: admins for any team, managers for the teams they manage."""

    permission_classes = [IsAuthenticated, MfaSatisfied, module_permission("users", write_methods_need="read")]

    @extend_schema(
        request=s.TeamMembersInputSerializer,
        responses={200: s.TeamWithMembersSerializer},
        tags=["teams"],
        summary="Add a member to a team (user_id), or set its members (member_ids)",
    )
    def put(self, request, pk):
        team = selectors.team_get_for_membership(user=request.user, pk=pk)
        data = self.parse(s.TeamMembersInputSerializer)
        ids = ([data["user_id"]] if "user_id" in data else []) + list(data.get("member_ids") or [])
        people = {u.pk: u for u in User.objects.filter(pk__in=ids)}
        unknown = [pk for pk in ids if pk not in people]
        if unknown:
            raise ValidationError({"user_id" if "user_id" in data else "member_ids": [f"No such users: {unknown}."]})
        team = self.call(
            services.team_members_set,
            team=team,
            actor=request.user,
            add=[people[data["user_id"]]] if "user_id" in data else None,
            members=[people[pk] for pk in data["member_ids"]] if "member_ids" in data else None,
        )
        team.member_rows = list(User.objects.filter(team=team).order_by("last_name", "id"))
        return self.ok(s.TeamWithMembersSerializer(team).data)


class BranchListApi(BaseListApi):
    permission_classes = [IsAuthenticated, MfaSatisfied, module_permission("teams")]
    serializer_class = s.BranchSerializer
    list_key = "branches"
    search_fields = ("name", "code", "city")
    sort_fields = {"name": "name", "code": "code"}
    default_sort = ("name",)
    filterset_fields = ["is_active", "city"]

    model = Branch

    def visible_queryset(self, user):
        return selectors.branches_visible_to(user)

    @extend_schema(tags=["teams"])
    def get(self, request):
        return self.list_response(request)


class SessionConfigApi(BaseApi):
    """GET /auth/config: public facts a client needs before signing in (MFA policy, token lifetimes)."""

    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(
        responses={
            200: inline_serializer(
                "AuthConfig",
                {
                    "mfa_required_roles": serializers.ListField(child=serializers.CharField()),
                    "access_token_lifetime": serializers.IntegerField(),
                    "refresh_token_lifetime": serializers.IntegerField(),
                },
            )
        },
        tags=["auth"],
    )
    def get(self, request):
        jwt = settings.SIMPLE_JWT
        return self.ok(
            {
                "mfa_required_roles": list(settings.MFA_REQUIRED_ROLES),
                "access_token_lifetime": int(jwt["ACCESS_TOKEN_LIFETIME"].total_seconds()),
                "refresh_token_lifetime": int(jwt["REFRESH_TOKEN_LIFETIME"].total_seconds()),
            }
        )
