"""Every API error, whatever raised it, answers in the envelope with a stable code and no stack trace."""

import logging

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import set_rollback

from apps.core.exceptions import Conflict, DomainError, PayloadTooLarge, error_body
from apps.core.signals import access_denied

__all__ = ["ApiError", "Conflict", "PayloadTooLarge", "envelope_exception_handler", "error_body"]

logger = logging.getLogger("insureops.api")


class ApiError(exceptions.APIException):
    """An error raised by an API view with an explicit status and code (services raise `apps.core.exceptions`)."""

    status_code: int = status.HTTP_400_BAD_REQUEST
    default_code = "bad_request"
    default_detail = "The request could not be processed."

    def __init__(
        self,
        message: str | None = None,
        *,
        code: str | None = None,
        status_code: int | None = None,
        details: dict | None = None,
    ):
        super().__init__(detail=message or self.default_detail, code=code or self.default_code)
        if status_code is not None:
            self.status_code = status_code
        self.details = details or {}


_CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "throttled",
    500: "server_error",
    503: "service_unavailable",
}


def _first_message(detail) -> str:
    if isinstance(detail, list) and detail:
        return _first_message(detail[0])
    if isinstance(detail, dict) and detail:
        key, value = next(iter(detail.items()))
        inner = _first_message(value)
        return inner if key in ("non_field_errors", "detail") else f"{key}: {inner}"
    return str(detail)


def envelope_exception_handler(exc, context):
    """DRF EXCEPTION_HANDLER: map any exception to the envelope with the right status."""
    if isinstance(exc, DomainError):
        return _domain_error_response(exc, context)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(detail=str(exc) or None)
    elif isinstance(exc, RequestDataTooBig):
        return _domain_error_response(PayloadTooLarge(), context)
    elif isinstance(exc, TooManyFieldsSent):
        return _domain_error_response(PayloadTooLarge("The request has too many fields."), context)
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(detail=exc.message_dict if hasattr(exc, "error_dict") else exc.messages)

    if not isinstance(exc, exceptions.APIException):
        request = context.get("request")
        logger.exception("Unhandled API error on %s", getattr(request, "path", "?"))
        set_rollback()
        return Response(
            error_body(code="server_error", message="An unexpected error occurred. It has been logged."),
            status=status.HTTP_500_INTERNAL_SERVER_ERROR,
        )

    if isinstance(exc, exceptions.PermissionDenied) and context.get("request") is not None:
        access_denied.send(sender=envelope_exception_handler, request=context["request"], reason=exc.detail)

    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None) is not None:
        headers["Retry-After"] = str(max(1, int(exc.wait + 0.999)))

    if isinstance(exc, exceptions.ValidationError):
        details = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        body = error_body(code="validation_error", message=_first_message(exc.detail), details=details)
    elif isinstance(exc, ApiError):
        body = error_body(
            code=exc.get_codes() if isinstance(exc.get_codes(), str) else exc.default_code,
            message=str(exc.detail),
            details=exc.details,
        )
    else:
        code = exc.get_codes() if isinstance(exc.get_codes(), str) else _CODES.get(exc.status_code, "error")
        if isinstance(exc, exceptions.ParseError):
            code = "malformed_request"
        message = _first_message(exc.detail)
        if isinstance(exc.detail, dict) and "code" in exc.detail:  # simplejwt's InvalidToken
            code, message = str(exc.detail["code"]), str(exc.detail.get("detail", message))
        body = error_body(code=code, message=message)
    if isinstance(exc, exceptions.Throttled):
        body["error"]["details"] = {"retry_after": int(headers.get("Retry-After", 1))}

    set_rollback()
    return Response(body, status=exc.status_code, headers=headers)


def _domain_error_response(exc: DomainError, context) -> Response:
    """A service's refusal: its own code, message, details and status, like any other API error."""
    if exc.status == status.HTTP_403_FORBIDDEN and context.get("request") is not None:
        access_denied.send(sender=envelope_exception_handler, request=context["request"], reason=exc.message)
    set_rollback()
    return Response(error_body(code=exc.code, message=exc.message, details=exc.details), status=exc.status)
