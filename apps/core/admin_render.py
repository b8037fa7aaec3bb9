"""The admin's changelist rows, rendered for the same HTML at a fraction of the cost (issue 15).

django-unfold renders two things in every row through Django's template engine: the row's selection checkbox
(`ModelAdmin.action_checkbox`, a widget template per row) and every `@display(label=...)` badge
(`display_for_label`, a template per cell). On a 50-row list of eleven columns that was about a fifth of the page's
time. Both are pure functions of their arguments, so:

- the checkbox is rendered once with a placeholder value and the row's escaped primary key is put in its place;
- a badge is rendered once per (value, empty text, label colours) and kept (a bounded LRU: statuses and priorities
  repeat on every page).

`install()` (from CoreConfig.ready) puts both in place of unfold's; tests/core/test_admin_render.py checks the
output is byte-for-byte unfold's own, so an unfold upgrade that changes its markup fails there, not in the browser.
"""

from functools import lru_cache

from django.contrib.admin import helpers
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

PLACEHOLDER = "\x00pk\x00"


@lru_cache(maxsize=1)
def _checkbox_template() -> str:
    from unfold.admin import checkbox

    return str(checkbox.render(helpers.ACTION_CHECKBOX_NAME, PLACEHOLDER))


def action_checkbox(self, obj) -> SafeString:
    """The row's selection checkbox: unfold's widget markup with this row's key."""
    return mark_safe(_checkbox_template().replace(PLACEHOLDER, escape(str(obj.pk))))  # noqa: S308  (key escaped)


def _hashable(label):
    if isinstance(label, dict):
        return tuple(sorted((str(k), str(v)) for k, v in label.items()))
    return label


def _plain(value) -> bool:
    """Only plain values are kept (a model instance or a lazy string could render differently next time)."""
    if isinstance(value, tuple):
        return all(_plain(v) for v in value)
    return value is None or type(value) in (str, int, bool, float)


def label_renderer(original):
    """`display_for_label`, kept per distinct argument (unhashable values are rendered each time)."""
    kept: dict = {}

    @lru_cache(maxsize=4096)
    def cached(value, empty_value_display, label_key):
        return original(value, empty_value_display, kept[label_key])

    def display_for_label(value, empty_value_display, label):
        if not _plain(value):
            return original(value, empty_value_display, label)
        try:
            key = _hashable(label)
            kept.setdefault(key, label)
            return cached(value, str(empty_value_display), key)
        except TypeError:
            return original(value, empty_value_display, label)

    display_for_label.original = original  # type: ignore[attr-defined]
    return display_for_label


def install() -> None:
    from unfold import admin as unfold_admin
    from unfold.templatetags import unfold_list

    if getattr(unfold_list.display_for_label, "original", None) is None:
        unfold_list.display_for_label = label_renderer(unfold_list.display_for_label)
    fast = action_checkbox
    original = unfold_admin.ModelAdmin.action_checkbox
    for attribute in ("short_description", "description"):
        if hasattr(original, attribute):
            setattr(fast, attribute, getattr(original, attribute))
    fast.original = original  # type: ignore[attr-defined]
    unfold_admin.ModelAdmin.action_checkbox = fast
