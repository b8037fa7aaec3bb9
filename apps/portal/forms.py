from django import forms
from django.contrib.auth.forms import AuthenticationForm

from apps.accounts.forms import OtpAuthenticationFormMixin


class PortalLoginForm(OtpAuthenticationFormMixin, AuthenticationForm):
    username = forms.EmailField(
        label="Email", widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True})
    )


class ResetPasswordForm(forms.Form):
    token = forms.CharField(widget=forms.HiddenInput, max_length=300)
    password = forms.CharField(
        label="New password",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        max_length=256,
        strip=False,
    )
    password_again = forms.CharField(
        label="New password, again",
        max_length=256,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("password") and cleaned.get("password") != cleaned.get("password_again"):
            self.add_error("password_again", "The two passwords differ.")
        return cleaned
