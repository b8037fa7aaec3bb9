"""Registering, forgetting a password, the profile with communication and notification preferences, two-step
sign-in (TOTP) enrolment, the GDPR export, payments and transactions, and the product catalogue with a quote — all
through the API's services."""

from datetime import date

from django.contrib import messages
from django.contrib.auth import login
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django_otp import login as otp_login

from apps.accounts.forms import MfaEnrolForm
from apps.accounts.qr import qr_svg
from apps.accounts.selectors import mfa_device_confirmed, mfa_enrolment_pending
from apps.accounts.services import customer_register, mfa_confirm, mfa_setup, password_reset_request
from apps.billing.checkout import checkout_start
from apps.billing.models import CheckoutSession, Payment
from apps.billing.selectors import (
    customer_transactions_visible_to,
    instalments_open_for,
    instalments_visible_to,
    payments_visible_to,
)
from apps.catalog.models import QuoteChannel
from apps.catalog.selectors import product_for_quote, products_for_sale, quote_get_for_user, quotes_of_customer
from apps.catalog.services import age_on, quote_apply, quote_create
from apps.core import errors
from apps.core.exceptions import Conflict
from apps.customers.selectors import customer_of_user
from apps.customers.services import customer_export, customer_update
from apps.notifications.models import NotificationType
from apps.notifications.services import preferences_for, preferences_update

from .customer_views import customer_required
from .forms import ForgotPasswordForm, NotificationPrefsForm, ProfileForm, QuoteApplyForm, QuoteForm, RegisterForm
from .throttling import rate_limited


@rate_limited("auth")
def register(request):
    if request.user.is_authenticated:
        return redirect("portal:home")
    form = RegisterForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        with errors.on_form(form) as outcome:
            user = customer_register(
                email=data["email"],
                password=data["password"],
                first_name=data["first_name"],
                last_name=data["last_name"],
                phone=data["phone"],
            )
        if not outcome.failed:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, "Welcome! Your account is ready.")
            return redirect("portal:home")
    return render(request, "portal/register.html", {"form": form})


@rate_limited("auth")
def forgot_password(request):
    form = ForgotPasswordForm(request.POST if request.method == "POST" else None)
    sent = False
    if request.method == "POST" and form.is_valid():
        password_reset_request(email=form.cleaned_data["email"], request=request)
        sent = True  # the same answer whether or not the address has an account
    return render(request, "portal/forgot_password.html", {"form": form, "sent": sent})


@customer_required
def profile(request):
    customer = customer_of_user(request.user)
    prefs = customer.communication_preferences or {}
    quiet = prefs.get("quiet_hours") or {}
    address = customer.address or {}
    initial = {
        "email": customer.email,
        "phone": customer.phone,
        "line1": address.get("line1", ""),
        "city": address.get("city", ""),
        "postcode": address.get("postcode", ""),
        "country": address.get("country", "PT"),
        "channels": [c for c, on in (prefs.get("channels") or {}).items() if on],
        "quiet_start": quiet.get("start"),
        "quiet_end": quiet.get("end"),
        "timezone": quiet.get("timezone", "Europe/Lisbon"),
    }
    form = ProfileForm(request.POST if request.method == "POST" else None, initial=initial, prefix="profile")
    notification_prefs = preferences_for(request.user)
    email_types = [
        t for t in NotificationType.values if (notification_prefs.email or {}).get(t, t in ("update", "reminder"))
    ]
    nform = NotificationPrefsForm(
        request.POST if request.method == "POST" else None, initial={"email_types": email_types}, prefix="notify"
    )
    if request.method == "POST" and form.is_valid() and nform.is_valid():
        data = form.cleaned_data
        quiet_hours = (
            {
                "start": data["quiet_start"].strftime("%H:%M"),
                "end": data["quiet_end"].strftime("%H:%M"),
                "timezone": data["timezone"],
            }
            if data["quiet_start"] and data["quiet_end"]
            else None
        )
        channels = {c: c in data["channels"] for c in ("email", "sms", "whatsapp", "phone", "post")}
        with errors.on_form(form) as outcome:
            customer_update(
                customer=customer,
                actor=request.user,
                email=data["email"],
                phone=data["phone"],
                address={
                    **address,
                    "line1": data["line1"],
                    "city": data["city"],
                    "postcode": data["postcode"],
                    "country": data["country"],
                },
                communication_preferences={**prefs, "channels": channels, "quiet_hours": quiet_hours},
            )
        if not outcome.failed:
            chosen = set(nform.cleaned_data["email_types"])
            preferences_update(user=request.user, email={t: t in chosen for t in NotificationType.values})
            messages.success(request, "Your details and preferences are saved.")
            return redirect("portal:profile")
    return render(
        request,
        "portal/profile.html",
        {"form": form, "nform": nform, "customer": customer, "push_types": NotificationType.choices},
    )


