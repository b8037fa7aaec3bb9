"""A refused service call, told to a person: one helper per surface that is not the API.

Services refuse with `apps.core.exceptions.DomainError` or Django's `ValidationError` / `PermissionDenied`
(`SERVICE_ERRORS`). The API's envelope handler maps them to JSON; everywhere else one of these context
managers does, so no caller repeats an `except (...)` block, and nothing else (a bug) is swallowed:

    with errors.as_message(request, about=claim):      # admin actions, portal pages: a Django message
        services.claim_assign(claim=claim, actor=request.user, handler=request.user)
        done += 1                                       # runs only when the service accepted

    with errors.on_form(form, "file") as outcome:       # a view with a bound form: form.add_error
        document_upload(...)
    if not outcome.failed: ...

    with errors.as_form_error():                        # inside Form.clean(): a forms.ValidationError
    with errors.as_command_error():                     # management commands: CommandError (exit code 1)
"""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import CommandError

from .exceptions import DomainError

SERVICE_ERRORS = (DomainError, ValidationError, PermissionDenied)


@dataclass
class Outcome:
    """What happened inside the `with` block: the refusal, if there was one."""

    error: Exception | None = None

    @property
    def failed(self) -> bool:
        return self.error is not None


def service_error_message(exc: Exception) -> str:
    """A refused service call (a domain error, ValidationError, PermissionDenied) as one line for a person."""
    if isinstance(exc, ValidationError):
        return "; ".join(exc.messages)
    if isinstance(exc, PermissionDenied):
        return str(exc) or "You do not have permission to perform this action."
    return str(exc)


@contextmanager
def as_message(request, *, about: object = None) -> Iterator[Outcome]:
    """Admin actions and portal pages: a refusal becomes an error message (`"<about>: <why>"`), the page goes on."""
    outcome = Outcome()
    try:
        yield outcome
    except SERVICE_ERRORS as exc:
        outcome.error = exc
        text = service_error_message(exc)
        messages.error(request, text if about is None else f"{about}: {text}")


@contextmanager
def on_form(form, field: str | None = None) -> Iterator[Outcome]:
    """A bound form: field errors go to their fields (when the form has them), the rest to `field` (or the form)."""
    outcome = Outcome()
    try:
        yield outcome
    except SERVICE_ERRORS as exc:
        outcome.error = exc
        if isinstance(exc, ValidationError) and hasattr(exc, "error_dict"):
            for name, problems in exc.message_dict.items():
                form.add_error(name if name in form.fields else field, problems)
        else:
            form.add_error(field, service_error_message(exc))


@contextmanager
def as_form_error() -> Iterator[None]:
    """Inside `Form.clean()`: the service's rules refuse the change as a form error, not a 500."""
    try:
        yield
    except SERVICE_ERRORS as exc:
        messages_ = exc.messages if isinstance(exc, ValidationError) else [service_error_message(exc)]
        raise forms.ValidationError(messages_) from exc


@contextmanager
def as_command_error() -> Iterator[None]:
    """Management commands: a refusal ends the command with its message and exit status 1, without a traceback."""
    try:
        yield
    except SERVICE_ERRORS as exc:
        if isinstance(exc, ValidationError) and hasattr(exc, "error_dict"):  # an operator wants the field names
            raise CommandError("; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())) from exc
        raise CommandError(service_error_message(exc)) from exc
