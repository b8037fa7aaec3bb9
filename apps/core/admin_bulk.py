"""Bulk actions with a confirmation page: the admin action asks for what it needs (an assignee, a status, a
reason), then lists every selected row with what will change on it — or why it will be refused — and writes only
after the person confirms that list.

Each row is one call of the owning app's service, in its own transaction. The list on the confirmation page is
the services' own answer: each row's call is tried in a transaction that is always rolled back (nothing is
committed and, as `publish` and `.delay` run on commit, nothing is sent), so a refusal shown there is the
service's refusal — the workflow table, the role, the row's state — not a copy of its rules that could drift.

Rows are independent: a refused row is reported by name with its reason and does not undo the others. That is
how a brokerage works a queue — forty cases handed to a colleague should not all stay put because one of them was
renewed a minute ago — and the confirmation page has already said which rows would be refused. Confirming applies
the rows the page listed as changing, and only those; a row whose state moved in between is refused then, and
reported.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.admin import helpers
from django.db import transaction
from django.template.response import TemplateResponse
from unfold.decorators import action

from . import errors

BULK_MAX_ROWS = 200
STEP = "_bulk_step"
OK_IDS = "_bulk_ok"


class BulkForm(forms.Form):
    """What a bulk action asks for; it knows who asks (to offer only sensible choices)."""

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def summary(self) -> list[tuple[str, str]]:
        """(label, value) of what was chosen, for the confirmation page."""
        shown = []
        for name, value in self.cleaned_data.items():
            if not value:
                continue
            field = self.fields[name]
            if isinstance(field, forms.ChoiceField) and not isinstance(field, forms.ModelChoiceField):
                value = dict(field.choices).get(value, value)
            shown.append((str(field.label or name), str(value)))
        return shown


@dataclass
class BulkRow:
    obj: Any
    change: str
    refused: str = ""


@dataclass(frozen=True)
class BulkChange:
    """One bulk action. `describe(obj, data)` says what will change on a row; `noop(obj, data)` says why a row
    needs nothing ("" when it does); `apply(obj, data, actor)` is the one service call per row."""

    title: str
    form_class: type[BulkForm]
    describe: Callable[[Any, dict], str]
    apply: Callable[[Any, dict, Any], object]
    noop: Callable[[Any, dict], str] = lambda obj, data: ""
    button: str = "Apply"


class _RolledBack(Exception):
    """Ends a trial run's transaction."""


def _trial(change: BulkChange, obj, data: dict, actor) -> str:
    """The service's refusal of this row, or "" — from a call whose transaction is always rolled back."""
    try:
        with transaction.atomic():
            change.apply(obj, data, actor)
            raise _RolledBack
    except _RolledBack:
        return ""
    except errors.SERVICE_ERRORS as exc:
        return errors.service_error_message(exc)


def bulk_rows(change: BulkChange, objects, data: dict, actor) -> list[BulkRow]:
    rows = []
    for obj in objects:
        described = change.describe(obj, data)
        refused = change.noop(obj, data) or _trial(change, obj, data, actor)
        rows.append(BulkRow(obj=obj, change=described, refused=refused))
    return rows


def bulk_apply(change: BulkChange, objects, data: dict, actor) -> tuple[list, list[tuple[Any, str]]]:
    """Apply to each row in its own transaction: (changed objects, [(object, why refused)])."""
    done, refused = [], []
    for obj in objects:
        try:
            with transaction.atomic():
                change.apply(obj, data, actor)
        except errors.SERVICE_ERRORS as exc:
            refused.append((obj, errors.service_error_message(exc)))
        else:
            done.append(obj)
    return done, refused


def bulk_change_view(modeladmin, request, queryset, change: BulkChange):
    """The admin action's body: ask → confirm (the list of changes and refusals) → apply and report."""
    opts = modeladmin.model._meta
    objects = list(queryset.order_by("pk")[: BULK_MAX_ROWS + 1])
    if len(objects) > BULK_MAX_ROWS:
        messages.error(request, f"Select at most {BULK_MAX_ROWS} {opts.verbose_name_plural} for a bulk change.")
        return None
    step = request.POST.get(STEP, "")
    form = change.form_class(request.POST if step else None, user=request.user)
    if step == "apply" and form.is_valid():
        chosen = set(request.POST.getlist(OK_IDS))
        done, refused = bulk_apply(change, [o for o in objects if str(o.pk) in chosen], form.cleaned_data, request.user)
        if done:
            names = ", ".join(str(o) for o in done)
            plural = opts.verbose_name if len(done) == 1 else opts.verbose_name_plural
            messages.success(request, f"{change.title}: {len(done)} {plural} changed ({names}).")
        for obj, why in refused:
            messages.error(request, f"{obj}: refused — {why}")
        if not done and not refused:
            messages.warning(request, "Nothing was changed: no row on the confirmation page could be changed.")
        return None
    noun = opts.verbose_name_plural if len(objects) != 1 else opts.verbose_name
    rows = bulk_rows(change, objects, form.cleaned_data, request.user) if step and form.is_valid() else []
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": f"{change.title}: {len(objects)} {noun}",
        "subtitle": change.title,
        "opts": opts,
        "form": form,
        "objects": objects,
        "rows": rows,
        "changing": [row for row in rows if not row.refused],
        "refused": [row for row in rows if row.refused],
        "confirming": bool(rows),
        "summary": form.summary() if rows else [],
        "action_name": request.POST.get("action", ""),
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        "button": change.button,
        "step_field": STEP,
        "ok_field": OK_IDS,
    }
    request.current_app = modeladmin.admin_site.name
    return TemplateResponse(request, "admin/bulk_change.html", context)


class BulkActionsMixin:
    """`bulk_assign`, `bulk_escalate`, `bulk_status` for a changelist (name them in the admin's `actions`): each
    previews, then applies, the `BulkChange` a subclass lists in `bulk_changes` under "assign", "escalate" and
    "status"."""

    bulk_changes: dict[str, BulkChange] = {}

    @action(description="Assign to… (with confirmation)", permissions=["change"])
    def bulk_assign(self, request, queryset):
        return bulk_change_view(self, request, queryset, self.bulk_changes["assign"])

    @action(description="Escalate… (with confirmation)", permissions=["change"])
    def bulk_escalate(self, request, queryset):
        return bulk_change_view(self, request, queryset, self.bulk_changes["escalate"])

    @action(description="Change status… (with confirmation)", permissions=["change"])
    def bulk_status(self, request, queryset):
        return bulk_change_view(self, request, queryset, self.bulk_changes["status"])
