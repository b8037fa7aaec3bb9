"""Server-rendered entry pages: home (the customer dashboard when a customer is signed in), sign in/out,
password reset. The customer's own pages are in customer_views.py."""

from django.contrib.auth import views as auth_views
from django.shortcuts import render

from apps.accounts.roles import Role

from .forms import PortalLoginForm


def home(request):
    if request.user.is_authenticated and request.user.role == Role.CUSTOMER:
        from .customer_views import customer_home

        return customer_home(request)
    return render(request, "portal/home.html")


class PortalLoginView(auth_views.LoginView):
    template_name = "portal/login.html"
    authentication_form = PortalLoginForm
    redirect_authenticated_user = True


class PortalLogoutView(auth_views.LogoutView):
    next_page = "portal:home"


def reset_password(request):
    """Target of the emailed reset link: choose a new password (the service validates the token)."""
    from django.core.exceptions import ValidationError
    from django.shortcuts import redirect
    from django.urls import reverse

    from apps.accounts.services import password_reset_confirm

    from .forms import ResetPasswordForm

    form = ResetPasswordForm(
        request.POST if request.method == "POST" else None, initial={"token": request.GET.get("token", "")}
    )
    if request.method == "POST" and form.is_valid():
        try:
            password_reset_confirm(
                token=form.cleaned_data["token"], password=form.cleaned_data["password"], request=request
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error("password" if field == "password" else None, errors)
        else:
            return redirect(f"{request.build_absolute_uri(reverse('portal:login'))}?reset=1")
    return render(request, "portal/reset_password.html", {"form": form})
