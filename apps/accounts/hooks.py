"""Extension points of the accounts app (apps.core.hooks): the back office's record numbers."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import Model, QuerySet

from apps.core.hooks import Hook


@dataclass(frozen=True)
class RecordNumber:
    """A kind of record number people type into the back office's search boxes ("CLM-2026-000042"): its prefix,
    the model and field that hold it, and the app's selector that scopes the records to the person asking."""

    prefix: str
    model: type[Model]
    field: str
    visible: Callable[[Any], QuerySet]


record_numbers = Hook(
    "admin.record_numbers",
    required=True,
    doc="fn() -> RecordNumber: a record number (prefix, model, field, selector) that any admin search box, and the "
    "header's record jump, opens directly when the person may see that record. Customers, policies, claims and "
    "renewals provide theirs.",
)
