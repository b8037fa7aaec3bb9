"""The back office: django-unfold admin site with MFA enforcement and role-based access."""

from django.conf import settings
from django.shortcuts import redirect
from django.urls import reverse
from unfold.sites import UnfoldAdminSite

from .forms import AdminOtpAuthenticationForm


def mfa_state(request) -> str:
    """'ok', 'verify' (enrolled, session not verified) or 'enrol' (role requires MFA, none enrolled)."""
    user = request.user
    if user.mfa_enabled:
        return "ok" if user.is_verified() else "verify"
    if user.role in settings.MFA_REQUIRED_ROLES:
        return "enrol"
    return "ok"


class InsureOpsAdminSite(UnfoldAdminSite):
    site_header = "InsureOps"
    site_title = "InsureOps back office"
    index_title = "Back office"
    login_form = AdminOtpAuthenticationForm

    def has_permission(self, request) -> bool:
        user = request.user
        return bool(user.is_active and user.is_staff and mfa_state(request) != "verify")

    def admin_view(self, view, cacheable=False):
        inner = super().admin_view(view, cacheable)

        def wrapped(request, *args, **kwargs):
            if request.user.is_authenticated and request.user.is_staff and mfa_state(request) == "enrol":
                return redirect(reverse("admin-mfa-setup"))
            return inner(request, *args, **kwargs)

        wrapped.__dict__.update(inner.__dict__)
        wrapped.admin_site = self
        return wrapped
