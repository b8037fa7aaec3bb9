"""Health check and the project-wide error handlers (JSON envelope under /api/, HTML elsewhere)."""

import logging

import orjson
from django.conf import settings
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET

from .exceptions import error_body

logger = logging.getLogger("insureops.health")


def _is_api(request) -> bool:
    return request.path.startswith("/api/") or "application/json" in request.headers.get("Accept", "")


def _json(body: dict, status: int) -> HttpResponse:
    return HttpResponse(orjson.dumps(body), status=status, content_type="application/json")


def _check_database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        return "connected"
    except Exception:
        logger.warning("Health check: database unavailable", exc_info=True)
        return "unavailable"


def _check_redis() -> str:
    if not settings.REDIS_URL:
        return "not_configured"
    try:
        import redis

        client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1)
        client.ping()
        return "connected"
    except Exception:
        logger.warning("Health check: redis unavailable", exc_info=True)
        return "unavailable"


@never_cache
@require_GET
def health(request):
    """Seed 003 health check: 200 when the database answers, 503 otherwise (Redis degraded is reported)."""
    services = {"database": _check_database(), "redis": _check_redis()}
    healthy = services["database"] == "connected" and services["redis"] != "unavailable"
    body = {
        "status": "OK" if healthy else "DEGRADED",
        "timestamp": timezone.now().isoformat(),
        "services": services,
        "version": settings.APP_VERSION,
    }
    status = 200 if services["database"] == "connected" else 503
    if status == 503:
        body["status"] = "UNAVAILABLE"
    return JsonResponse(body, status=status)


def bad_request(request, exception=None):
    if _is_api(request):
        return _json(error_body(code="bad_request", message="The request could not be understood."), 400)
    return render(request, "errors/400.html", status=400)


def permission_denied(request, exception=None):
    if _is_api(request):
        return _json(error_body(code="permission_denied", message="You do not have permission."), 403)
    return render(request, "errors/403.html", status=403)


def page_not_found(request, exception=None):
    if _is_api(request):
        return _json(error_body(code="not_found", message=f"No endpoint at {request.path}."), 404)
    return render(request, "errors/404.html", status=404)


def server_error(request):
    if _is_api(request):
        return _json(error_body(code="server_error", message="An unexpected error occurred. It has been logged."), 500)
    return render(request, "errors/500.html", status=500)


def csrf_failure(request, reason=""):
    if _is_api(request):
        return _json(error_body(code="csrf_failed", message="CSRF verification failed. Use a bearer token."), 403)
    return render(
        request, "errors/403.html", {"reason": "Your form expired. Go back, reload and try again."}, status=403
    )


@csrf_exempt
def api_not_found(request, *args, **kwargs):
    """Catch-all for unknown /api/ paths (also with DEBUG on, where Django would show its HTML page).

    CSRF-exempt: it changes nothing, and a POST to an unknown path is a 404 whatever its credentials (the CSRF
    middleware would otherwise answer 403 `csrf_failed` to a bearer-token client, which sends no cookie)."""
    return _json(error_body(code="not_found", message=f"No endpoint at {request.path}."), 404)


def favicon(request):
    """Browsers ask for /favicon.ico; the icon is an SVG in static/ (resolved per request: manifest storage)."""
    from django.shortcuts import redirect
    from django.templatetags.static import static

    return redirect(static("img/favicon.svg"), permanent=True)
