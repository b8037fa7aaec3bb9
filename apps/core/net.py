"""The client's IP address, by the same rule everywhere (lockout, throttles, audit)."""

from django.conf import settings


def client_ip(request) -> str | None:
    """REMOTE_ADDR, or with NUM_PROXIES trusted proxies the address they saw (X-Forwarded-For, from the right)."""
    if request is None:
        return None
    return client_ip_of(request.META)


def client_ip_of(meta) -> str | None:
    """`client_ip` from a WSGI environ (or any mapping with REMOTE_ADDR and HTTP_X_FORWARDED_FOR)."""
    if settings.NUM_PROXIES:
        forwarded = [part.strip() for part in meta.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if forwarded:
            return forwarded[-min(settings.NUM_PROXIES, len(forwarded))]
    return meta.get("REMOTE_ADDR") or None
