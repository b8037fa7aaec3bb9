"""django-axes lockout answer: 429 + Retry-After, in the API envelope under /api/, a page elsewhere."""

import orjson
from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import render

from apps.core.exceptions import error_body


def lockout_response(request, original_response=None, credentials=None) -> HttpResponse:
    retry_after = int(settings.AXES_COOLOFF_TIME.total_seconds())
    minutes = retry_after // 60
    message = f"Too many failed sign-in attempts. Try again in {minutes} minutes or reset your password."
    if request.path.startswith("/api/"):
        body = error_body(code="account_locked", message=message, details={"retry_after": retry_after})
        response = HttpResponse(orjson.dumps(body), status=429, content_type="application/json")
    else:
        response = render(request, "errors/locked.html", {"message": message}, status=429)
    response["Retry-After"] = str(retry_after)
    return response
