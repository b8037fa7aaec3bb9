"""Record jump: a case, policy, claim or customer number typed into any admin search box (or the header's jump box,
`/` on pages without a list) opens that record — when the person may see it. The number is looked up through the
owning app's selector (`apps.accounts.hooks.record_numbers`), so a record outside someone's scope, or on a screen
their role cannot open, gives the list's ordinary "no results", exactly as a number that does not exist: the jump
never tells anyone that a record exists. Anything that is not a whole number of a known kind is a normal search."""

import re
from urllib.parse import urlencode

from django.contrib.admin.views.main import IS_POPUP_VAR, SEARCH_VAR, TO_FIELD_VAR
from django.urls import reverse

from .hooks import RecordNumber, record_numbers

# A record number's shape (letters, a dash, then digits and dashes); anything else is not worth a lookup.
NUMBER_SHAPE = re.compile(r"[A-Z]{2,5}-[0-9][0-9-]{2,30}")


def record_kinds() -> list[RecordNumber]:
    return [provider() for provider in record_numbers.providers()]


def kind_of(number: str) -> RecordNumber | None:
    """The kind of record `number` (already normalised) names, by its prefix."""
    for kind in record_kinds():
        if number.startswith(kind.prefix):
            return kind
    return None


def normalise(text: str) -> str:
    return text.strip().upper()


def _can_open(request, site, kind: RecordNumber) -> bool:
    model_admin = site._registry.get(kind.model)
    return model_admin is not None and model_admin.has_view_or_change_permission(request)


def record_url(request, site, text: str) -> str | None:
    """The change page of the one record numbered `text` that the person may open, or None."""
    number = normalise(text)
    if not NUMBER_SHAPE.fullmatch(number):
        return None
    kind = kind_of(number)
    if kind is None or not _can_open(request, site, kind):
        return None
    pks = list(kind.visible(request.user).filter(**{kind.field: number}).values_list("pk", flat=True)[:2])
    if len(pks) != 1:
        return None
    meta = kind.model._meta
    return reverse(f"{site.name}:{meta.app_label}_{meta.model_name}_change", args=[pks[0]], current_app=site.name)


def changelist_jump(request, site) -> str | None:
    """For a changelist request: where its search box should land instead of the list, if anywhere."""
    if request.method != "GET" or IS_POPUP_VAR in request.GET or TO_FIELD_VAR in request.GET:
        return None
    text = request.GET.get(SEARCH_VAR, "")
    return record_url(request, site, text) if text else None


def search_destination(request, site, text: str) -> str:
    """Where the header's jump box goes: the record; else the list of that kind of number, searched (its normal
    answer, "no results" included); else free text searches the first list the person may open (customers for
    those who see them)."""
    url = record_url(request, site, text)
    if url:
        return url
    number = normalise(text)
    kind = kind_of(number) if NUMBER_SHAPE.fullmatch(number) else None
    candidates = [kind] if kind is not None and _can_open(request, site, kind) else []
    candidates += [k for k in record_kinds() if _can_open(request, site, k)]
    if not candidates:
        return reverse(f"{site.name}:index", current_app=site.name)
    meta = candidates[0].model._meta
    listing = reverse(f"{site.name}:{meta.app_label}_{meta.model_name}_changelist", current_app=site.name)
    return f"{listing}?{urlencode({SEARCH_VAR: text.strip()})}" if text.strip() else listing
