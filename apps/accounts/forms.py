"""Sign-in forms that ask enrolled users for an authenticator code; MFA enrolment."""

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import ValidationError
from django_otp.plugins.otp_totp.models import TOTPDevice
from unfold.forms import AdminOwnPasswordChangeForm


class OtpAuthenticationFormMixin(forms.Form):
    """Password sign-in that also demands a TOTP code from users who enrolled MFA (admin and portal)."""

    otp_token = forms.CharField(
        label="Authentication code",
        required=False,
        max_length=8,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
        help_text="Only if you enrolled an authenticator app.",
    )

    def clean(self):
        cleaned = super().clean()  # password check (django-axes counts failures)
        user = self.get_user()
        if user is None or not user.mfa_enabled:
            return cleaned
        code = (cleaned.get("otp_token") or "").strip()
        if not code:
            raise ValidationError("Enter the code from your authenticator app.", code="token_required")
        for device in TOTPDevice.objects.filter(user=user, confirmed=True):
            if device.verify_token(code):
                user.otp_device = device  # django-otp stores it in the session at login
                return cleaned
        raise ValidationError("The authentication code is not valid.", code="invalid_token")


class AdminOtpAuthenticationForm(OtpAuthenticationFormMixin, AdminAuthenticationForm):
    pass


class MfaEnrolForm(forms.Form):
    code = forms.RegexField(
        regex=r"^\s*\d{6}\s*$",
        label="Code from your authenticator app",
        max_length=8,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
        error_messages={"invalid": "Enter the 6-digit code."},
    )


class ServicePasswordChangeForm(AdminOwnPasswordChangeForm):
    """The admin's "change password" page, done by `password_change` (ends other sessions, logs the event)."""

    def __init__(self, user, *args, request=None, **kwargs):
        super().__init__(user, *args, **kwargs)
        self.request = request

    def save(self, commit=True):
        from . import services

        services.password_change(
            user=self.user,
            current_password=self.cleaned_data["old_password"],
            new_password=self.cleaned_data["new_password1"],
            request=self.request,
        )
        self.user.refresh_from_db()
        return self.user
