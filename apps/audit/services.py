"""Writing the security log. Data-change auditing needs no calls: pghistory triggers do it."""

import logging

from apps.core.middleware import current_request_id
from apps.core.net import client_ip

from .models import SecurityEvent

logger = logging.getLogger("insureops.security")


def security_event_record(
    *, kind: str, request=None, user=None, email: str = "", details: dict | None = None
) -> SecurityEvent:
    """Append one security event; takes IP, user agent, path and request id from the request when given."""
    if user is not None and not getattr(user, "is_authenticated", False):
        user = None
    event = SecurityEvent.objects.create(
        kind=kind,
        user=user,
        email=(email or getattr(user, "email", "") or "")[:255],
        ip_address=client_ip(request),
        user_agent=(request.META.get("HTTP_USER_AGENT", "")[:300] if request is not None else ""),
        path=(request.path[:300] if request is not None else ""),
        request_id=current_request_id() if current_request_id() != "-" else "",
        details=details or {},
    )
    logger.info("security_event kind=%s user=%s email=%s", kind, getattr(user, "pk", None), event.email)
    return event
