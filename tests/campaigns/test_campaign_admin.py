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


def test_a_manager_chooses_the_ab_winner_on_the_campaigns_page(
    manager_client, settings, outbox, django_capture_on_commit_callbacks
):
    """The change page's "Choose the A/B winner…" goes through the API's service: the variant wins and goes to the
    rest once; the service's refusals (a winner already chosen, a campaign no longer sending) come back as
    messages."""
    from apps.campaigns.models import CampaignRecipient, CampaignSend
    from apps.campaigns.services.campaigns import campaign_create, campaign_send

    settings.MESSAGING_DEFAULT_QUIET_HOURS = {}
    customers = consenting(20)
    campaign = campaign_create(
        actor=manager_client.user,
        name="Hand-picked",
        type="email",
        channels=["email"],
        target_audience={"customer_ids": [c.pk for c in customers]},
        content={"subject": "Renew", "body": "Hi {{ first_name }}"},
        variants=[
            {"code": "A", "weight": 50, "content": {"subject": "A"}},
            {"code": "B", "weight": 50, "content": {"subject": "B"}},
        ],
        test_percent=50,
        test_window_hours=48,
    )
    with django_capture_on_commit_callbacks(execute=True):
        campaign_send(campaign=campaign, actor=manager_client.user)
    rest = CampaignRecipient.objects.filter(campaign=campaign, group="rest").count()
    assert rest
    assert len(outbox) == 20 - rest
    change = reverse("admin:campaigns_campaign_change", args=[campaign.pk])
    url = reverse("admin:campaigns_campaign_choose_winner", args=[campaign.pk])
    assert url == f"{change.removesuffix('change/')}winner/"

    assert url in manager_client.get(change).content.decode()  # the button on the (read-only) change page
    page = manager_client.get(url).content.decode()
    assert 'id="winner-figures"' in page
    assert 'value="B"' in page

    with django_capture_on_commit_callbacks(execute=True):
        chosen = manager_client.post(url, {"code": "B", "reason": "A's wording was withdrawn by legal"}, follow=True)

    assert chosen.redirect_chain[-1][0] == change
    assert "variant B wins and goes to the rest of the audience" in chosen.content.decode()
    campaign.refresh_from_db()
    assert (campaign.winner.code, campaign.status) == ("B", CampaignStatus.COMPLETED)
    assert "legal" in campaign.winner_reason
    assert len(outbox) == 20  # the rest got B, each once
    assert set(
        CampaignSend.objects.filter(campaign=campaign, recipient__group="rest").values_list("variant__code", flat=True)
    ) == {"B"}

    again = manager_client.post(url, {"code": "A"}, follow=True).content.decode()

    assert "The winner is already B" in again
    campaign.refresh_from_db()
    assert campaign.winner.code == "B"
    assert len(outbox) == 20

    single = campaign_create(
        actor=manager_client.user,
        name="Done",
        type="email",
        channels=["email"],
        target_audience={"customer_ids": [customers[0].pk]},
        content={"subject": "Renew", "body": "Hi"},
    )
    with django_capture_on_commit_callbacks(execute=True):
        campaign_send(campaign=single, actor=manager_client.user)
    refused = manager_client.post(
        reverse("admin:campaigns_campaign_choose_winner", args=[single.pk]), {"code": "A"}, follow=True
    )
    assert "Only a campaign that is sending or paused can have its winner chosen" in refused.content.decode()
    single.refresh_from_db()
    assert single.winner is None


def test_agents_cannot_choose_a_winner(client, manager):
    from apps.campaigns.services.campaigns import campaign_create

    campaign = campaign_create(
        actor=manager,
        name="Draft",
        type="email",
        channels=["email"],
        target_audience={"customer_ids": []},
        content={"subject": "Renew", "body": "Hi"},
    )
    client.force_login(UserFactory(role=Role.AGENT))
    url = reverse("admin:campaigns_campaign_choose_winner", args=[campaign.pk])
    assert client.post(url, {"code": "A"}).status_code == 403
    campaign.refresh_from_db()
    assert campaign.winner is None
