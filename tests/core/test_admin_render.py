"""The admin's fast row rendering (apps/core/admin_render.py) gives unfold's own HTML, byte for byte."""

import pytest
from unfold import admin as unfold_admin
from unfold.templatetags import unfold_list

from apps.renewals.admin import RenewalCaseAdmin
from apps.renewals.models import RenewalCase


def test_the_installed_renderers_are_the_fast_ones():
    assert getattr(unfold_list.display_for_label, "original", None) is not None
    assert getattr(unfold_admin.ModelAdmin.action_checkbox, "original", None) is not None


@pytest.mark.parametrize(
    ("value", "label"),
    [
        ("new", True),
        ("in_progress", {"in_progress": "info", "new": "warning"}),
        (("closed", "Closed"), {"closed": "success"}),
        (None, True),
        ("<b>not html</b>", {"x": "danger"}),
        (7, True),
    ],
)
def test_a_badge_is_unfolds_own_markup(value, label):
    fast = unfold_list.display_for_label
    assert fast(value, "-", label) == fast.original(value, "-", label)
    assert fast(value, "-", label) == fast.original(value, "-", label)  # kept: the same again


def test_the_row_checkbox_is_unfolds_own_markup_with_the_rows_key():
    fast = unfold_admin.ModelAdmin.action_checkbox
    admin = RenewalCaseAdmin(RenewalCase, None)
    for pk in (1, 987654, 'a"<b>'):
        row = RenewalCase(pk=pk) if isinstance(pk, int) else type("Row", (), {"pk": pk})()
        assert fast(admin, row) == fast.original(admin, row)
    assert fast.short_description == fast.original.short_description
