"""Public campaign URLs (no login): the open pixel, click redirects and unsubscribe, each authorised by its
signed token; and the ESPs' tracking webhooks at /anymail/<esp>/tracking/ — django-anymail's own views, which
check the basic-auth secret and normalise each ESP's events. Anymail accepts unauthenticated calls (with a
warning) when no secret is set; here they fail closed instead (403 until ANYMAIL["WEBHOOK_SECRET"] is set)."""

from functools import wraps

from anymail import urls as anymail_urls
from django.conf import settings
from django.http import HttpResponse
from django.urls import URLPattern, include, path

from . import views


def _fail_closed(view):
    @wraps(view)
    def checked(request, *args, **kwargs):
        if not (getattr(settings, "ANYMAIL", None) or {}).get("WEBHOOK_SECRET"):
            return HttpResponse("The ESP webhook secret is not configured.", status=403, content_type="text/plain")
        return view(request, *args, **kwargs)

    return checked


_webhooks = [URLPattern(p.pattern, _fail_closed(p.callback), p.default_args, p.name) for p in anymail_urls.urlpatterns]

urlpatterns = [
    path("c/o/<str:token>.gif", views.open_pixel, name="campaigns-open"),
    path("c/k/<str:token>", views.click, name="campaigns-click"),
    path("c/u/<str:token>", views.unsubscribe, name="campaigns-unsubscribe"),
    path("c/p/<str:token>", views.preferences, name="campaigns-preferences"),
    path("anymail/", include((_webhooks, "anymail"))),
]
