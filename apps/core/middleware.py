"""Cross-cutting HTTP middleware: request ids, seed 003 security headers, admin CSP."""

import logging
import re
import uuid
from contextvars import ContextVar

from django.conf import settings

request_id_var: ContextVar[str] = ContextVar("request_id", default="-")
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def current_request_id() -> str:
    return request_id_var.get()


class RequestIdMiddleware:
    """Gives every request an id (honouring a sane incoming X-Request-ID) for logs and the audit trail."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _VALID_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        token = request_id_var.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(token)
        response["X-Request-ID"] = request_id
        return response


class RequestIdLogFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        return True


class SecurityHeadersMiddleware:
    """Headers from seed 003 that Django's SecurityMiddleware does not set itself."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.setdefault("X-XSS-Protection", "1; mode=block")
        if request.path.startswith("/api/"):
            # API answers carry personal data: never cache them in shared caches.
            response.setdefault("Cache-Control", "no-store")
        return response


class AdminCSPMiddleware:
    """Per-area CSP overrides from settings.CSP_PATH_OVERRIDES (the admin theme needs Alpine.js;
    Swagger UI sets inline styles). Everything else keeps the strict SECURE_CSP."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not hasattr(response, "_csp_config"):
            for prefix, policy in settings.CSP_PATH_OVERRIDES.items():
                if request.path.startswith(prefix):
                    response._csp_config = policy
                    break
        return response
