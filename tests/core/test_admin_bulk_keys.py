"""The bulk-change pages carry the selected rows' keys unlocalised: with USE_THOUSAND_SEPARATOR a key of 1067
printed as "1,067" came back as an invalid id and the admin answered 500 (any row past the thousandth)."""

from types import SimpleNamespace

import pytest
from django.template.loader import render_to_string
from django.test import RequestFactory

from apps.accounts.roles import Role
from apps.renewals.models import RenewalCase

pytestmark = pytest.mark.django_db


def test_bulk_change_pages_carry_keys_past_a_thousand_as_plain_digits(make_user):
    request = RequestFactory().post("/admin/renewals/renewalcase/")
    request.user = make_user(Role.MANAGER)
    html = render_to_string(
        "admin/bulk_change.html",
        {
            "opts": RenewalCase._meta,
            "objects": [SimpleNamespace(pk=1067)],
            "changing": [SimpleNamespace(obj=SimpleNamespace(pk=20481))],
            "confirming": True,
            "action_checkbox_name": "_selected_action",
            "ok_field": "_ok",
            "step_field": "_step",
        },
        request=request,
    )
    assert 'name="_selected_action" value="1067"' in html
    assert 'name="_ok" value="20481"' in html
    assert "1,067" not in html
