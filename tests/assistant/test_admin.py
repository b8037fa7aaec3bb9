"""The copilot panel in the admin: for whoever may use `/copilot/chat` (CRM access), with its script served from
our static files under the admin's CSP; the assistant's records are read-only screens for administrators."""

import pytest
from django.test import Client

from apps.accounts.roles import Role
from tests.factories.assistant import ToolCallRecordFactory

pytestmark = pytest.mark.django_db

PANEL = "/admin/assistant/conversation/copilot/"


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("role", [Role.ADMIN, Role.MANAGER, Role.AGENT])
def test_the_panel_opens_for_crm_roles_and_points_at_the_api(role, make_user):
    response = signed_in(make_user(role)).get(PANEL)

    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-endpoint="/api/v1/copilot/chat"' in html
    assert 'data-confirm="/api/v1/ai/actions/confirm"' in html
    assert '<script src="/static/js/admin_copilot.js" defer></script>' in html
    assert "csrfmiddlewaretoken" in html
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "https:" not in policy and "http:" not in policy  # noqa: PT018 (nothing remote is allowed)


@pytest.mark.parametrize("role", [Role.ASSESSOR, Role.CUSTOMER])
def test_the_panel_is_refused_to_roles_without_the_crm(role, make_user):
    response = signed_in(make_user(role)).get(PANEL)

    assert response.status_code in (302, 403)  # customers are not staff: the admin sends them to its login


def test_the_tool_call_trail_is_a_read_only_admin_screen(make_user):
    ToolCallRecordFactory(tool="findLeads", outcome="executed")
    client = signed_in(make_user(Role.ADMIN))

    listing = client.get("/admin/assistant/toolcallrecord/")

    assert listing.status_code == 200
    assert "findLeads" in listing.content.decode()
    assert client.get("/admin/assistant/toolcallrecord/add/").status_code == 403
