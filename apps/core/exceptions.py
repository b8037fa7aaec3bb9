"""Domain errors: what a service raises when it refuses a request, free of any web framework.

Services raise these (or Django's `ValidationError` / `PermissionDenied`); every surface translates them
once: the API's envelope handler (`apps.core.api.exceptions`), the admin, forms, portal pages and
management commands (`apps.core.errors`). Each error carries a stable `code`, a sentence for a person
(`message`), optional `details` (field → messages, or facts such as the conflicting id) and an HTTP
`status` hint that the API answers with.
"""


class DomainError(Exception):
    """A refused use case. Subclasses fix the status and default code; both can be overridden per raise."""

    status: int = 400
    default_code: str = "bad_request"
    default_message: str = "The request could not be processed."

    def __init__(
        self,
        message: str | None = None,
        *,
        code: str | None = None,
        status: int | None = None,
        details: dict | None = None,
    ):
        self.message = message or self.default_message
        self.code = code or self.default_code
        if status is not None:
            self.status = status
        self.details = details or {}
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, code={self.code!r}, status={self.status})"


class Invalid(DomainError):
    """The input is wrong in a way a form field cannot say (an empty file, a malformed event)."""


class NotAuthenticated(DomainError):
    status = 401
    default_code = "not_authenticated"
    default_message = "Authentication credentials were not provided or are not valid."


class NotAllowed(DomainError):
    status = 403
    default_code = "permission_denied"
    default_message = "You do not have permission to perform this action."


class NotFound(DomainError):
    status = 404
    default_code = "not_found"
    default_message = "Not found."


class Conflict(DomainError):
    status = 409
    default_code = "conflict"
    default_message = "The request conflicts with the current state of the resource."


class PayloadTooLarge(DomainError):
    status = 413
    default_code = "payload_too_large"
    default_message = "The request body is too large."


class Unprocessable(DomainError):
    status = 422
    default_code = "unprocessable"
    default_message = "The request was understood but refused."


def error_body(*, code: str, message: str, details: dict | list | None = None) -> dict:
    """The error envelope every JSON answer uses (API, health, lockout, error pages)."""
    return {"success": False, "error": {"code": code, "message": message, "details": details or {}}}
