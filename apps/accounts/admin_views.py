"""MFA enrolment page for staff whose role requires it (reached from the admin)."""

from django.contrib import admin, messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.core import errors

from . import services
from .forms import MfaEnrolForm
from .qr import qr_svg


@login_required(login_url="admin:login")
def mfa_setup(request):
    if not request.user.is_staff:
        raise PermissionDenied
    if request.user.mfa_enabled:
        return redirect("admin:index")
    form = MfaEnrolForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with errors.on_form(form, "code") as outcome:
            services.mfa_confirm(user=request.user, code=form.cleaned_data["code"], request=request)
        if not outcome.failed:
            device = TOTPDevice.objects.filter(user=request.user, confirmed=True).first()
            otp_login(request, device)
            messages.success(request, "Two-factor authentication is on. Your other sessions have been signed out.")
            return redirect("admin:index")
    setup = request.session.get("mfa_setup")
    if setup is None or not TOTPDevice.objects.filter(user=request.user, confirmed=False).exists():
        setup = services.mfa_setup(user=request.user)
        request.session["mfa_setup"] = setup
    context = {
        **admin.site.each_context(request),
        "title": "Set up two-factor authentication",
        "form": form,
        "secret": setup["secret"],
        "qr_svg": qr_svg(setup["otpauth_uri"]),
    }
    return render(request, "accounts/mfa_setup.html", context)
