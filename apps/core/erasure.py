"""Helpers for the `gdpr.erase` providers: scrub personal fields in place, append-only tables included.

Timelines, ledgers and audit snapshots refuse UPDATE (a database trigger named `append_only`); erasure is the one
sanctioned exception, done inside the erasure transaction, whose pghistory context records who erased and why.
"""

import pgtrigger
from django.db import models

ERASED = "[erased]"


def _append_only_triggers(model: type[models.Model]) -> list[str]:
    return [f"{model._meta.label}:{trigger.name}" for m, trigger in pgtrigger.registered() if m is model]


def scrub(queryset: models.QuerySet, **values) -> int:
    """`queryset.update(**values)`, past the model's protecting triggers. Returns the rows changed."""
    with pgtrigger.ignore(*_append_only_triggers(queryset.model)):
        return queryset.update(**values)


def scrub_text(queryset: models.QuerySet, *fields: str) -> None:
    """Replace each non-blank free-text field by `[erased]` (a blank one stays blank: nothing was said)."""
    for name in fields:
        scrub(queryset.exclude(**{name: ""}), **{name: ERASED})


def history_of(model: type[models.Model], object_ids) -> models.QuerySet:
    """The pghistory snapshots of `model`'s rows `object_ids` (ids or a `values("pk")` queryset), to scrub too."""
    return model.pgh_event_model.objects.filter(pgh_obj_id__in=object_ids)


def scrub_history(model: type[models.Model], object_ids, **values) -> int:
    return scrub(history_of(model, object_ids), **values)