MFA_SETUP_SESSION_KEY = "portal_mfa_setup"


def _mfa_enrolment(request) -> dict:
    """This session's enrolment under way, or a new one: reloading the page (or a wrong code) must not replace the
    secret the customer has already scanned."""
    setup = request.session.get(MFA_SETUP_SESSION_KEY)
    if setup is None or not mfa_enrolment_pending(user=request.user, secret=setup["secret"]):
        started = mfa_setup(user=request.user)
        setup = {"secret": started["secret"], "otpauth_uri": started["otpauth_uri"]}
        request.session[MFA_SETUP_SESSION_KEY] = setup
    return setup


@never_cache  # the page shows a TOTP secret: no copy in any cache
@customer_required
@rate_limited("auth")
def mfa(request):
    """Two-step sign-in: scan a QR code into an authenticator app and confirm with a code from it, or see that it
    is on (then no new secret is issued; turning it off goes through an administrator, who checks it is you)."""
    if request.user.mfa_enabled:
        request.session.pop(MFA_SETUP_SESSION_KEY, None)
        agent = customer_of_user(request.user).agent
        return render(request, "portal/mfa.html", {"enabled": True, "agent": agent})
    form = MfaEnrolForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        with errors.on_form(form, "code") as outcome:
            try:
                mfa_confirm(user=request.user, code=form.cleaned_data["code"], request=request)
            except Conflict as exc:
                if exc.code == "mfa_already_enabled":  # enrolled meanwhile (another tab)
                    return redirect("portal:mfa")
                # No setup under way any more (ended elsewhere): the page below starts a new one to scan.
                raise Conflict("This setup has ended. Scan the new QR code below and enter the code it shows.") from exc
        if not outcome.failed:
            # The tokens mfa_confirm returns are for API clients; this browser session is marked verified instead.
            request.session.pop(MFA_SETUP_SESSION_KEY, None)
            otp_login(request, mfa_device_confirmed(request.user))
            messages.success(
                request,
                "Two-step sign-in is on. From now on we ask for a code from your app when you sign in. "
                "Everywhere else you were signed in has been signed out.",
            )
            return redirect("portal:profile")
    setup = _mfa_enrolment(request)
    return render(
        request,
        "portal/mfa.html",
        {"enabled": False, "form": form, "secret": setup["secret"], "qr_svg": qr_svg(setup["otpauth_uri"])},
    )


