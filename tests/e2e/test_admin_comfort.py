"""The agent's comforts in a real browser: a case number typed into the admin search lands on the case, "/" opens
the header's jump box from any page, saved filters sit above the list, and a bulk change shows its confirmation
page before anything is written. Screenshots go to var/screenshots/comfort-*.png."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import expect

from apps.accounts.roles import Role
from apps.renewals.models import RenewalCase
from tests.factories.accounts import SavedFilterFactory, TeamFactory
from tests.factories.policies import PolicyFactory
from tests.factories.renewals import RenewalCaseFactory

pytestmark = pytest.mark.django_db(transaction=True)

SCREENSHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"


def shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"comfort-{name}.png", full_page=True)


def script_errors(page) -> list[str]:
    # the live test server speaks WSGI only, so the admin's websocket for live updates cannot connect here
    return [e for e in page.console_errors if "WebSocket" not in e]


def sign_in(page, url: str, email: str, password: str) -> None:
    page.goto(f"{url}/admin/")
    page.fill("#id_username", email)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{url}/admin/")


def agents_cases(agent):
    today = timezone.localdate()
    return [
        RenewalCaseFactory(
            policy=PolicyFactory(agent=agent, end_date=today + timedelta(days=d)), assigned_to=agent, status=s
        )
        for d, s in ((-2, "new"), (3, "new"), (5, "in_progress"))
    ]


def test_agent_types_a_case_number_into_the_admin_search_and_lands_on_the_case(
    live_server, new_page, make_user, password
):
    agent = make_user(Role.AGENT, email="agent@example.org")
    case = agents_cases(agent)[1]
    page = new_page()
    sign_in(page, live_server.url, "agent@example.org", password)

    page.goto(f"{live_server.url}/admin/renewals/renewalcase/")
    page.keyboard.press("/")  # unfold's shortcut focuses the list's search box
    page.keyboard.type(case.case_number.lower())
    page.keyboard.press("Enter")

    page.wait_for_url(f"{live_server.url}/admin/renewals/renewalcase/{case.pk}/change/")
    expect(page.get_by_text(case.case_number).first).to_be_visible()
    assert script_errors(page) == []


def test_slash_opens_the_header_jump_box_from_the_home_page(live_server, new_page, make_user, password):
    agent = make_user(Role.AGENT, email="agent@example.org")
    case = agents_cases(agent)[0]
    page = new_page()
    sign_in(page, live_server.url, "agent@example.org", password)

    page.keyboard.press("/")
    expect(page.locator("#record-jump-input")).to_be_focused()
    page.keyboard.type(case.case_number)
    shot(page, "header-jump")
    page.keyboard.press("Enter")

    page.wait_for_url(f"{live_server.url}/admin/renewals/renewalcase/{case.pk}/change/")
    assert script_errors(page) == []


def test_saved_filters_and_a_bulk_change_confirmed_before_it_is_written(live_server, new_page, make_user, password):
    team = TeamFactory(name="Motor & Home")
    agent = make_user(Role.AGENT, email="agent@example.org", team=team)
    rita = make_user(Role.AGENT, email="rita@example.org", team=team, first_name="Rita", last_name="Ramos")
    SavedFilterFactory(owner=rita, name="Urgent renewals", query="priority__exact=urgent", shared=True)
    overdue, due, started = agents_cases(agent)
    page = new_page()
    sign_in(page, live_server.url, "agent@example.org", password)

    page.goto(f"{live_server.url}/admin/renewals/renewalcase/")
    page.get_by_role("link", name="Cases due this week").click()
    page.wait_for_url("**/renewalcase/?due=week&mine=1")
    page.goto(f"{live_server.url}/admin/renewals/renewalcase/?mine=1&status__exact=new")
    page.get_by_label("Name for these filters").fill("My new cases")
    page.get_by_label("Share with my team").check()
    page.get_by_role("button", name="Save filters").click()
    expect(page.get_by_text('Saved "My new cases" (your team).')).to_be_visible()
    expect(page.locator("#saved-filters").get_by_role("link", name="Urgent renewals")).to_be_visible()
    page.goto(f"{live_server.url}/admin/renewals/renewalcase/?mine=1")
    shot(page, "saved-filters")

    for case in (overdue, due, started):
        page.locator(f"input.action-select[value='{case.pk}']").check()
    page.locator("select[name=action]").first.select_option("bulk_status")
    page.get_by_role("button", name="Run").first.click()
    page.locator("#id_status").select_option("in_progress")
    page.get_by_role("button", name="Preview changes").click()
    expect(page.locator("#bulk-rows tr[data-outcome=change]")).to_have_count(2)
    expect(page.locator("#bulk-rows tr[data-outcome=refused]")).to_have_count(1)
    expect(page.get_by_text("Already in progress.")).to_be_visible()
    shot(page, "bulk-confirmation")
    assert RenewalCase.objects.filter(status="in_progress").count() == 1  # nothing written yet

    page.get_by_role("button", name="Change status: 2 renewal cases").click()
    expect(page.get_by_text("Change case status: 2 renewal cases changed")).to_be_visible()
    assert RenewalCase.objects.filter(status="in_progress").count() == 3
    assert script_errors(page) == []
