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


class RegisterForm(forms.Form):
    first_name = forms.CharField(max_length=150, widget=forms.TextInput(attrs={"autocomplete": "given-name"}))
    last_name = forms.CharField(max_length=150, widget=forms.TextInput(attrs={"autocomplete": "family-name"}))
    email = forms.EmailField(widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    phone = forms.CharField(max_length=20, required=False, widget=forms.TextInput(attrs={"autocomplete": "tel"}))
    password = forms.CharField(strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    password_again = forms.CharField(
        strip=False, label="Password, again", widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def clean(self):
        data = super().clean()
        if data.get("password") and data.get("password") != data.get("password_again"):
            self.add_error("password_again", "The two passwords differ.")
        return data


class ForgotPasswordForm(forms.Form):
    email = forms.EmailField(widget=forms.EmailInput(attrs={"autocomplete": "email"}))


CHANNEL_CHOICES = [("email", "Email"), ("sms", "SMS"), ("whatsapp", "WhatsApp"), ("phone", "Phone"), ("post", "Post")]


class ProfileForm(forms.Form):
    email = forms.EmailField(required=False)
    phone = forms.CharField(max_length=20, required=False, help_text="International format, e.g. +351 912 345 678.")
    line1 = forms.CharField(label="Address", max_length=200, required=False)
    city = forms.CharField(max_length=100, required=False)
    postcode = forms.CharField(max_length=20, required=False)
    country = forms.CharField(max_length=2, required=False, help_text="Two letters, e.g. PT.")
    channels = forms.MultipleChoiceField(
        label="You may contact me by", choices=CHANNEL_CHOICES, required=False, widget=forms.CheckboxSelectMultiple
    )
    quiet_start = forms.TimeField(
        label="Quiet hours from", required=False, widget=forms.TimeInput(attrs={"type": "time"})
    )
    quiet_end = forms.TimeField(label="until", required=False, widget=forms.TimeInput(attrs={"type": "time"}))
    timezone = forms.CharField(max_length=64, required=False, initial="Europe/Lisbon")

    def clean_phone(self):
        return "".join(ch for ch in self.cleaned_data["phone"] if ch.isdigit() or ch == "+")

    def clean_timezone(self):
        import zoneinfo

        value = self.cleaned_data["timezone"] or "Europe/Lisbon"
        if value not in zoneinfo.available_timezones():
            raise forms.ValidationError("Unknown time zone.")
        return value

    def clean(self):
        data = super().clean()
        if bool(data.get("quiet_start")) != bool(data.get("quiet_end")):
            self.add_error("quiet_end", "Give both ends of your quiet hours, or neither.")
        return data


class NotificationPrefsForm(forms.Form):
    email_types = forms.MultipleChoiceField(
        label="Email me about",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        choices=[
            ("update", "Claim and policy updates"),
            ("reminder", "Reminders (renewals, payments)"),
            ("assignment", "Assignments"),
            ("system", "Announcements"),
        ],
    )


class QuoteForm(forms.Form):
    age = forms.IntegerField(min_value=0, max_value=120, required=False)
    region = forms.CharField(max_length=10, required=False, help_text="e.g. LIS, OPO")
    sum_insured = forms.DecimalField(min_value=0, max_digits=14, decimal_places=2, required=False)
    vehicle_value = forms.DecimalField(min_value=0, max_digits=12, decimal_places=2, required=False)
    vehicle_year = forms.IntegerField(min_value=1950, max_value=2100, required=False)
    claims_count = forms.IntegerField(label="Claims in the last 3 years", min_value=0, max_value=50, required=False)
    coverages = forms.MultipleChoiceField(label="Optional covers", required=False, widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, product, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["coverages"].choices = [
            (c.code, f"{c.name} (+{c.annual_premium} {product.currency}/year)")
            for c in product.coverages.all()
            if not c.is_mandatory
        ]
        line = product.line.code
        if line != "auto":
            for name in ("vehicle_value", "vehicle_year"):
                del self.fields[name]
        if line != "home":
            del self.fields["sum_insured"]


class QuoteApplyForm(forms.Form):
    """ "I'd like this cover": a signed-in customer sends it as is; a visitor says who they are and how to reach them
    (the catalogue's `quote_apply` checks, so the API and the portal refuse the same things)."""

    first_name = forms.CharField(max_length=100, required=False)
    last_name = forms.CharField(max_length=100, required=False)
    email = forms.EmailField(max_length=255, required=False)
    phone = forms.CharField(max_length=20, required=False, help_text="International format, e.g. +351912345678")
    message = forms.CharField(
        label="Anything the agent should know?",
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, signed_in: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if signed_in:
            for name in ("first_name", "last_name", "email", "phone"):
                del self.fields[name]
