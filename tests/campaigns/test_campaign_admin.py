"""The campaign builder in the back office: built through the same services as the API (a bad variable is shown
on the form, nothing saved), the audience preview, live progress, analytics, and the send action; agents have no
campaign screens."""

import json

import pytest
from django.urls import reverse

from apps.accounts.roles import Role
from apps.campaigns.models import Campaign, CampaignStatus
from tests.factories.accounts import UserFactory

from .conftest import consenting

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager_client(client):
    manager = UserFactory(role=Role.MANAGER)
    client.force_login(manager)
    client.user = manager
    return client


def _form(customers, **changes):
    data = {
        "name": "Spring reminder",
        "description": "",
        "type": "email",
        "channels": ["email"],
        "purpose": "marketing",
        "target_audience": json.dumps({"customer_ids": [c.pk for c in customers]}),
        "content": json.dumps({"subject": "Hi {{ first_name }}", "body": "Renew: https://insureops.example/r"}),
        "variants_json": "",
        "schedule_type": "immediate",
        "scheduled_at_0": "",
        "scheduled_at_1": "",
        "budget": "",
        "goal_metric": "conversion",
        "attribution_days": "30",
        "test_percent": "20",
        "test_window_hours": "72",
        "holdout_percent": "0",
        "variants-TOTAL_FORMS": "0",
        "variants-INITIAL_FORMS": "0",
    }
    return data | changes


def test_the_builder_creates_through_the_service_and_refuses_an_unknown_variable(manager_client, settings, outbox):
    settings.MESSAGING_DEFAULT_QUIET_HOURS = {}
    customers = consenting(2)
    add = reverse("admin:campaigns_campaign_add")

    refused = manager_client.post(
        add, _form(customers, content=json.dumps({"subject": "Hi", "body": "{{ nickname }}"})), follow=True
    )
    assert "unknown variable {{ nickname }}" in refused.content.decode()
    assert not Campaign.objects.exists()

    response = manager_client.post(add, _form(customers), follow=True)
    assert response.status_code == 200
    campaign = Campaign.objects.get()
    assert (campaign.created_by, campaign.status, campaign.channels) == (manager_client.user, "draft", ["email"])
    page = manager_client.get(reverse("admin:campaigns_campaign_change", args=[campaign.pk])).content.decode()
    assert "2</strong> customers match now" in page

    manager_client.post(
        reverse("admin:campaigns_campaign_changelist"),
        {"action": "send", "_selected_action": [campaign.pk]},
        follow=True,
    )

    campaign.refresh_from_db()
    assert campaign.status in (CampaignStatus.ACTIVE, CampaignStatus.COMPLETED)
    progress = manager_client.get(reverse("admin:campaigns_campaign_progress", args=[campaign.pk])).content.decode()
    assert "of 2 recipients handled" in progress
    page = manager_client.get(reverse("admin:campaigns_campaign_change", args=[campaign.pk])).content.decode()
    assert "Holdout" in page
    assert "data-campaign-progress" in page


def test_agents_have_no_campaign_screens(client):
    client.force_login(UserFactory(role=Role.AGENT))
    assert client.get(reverse("admin:campaigns_campaign_changelist")).status_code == 403
