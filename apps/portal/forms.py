from decimal import Decimal

from django import forms
from django.contrib.auth.forms import AuthenticationForm

from apps.accounts.forms import OtpAuthenticationFormMixin
from apps.catalog.models import Peril


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


class ClaimForm(forms.Form):
    """What happened, when and where (step 1 of filing)."""

    policy = forms.ModelChoiceField(queryset=None, empty_label="Choose the policy", label="Policy")
    claim_type = forms.ChoiceField(label="What happened")
    incident_date = forms.DateField(label="Date", widget=forms.DateInput(attrs={"type": "date"}))
    incident_time = forms.TimeField(
        label="Time (if known)", required=False, widget=forms.TimeInput(attrs={"type": "time"})
    )
    incident_place = forms.CharField(
        label="Where", max_length=255, widget=forms.TextInput(attrs={"autocomplete": "street-address"})
    )
    description = forms.CharField(
        label="Tell us what happened", max_length=5000, widget=forms.Textarea(attrs={"rows": 5})
    )
    claimed_amount = forms.DecimalField(
        label="Estimated cost (EUR)",
        min_value=Decimal("0.01"),
        max_digits=12,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
    )

    def __init__(self, *args, policies, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["policy"].queryset = policies
        self.fields["policy"].label_from_instance = lambda p: f"{p.product.name} — {p.policy_number}"
        self.fields["claim_type"].choices = [("", "Choose"), *Peril.choices]


class ClaimDocumentForm(forms.Form):
    file = forms.FileField(label="Photo or document", help_text="JPEG, PNG, HEIC or PDF, up to 20 MB.")
    doc_type = forms.ChoiceField(
        label="What is it",
        choices=[
            ("photo", "Photo of the damage"),
            ("invoice", "Invoice or receipt"),
            ("estimate", "Repair estimate"),
            ("claim_form", "Police report or claim form"),
            ("other", "Something else"),
        ],
    )
