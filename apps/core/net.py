"""The client's IP address, by the same rule everywhere (lockout, throttles, audit)."""

from django.conf import settings


def client_ip(request) -> str | None:
    """REMOTE_ADDR, or with NUM_PROXIES trusted proxies the address they saw (X-Forwarded-For, from the right)."""
    if request is None:
        return None
    meta = request.META
    if settings.NUM_PROXIES:
        forwarded = [part.strip() for part in meta.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if forwarded:
            return forwarded[-min(settings.NUM_PROXIES, len(forwarded))]
    return meta.get("REMOTE_ADDR") or None
