from apps.core.api.urls import api_path

from . import views

urlpatterns = [
    api_path("auth/login", views.LoginApi.as_view(), "auth-login"),
    api_path("auth/refresh", views.RefreshApi.as_view(), "auth-refresh"),
    api_path("auth/logout", views.LogoutApi.as_view(), "auth-logout"),
    api_path("auth/register", views.RegisterApi.as_view(), "auth-register"),
    api_path("auth/forgot-password", views.ForgotPasswordApi.as_view(), "auth-forgot-password"),
    api_path("auth/reset-password", views.ResetPasswordApi.as_view(), "auth-reset-password"),
    api_path("auth/me", views.MeApi.as_view(), "auth-me"),
    api_path("auth/change-password", views.ChangePasswordApi.as_view(), "auth-change-password"),
    api_path("auth/mfa/setup", views.MfaSetupApi.as_view(), "auth-mfa-setup"),
    api_path("auth/mfa/verify", views.MfaVerifyApi.as_view(), "auth-mfa-verify"),
    api_path("auth/config", views.SessionConfigApi.as_view(), "auth-config"),
    api_path("users", views.UserListCreateApi.as_view(), "users-list"),
    api_path("users/<int:pk>", views.UserDetailApi.as_view(), "users-detail"),
    api_path("teams", views.TeamListCreateApi.as_view(), "teams-list"),
    api_path("teams/<int:pk>/members", views.TeamMembersApi.as_view(), "teams-members"),
    api_path("branches", views.BranchListApi.as_view(), "branches-list"),
]
