"""The back office: django-unfold admin site with MFA enforcement and role-based access."""

from django.contrib.admin.views.main import SEARCH_VAR
from django.shortcuts import redirect
from django.urls import path, reverse
from unfold.sites import UnfoldAdminSite

from . import admin_jump, permissions
from .forms import AdminOtpAuthenticationForm, ServicePasswordChangeForm


def mfa_state(request) -> str:
    return permissions.mfa_state(request.user, session_verified=request.user.is_verified())


class InsureOpsAdminSite(UnfoldAdminSite):
    site_header = "InsureOps"
    site_title = "InsureOps back office"
    index_title = "Back office"
    login_form = AdminOtpAuthenticationForm
    password_change_form = ServicePasswordChangeForm  # through the service: sessions end, event logged

    def has_permission(self, request) -> bool:
        user = request.user
        return bool(user.is_active and user.is_staff and mfa_state(request) != "verify")

    def password_change(self, request, extra_context=None):
        from django.contrib.auth.views import PasswordChangeView

        class ServicePasswordChangeView(PasswordChangeView):
            def get_form_kwargs(self):
                return {**super().get_form_kwargs(), "request": self.request}

        request.current_app = self.name
        return ServicePasswordChangeView.as_view(
            form_class=self.password_change_form,
            success_url=reverse(f"{self.name}:password_change_done", current_app=self.name),
            extra_context={**self.each_context(request), **(extra_context or {})},
        )(request)

    def get_urls(self):
        return [path("jump/", self.admin_view(self.record_jump), name="record_jump"), *super().get_urls()]

    def record_jump(self, request):
        """The header's jump box (apps.accounts.admin_jump): a record number opens the record, anything else
        searches."""
        return redirect(admin_jump.search_destination(request, self, request.GET.get(SEARCH_VAR, "")))

    def admin_view(self, view, cacheable=False):
        inner = super().admin_view(view, cacheable)
        # Every list's search box takes record numbers too (apps.accounts.admin_jump).
        is_changelist = getattr(view, "__name__", "") == "changelist_view"

        def wrapped(request, *args, **kwargs):
            if request.user.is_authenticated and request.user.is_staff and mfa_state(request) == "enrol":
                return redirect(reverse("admin-mfa-setup"))
            if is_changelist and self.has_permission(request):
                target = admin_jump.changelist_jump(request, self)
                if target:
                    return redirect(target)
            return inner(request, *args, **kwargs)

        wrapped.__dict__.update(inner.__dict__)
        wrapped.admin_site = self
        return wrapped
