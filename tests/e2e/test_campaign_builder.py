"""A manager builds a campaign in the admin, sees the audience preview, sends it and sees the progress and the
analytics, in a real browser (Chromium). Screenshots go to var/screenshots/campaign-*.png."""

import json
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from playwright.sync_api import expect

from apps.accounts.roles import Role
from apps.campaigns.models import Campaign, CampaignSend
from tests.campaigns.conftest import consenting

pytestmark = pytest.mark.django_db(transaction=True)
SCREENSHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"


def shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"campaign-{name}.png", full_page=True)


def test_a_manager_builds_previews_sends_and_sees_progress_and_analytics(
    live_server, new_page, make_user, password, settings
):
    settings.MESSAGING_DEFAULT_QUIET_HOURS = {}
    make_user(Role.MANAGER, email="boss@example.org")
    customers = consenting(3)
    mail.outbox = []
    page = new_page()
    page.goto(f"{live_server.url}/admin/")
    page.fill("#id_username", "boss@example.org")
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")

    page.goto(f"{live_server.url}/admin/campaigns/campaign/add/")
    page.fill("#id_name", "Spring renewals")
    page.locator("#id_type").select_option("email")
    page.locator("input[name=channels][value=email]").check()
    page.fill("#id_target_audience", json.dumps({"customer_ids": [c.pk for c in customers]}))
    page.fill("#id_content", json.dumps({"subject": "Hi {{ frist_name }}", "body": "Renew now"}))
    page.locator("button[name=_continue]").first.click()
    expect(page.get_by_text("unknown variable {{ frist_name }}").first).to_be_visible()  # refused on the form
    page.fill("#id_content", json.dumps({"subject": "Hi {{ first_name }}", "body": "Renew: https://example.org/r"}))
    page.locator("button[name=_continue]").first.click()
    campaign = Campaign.objects.get(name="Spring renewals")
    page.wait_for_url(f"**/admin/campaigns/campaign/{campaign.pk}/change/**")
    expect(page.get_by_text("customers match now")).to_be_visible()  # the audience preview: 3
    expect(page.locator("strong", has_text="3").first).to_be_visible()
    shot(page, "preview")

    page.goto(f"{live_server.url}/admin/campaigns/campaign/")
    page.locator(f"input.action-select[value='{campaign.pk}']").check()
    page.locator("select[name=action]").first.select_option("send")
    page.get_by_role("button", name="Run").first.click()
    expect(page.get_by_text("sending started or scheduled").first).to_be_visible()

    assert CampaignSend.objects.filter(campaign=campaign, status="delivered").count() == 3
    assert sorted(m.to[0] for m in mail.outbox) == sorted(c.email for c in customers)
    page.goto(f"{live_server.url}/admin/campaigns/campaign/{campaign.pk}/change/")
    expect(page.get_by_text("3 of 3 recipients handled").first).to_be_visible()  # progress
    expect(page.locator("[data-campaign-progress]")).to_be_visible()
    summary = page.locator("tr", has_text="All").first  # the analytics table: sent, delivered, opened…
    expect(summary).to_be_visible()
    expect(summary.locator("td").nth(1)).to_have_text("3")
    expect(summary.locator("td").nth(2)).to_have_text("3")
    expect(page.get_by_text("Machine opens (privacy proxies, scanners): 0").first).to_be_visible()
    shot(page, "sent")
