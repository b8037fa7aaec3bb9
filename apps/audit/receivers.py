"""Security events from Django's auth signals (admin/portal session logins) and django-axes lockouts.

These are third-party integration points that only exist as signals; the receivers just record.
"""

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from apps.core.signals import access_denied

from .models import SecurityEvent
from .services import security_event_record


@receiver(user_login_failed)
def _login_failed(sender, credentials, request=None, **kwargs):
    email = credentials.get("username") or credentials.get("email") or ""
    security_event_record(kind=SecurityEvent.Kind.LOGIN_FAILED, request=request, email=email)


@receiver(user_logged_in)
def _logged_in(sender, request, user, **kwargs):
    security_event_record(
        kind=SecurityEvent.Kind.LOGIN_SUCCEEDED, request=request, user=user, details={"channel": "session"}
    )


@receiver(user_logged_out)
def _logged_out(sender, request, user, **kwargs):
    if user is not None:
        security_event_record(
            kind=SecurityEvent.Kind.LOGOUT, request=request, user=user, details={"channel": "session"}
        )


@receiver(user_locked_out)
def _locked_out(sender, request, username, ip_address, **kwargs):
    security_event_record(
        kind=SecurityEvent.Kind.LOCKOUT, request=request, email=username or "", details={"ip_address": ip_address}
    )


@receiver(access_denied)
def _access_denied(sender, request, reason, **kwargs):
    user = getattr(request, "user", None)
    security_event_record(
        kind=SecurityEvent.Kind.PERMISSION_DENIED,
        request=request,
        user=user,
        details={"reason": str(reason)[:300], "method": request.method},
    )
