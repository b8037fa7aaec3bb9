"""A/B tests scored on renewals, the holdout's lift, and the analytics answer (seed 003 keys and rates)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.campaigns.models import CampaignRecipient, CampaignSend, CampaignStatus
from apps.campaigns.selectors.analytics import campaign_analytics
from apps.campaigns.services.campaigns import campaign_create, campaign_send
from apps.campaigns.services.sending import campaigns_tick
from tests.factories.policies import PolicyFactory, PolicyTransitionFactory

from .conftest import consenting

pytestmark = pytest.mark.django_db


def test_the_ab_winner_is_picked_by_renewals_not_clicks_and_goes_to_the_rest(
    manager, outbox, settings, django_capture_on_commit_callbacks
):
    settings.MESSAGING_DEFAULT_QUIET_HOURS = {}
    customers = consenting(80)
    for customer in customers:
        PolicyFactory(customer=customer, status="active")
    campaign = campaign_create(
        actor=manager,
        name="Renewal test",
        type="email",
        channels=["email"],
        target_audience={"customer_ids": [c.pk for c in customers]},
        content={"subject": "Renew", "body": "Hi {{ first_name }}, renew: https://insureops.example/renew"},
        variants=[
            {"code": "A", "weight": 50, "content": {"subject": "Don't miss out!!!"}},
            {"code": "B", "weight": 50, "content": {"subject": "Your renewal terms"}},
        ],
        test_percent=60,
        holdout_percent=10,
        test_window_hours=48,
    )
    with django_capture_on_commit_callbacks(execute=True):
        campaign_send(campaign=campaign, actor=manager)

    groups = {
        g: CampaignRecipient.objects.filter(campaign=campaign, group=g).count() for g in ("test", "rest", "holdout")
    }
    assert sum(groups.values()) == 80, groups
    assert all(groups.values()), groups
    test_sends = list(CampaignSend.objects.filter(campaign=campaign).select_related("variant"))
    assert len(test_sends) == groups["test"]  # the rest waits for the winner, the holdout gets nothing
    a = [s for s in test_sends if s.variant.code == "A"]
    b = [s for s in test_sends if s.variant.code == "B"]
    assert a
    assert b
    # A gets every click; B's recipients renew: the campaign's metric is conversion, so B must win
    CampaignSend.objects.filter(pk__in=[s.pk for s in a]).update(opened_at=timezone.now(), clicked_at=timezone.now())
    for send in b[: max(1, len(b) // 2)]:
        policy = send.customer.policies.get()
        PolicyTransitionFactory(policy=policy, from_status="active", to_status="renewed")
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.ACTIVE
    assert campaign.winner is None
    assert campaigns_tick()["winners"] == []  # the test window is still open

    with django_capture_on_commit_callbacks(execute=True):
        result = campaigns_tick(now=timezone.now() + timedelta(hours=49))

    assert result["winners"] == [campaign.pk]
    campaign.refresh_from_db()
    assert campaign.winner.code == "B"
    assert campaign.winner_reason.startswith("Conversion")
    rest = CampaignSend.objects.filter(campaign=campaign, recipient__group="rest")
    assert rest.count() == groups["rest"]
    assert set(rest.values_list("variant__code", flat=True)) == {"B"}
    assert campaign.status == CampaignStatus.COMPLETED
    assert len(outbox) == groups["test"] + groups["rest"]
    assert not CampaignSend.objects.filter(campaign=campaign, recipient__group="holdout").exists()

    data = campaign_analytics(campaign)
    assert list(data)[:8] == [
        "sent",
        "delivered",
        "opened",
        "clicked",
        "converted",
        "open_rate",
        "click_rate",
        "conversion_rate",
    ]
    converted_b = max(1, len(b) // 2)
    assert data["sent"] == data["delivered"] == groups["test"] + groups["rest"]
    assert data["converted"] == converted_b
    assert data["clicked"] == len(a)
    assert data["conversion_rate"] == round(100 * converted_b / data["delivered"], 1)
    by_code = {v["code"]: v for v in data["variants"]}
    assert by_code["A"]["converted"] == 0
    assert by_code["B"]["converted"] == converted_b
    assert data["holdout"]["recipients"] == groups["holdout"]
    assert data["holdout"]["converted"] == 0
    assert data["holdout"]["lift_points"] == data["holdout"]["treated_conversion_rate"] > 0
    assert data["winner"] == "B"
    assert data["over_time"][0]["sent"] == data["sent"]


def test_a_renewal_outside_the_attribution_window_is_not_a_conversion(
    manager, outbox, settings, django_capture_on_commit_callbacks
):
    settings.MESSAGING_DEFAULT_QUIET_HOURS = {}
    (customer,) = consenting(1)
    policy = PolicyFactory(customer=customer, status="active")
    campaign = campaign_create(
        actor=manager,
        name="x",
        type="email",
        channels=["email"],
        attribution_days=7,
        target_audience={"customer_ids": [customer.pk]},
        content={"subject": "s", "body": "b"},
    )
    with django_capture_on_commit_callbacks(execute=True):
        campaign_send(campaign=campaign, actor=manager)
    PolicyTransitionFactory(policy=policy, from_status="active", to_status="renewed")
    PolicyTransitionFactory(policy=PolicyFactory(customer=customer), from_status="quoted", to_status="active")
    send = CampaignSend.objects.filter(campaign=campaign)

    send.update(sent_at=timezone.now() - timedelta(days=8))  # renewed and bound 8 days after the message
    assert campaign_analytics(campaign)["converted"] == 0
    send.update(sent_at=timezone.now() - timedelta(days=3))
    assert campaign_analytics(campaign)["converted"] == 1  # within 7 days; two policies, one converted send


def test_the_rollup_kept_by_triggers_gives_the_same_figures_as_reading_every_send(
    manager, outbox, settings, django_capture_on_commit_callbacks
):
    """Every writer of campaign_sends (batch insert, delivery, pixel/click updates, bounce, cancel, a bulk
    UPDATE moving sends to another day) keeps the rollup exact: per variant, channel and day it equals the
    one-pass scan over the sends, conversion included."""
    from apps.campaigns.selectors.analytics import _from_rollup, _grouped, _key

    settings.MESSAGING_DEFAULT_QUIET_HOURS = {}
    customers = consenting(12)
    for customer in customers:
        PolicyFactory(customer=customer, status="active")
    campaign = campaign_create(
        actor=manager,
        name="Rollup",
        type="email",
        channels=["email"],
        target_audience={"customer_ids": [c.pk for c in customers]},
        content={"subject": "Renew", "body": "Hi {{ first_name }}"},
        variants=[
            {"code": "A", "weight": 50, "content": {"subject": "A"}},
            {"code": "B", "weight": 50, "content": {"subject": "B"}},
        ],
        test_percent=100,
    )
    with django_capture_on_commit_callbacks(execute=True):
        campaign_send(campaign=campaign, actor=manager)
    sends = list(CampaignSend.objects.filter(campaign=campaign).order_by("pk"))
    now = timezone.now()
    CampaignSend.objects.filter(pk__in=[s.pk for s in sends[:5]]).update(opened_at=now)
    CampaignSend.objects.filter(pk__in=[s.pk for s in sends[3:7]]).update(clicked_at=now, machine_opened_at=now)
    CampaignSend.objects.filter(pk=sends[7].pk).update(status="bounced")
    CampaignSend.objects.filter(pk__in=[s.pk for s in sends[8:]]).update(sent_at=now - timedelta(days=2))
    for send in sends[::3]:
        PolicyTransitionFactory(policy=send.customer.policies.get(), from_status="active", to_status="renewed")

    def figures(rows):
        return {
            _key(r): {k: v for k, v in r.items() if not k.startswith("g_")} for r in rows if r["sent"] or r["queued"]
        }

    scanned, rolled = figures(_grouped(campaign)), figures(_from_rollup(campaign))
    assert rolled == scanned
    assert len([k for k in rolled if k[2] == 0]) == 2  # two days
    total = rolled[(1, 1, 1, None, None, None)]
    assert (total["sent"], total["opened"], total["clicked"], total["bounced"]) == (12, 5, 4, 1)
    assert total["converted"] == len(sends[::3])
    assert campaign_analytics(campaign)["converted"] == len(sends[::3])


def test_a_manager_chooses_the_winner_by_hand_and_it_goes_to_the_rest_once(
    manager, outbox, settings, make_user, django_capture_on_commit_callbacks
):
    from apps.accounts.roles import Role
    from tests.conftest import client_for

    settings.MESSAGING_DEFAULT_QUIET_HOURS = {}
    customers = consenting(20)
    campaign = campaign_create(
        actor=manager,
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
        campaign_send(campaign=campaign, actor=manager)
    rest = CampaignRecipient.objects.filter(campaign=campaign, group="rest").count()
    assert rest
    assert len(outbox) == 20 - rest
    url = f"/api/v1/campaigns/{campaign.pk}/winner"

    agent = client_for(make_user(Role.AGENT))
    assert agent.post(url, {"code": "B"}, format="json").status_code in (403, 404)
    boss = client_for(manager)
    bad = boss.post(url, {"code": "Z"}, format="json")
    assert bad.status_code == 400
    assert "One of: A, B" in str(bad.json())
    with django_capture_on_commit_callbacks(execute=True):
        ok = boss.post(url, {"code": "B", "reason": "A's wording was withdrawn by legal"}, format="json")

    assert ok.status_code == 200, ok.json()
    campaign.refresh_from_db()
    assert campaign.winner.code == "B"
    assert "legal" in campaign.winner_reason
    assert campaign.status == CampaignStatus.COMPLETED
    assert len(outbox) == 20  # the rest got B, each once
    assert set(
        CampaignSend.objects.filter(campaign=campaign, recipient__group="rest").values_list("variant__code", flat=True)
    ) == {"B"}
    again = boss.post(url, {"code": "A"}, format="json")
    assert again.status_code == 409
    assert again.json()["error"]["code"] in ("winner_chosen", "not_sending")