@customer_required
@require_POST
def profile_export(request):
    customer = customer_of_user(request.user)
    archive = customer_export(customer=customer, actor=request.user, request=request)
    response = HttpResponse(archive, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="my-data-{customer.customer_code}.zip"'
    response["Cache-Control"] = "private, no-store"
    return response


@customer_required
def payments(request):
    """Overdue instalments (never under "Coming up"), what falls due next, receipts and the ledger history; each
    open instalment has "Pay now". `?paid=<checkout>` is where the provider's page sends the customer back."""
    transactions = customer_transactions_visible_to(request.user).order_by("-occurred_at", "-id")[:100]
    # by date, not only by status: an instalment whose day passed since the last overdue run is overdue too
    today = timezone.localdate()
    open_instalments = list(instalments_open_for(request.user)[:48])
    paid = None
    if request.GET.get("paid"):
        paid = (
            CheckoutSession.objects.filter(reference=request.GET["paid"][:64], policy__customer__user=request.user)
            .select_related("payment", "policy")
            .first()
        )
    context = {
        "transactions": transactions,
        "overdue": [i for i in open_instalments if i.due_date < today],
        "due": [i for i in open_instalments if i.due_date >= today][:24],
        "receipts": payments_visible_to(request.user).filter(status=Payment.Status.SUCCEEDED)[:50],
        "checkout": paid,
    }
    return render(request, "portal/payments.html", context)


@customer_required
@require_POST
def pay_now(request, pk):
    """Start the provider's hosted checkout for one of the customer's own open instalments (another's is a 404).
    The amount is computed by billing, never read from the form; a second click reuses the open session."""
    instalment = get_object_or_404(instalments_visible_to(request.user), pk=pk)
    with errors.as_message(request) as outcome:
        _session, url = checkout_start(actor=request.user, instalment=instalment, return_url=reverse("portal:payments"))
    return redirect("portal:payments" if outcome.failed else url)


def products(request):
    term = (request.GET.get("q") or "").strip()[:100]
    qs = products_for_sale().order_by("-popularity", "name")
    if term:
        qs = qs.filter(Q(name__icontains=term) | Q(description__icontains=term) | Q(line__name__icontains=term))
    return render(request, "portal/products.html", {"products": qs, "q": term})


@rate_limited("quotes")  # each priced quote is kept: the API's quote limit, per person or IP
def product_quote(request, code):
    """Price a product; the quote is kept (a signed-in customer's is theirs) and can be applied for from its page."""
    product = product_for_quote(code)
    age = None
    if request.user.is_authenticated and request.user.role == "customer":
        me = customer_of_user(request.user)
        age = age_on(me.date_of_birth, date.today()) if me.date_of_birth else None
    form = QuoteForm(request.POST if request.method == "POST" else None, product=product, initial={"age": age})
    stored = None
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if v not in (None, "", [])}
        with errors.on_form(form):
            stored = quote_create(product=product, actor=request.user, channel=QuoteChannel.PORTAL, **data)
    context = {"product": product, "form": form, "quote": stored, "apply_form": _apply_form(request, None)}
    return render(request, "portal/quote.html", context)


def _apply_form(request, data) -> QuoteApplyForm:
    signed_in = request.user.is_authenticated and request.user.role == "customer"
    return QuoteApplyForm(data, signed_in=signed_in)


@never_cache
@rate_limited("quotes")
def quote_detail(request, reference):
    """A stored quote and where its application is; "I'd like this cover" while it can still be applied for. The
    link (its random reference) is the visitor's way back; a customer's quote is theirs alone (404 for others)."""
    quote = quote_get_for_user(request.user, reference)
    form = _apply_form(request, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        with errors.on_form(form) as outcome:
            quote = quote_apply(quote=quote, actor=request.user, channel=QuoteChannel.PORTAL, **form.cleaned_data)
        if not outcome.failed:
            messages.success(request, "Thank you: an agent will contact you about this cover.")
            return redirect("portal:quote-detail", reference=quote.reference)
    context = {
        "quote": quote,
        "product": quote.product,
        "apply_form": form,
        "expired": quote.expires_at <= timezone.now(),
    }
    return render(request, "portal/quote_detail.html", context)


@customer_required
def quote_list(request):
    """My quotes and what became of my requests for cover."""
    return render(request, "portal/quotes.html", {"quotes": quotes_of_customer(request.user)[:100]})


@customer_required
def account_link(request):
    """The mailed link that attaches an existing customer record to this account (email ownership proven)."""
    from apps.customers.services import customer_link_confirm

    try:
        customer = customer_link_confirm(user=request.user, token=request.GET.get("token", ""))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"Your customer record {customer.customer_code} is now linked to your account.")
    return redirect("portal:home")


@customer_required
@never_cache
def consent_preferences(request):
    """The signed-in customer's message preferences: channel × purpose, written to the consent ledger."""
    from apps.campaigns.services.preferences import consent_matrix, consent_matrix_save, wanted_from_post

    customer = customer_of_user(request.user)
    rows = consent_matrix(customer)
    saved = None
    if request.method == "POST":
        saved = consent_matrix_save(
            customer=customer, wanted=wanted_from_post(request.POST, rows), how="portal", actor=request.user
        )
        rows = consent_matrix(customer)
    return render(request, "campaigns/preferences.html", {"rows": rows, "saved": saved})
