"""Project system checks."""

from django.apps import apps
from django.conf import settings
from django.core.checks import Error, Tags, register

from . import hooks


@register(Tags.security)
def csp_configured(app_configs, **kwargs):
    """Fail when the Content-Security-Policy is missing or allows inline script outside the admin."""
    errors = []
    policy = getattr(settings, "SECURE_CSP", None) or {}
    middleware = "django.middleware.csp.ContentSecurityPolicyMiddleware"
    if not policy or not policy.get("default-src"):
        errors.append(
            Error("SECURE_CSP is not configured (default-src missing).", id="insureops.E001", hint="See base.py.")
        )
    elif "'unsafe-inline'" in policy.get("script-src", []):
        errors.append(Error("SECURE_CSP allows inline script.", id="insureops.E002"))
    if middleware not in settings.MIDDLEWARE:
        errors.append(Error(f"{middleware} is not in MIDDLEWARE.", id="insureops.E003"))
    return errors


@register()
def hooks_wired(app_configs, **kwargs):
    """Fail when a required extension point has no provider, or an app's `provides` and its registrations differ."""
    configs = app_configs if app_configs is not None else apps.get_app_configs()
    return [Error(message, id=check_id, hint=hint) for check_id, message, hint in hooks.problems(configs)]
