"""The seed's campaign endpoints and shapes (003: GET/POST /campaigns, /campaigns/{id}/analytics; 004 §3.4: CRUD and
/send), their errors in the envelope, and agents seeing only their customers' results."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.accounts.roles import Role
from apps.campaigns.models import Campaign, CampaignRecipient
from tests.conftest import client_for
from tests.factories.campaign import CampaignFactory

from .conftest import consenting

pytestmark = pytest.mark.django_db

SEED_BODY = {
    "name": "Q1 Renewal Campaign",
    "description": "Quarterly renewal reminder campaign",
    "type": "email",
    "target_audience": {"policy_types": ["auto", "health"], "renewal_window": "30_days", "regions": ["north", "south"]},
    "content": {
        "subject": "Your policy renewal is due",
        "body": "Dear {{ first_name }}, your {{ policy_type }} policy renews on {{ renewal_date }}.",
        "personalization": True,
    },
    "schedule_type": "scheduled",
    "scheduled_at": "2099-02-01T09:00:00Z",
    "channels": ["email", "sms"],
}


@pytest.fixture(autouse=True)
def _daytime(settings):
    settings.MESSAGING_DEFAULT_QUIET_HOURS = {}


def test_seed_post_creates_a_draft_and_get_lists_it_with_filters(manager):
    client = client_for(manager)

    response = client.post("/api/v1/campaigns", SEED_BODY, format="json")

    assert response.status_code == 201, response.content
    data = response.json()["data"]
    assert data["status"] == "draft"
    assert data["channels"] == ["email", "sms"]
    assert data["schedule_type"] == "scheduled"
    assert data["target_audience"] == {
        "policy_types": ["auto", "health"],
        "regions": ["north", "south"],
        "renewal_window": "30_days",
    }
    assert [v["code"] for v in data["variants"]] == ["A"]
    CampaignFactory(type="sms", channels=["sms"], status="completed")
    listed = client.get("/api/v1/campaigns", {"status": "all", "type": "email", "page": 1, "limit": 10}).json()["data"]
    assert [c["id"] for c in listed["campaigns"]] == [data["id"]]
    assert listed["pagination"]["total_records"] == 1
    assert client.get("/api/v1/campaigns", {"status": "completed"}).json()["data"]["pagination"]["total_records"] == 1
    bad = client.get("/api/v1/campaigns", {"status": "sleeping"})
    assert bad.status_code == 400
    assert bad.json()["error"]["code"] == "validation_error"


@pytest.mark.parametrize(
    ("change", "field", "text"),
    [
        ({"content": {"subject": "Hi", "body": "Hello {{ frist_name }}"}}, "content.body", "unknown variable"),
        ({"scheduled_at": "2020-01-01T09:00:00Z"}, "scheduled_at", "In the past"),
        ({"channels": ["sms"]}, "type", "main channel"),
        ({"target_audience": {"renewal_window": "soon"}}, "target_audience.renewal_window", "30_days"),
        ({"target_audience": {"colour": ["red"]}}, "target_audience.colour", "Unknown filter"),
    ],
)
def test_bad_input_is_a_clear_validation_error_and_writes_nothing(manager, change, field, text):
    response = client_for(manager).post("/api/v1/campaigns", SEED_BODY | change, format="json")

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert text in " ".join(error["details"][field])
    assert not Campaign.objects.exists()


def test_send_twice_is_a_409_and_an_empty_audience_a_422(manager, outbox):
    client = client_for(manager)
    (customer,) = consenting(1)
    body = SEED_BODY | {
        "schedule_type": "immediate",
        "scheduled_at": None,
        "channels": ["email"],
        "target_audience": {"customer_ids": [customer.pk]},
    }
    pk = client.post("/api/v1/campaigns", body, format="json").json()["data"]["id"]
    empty = client.post("/api/v1/campaigns", body | {"target_audience": {"customer_ids": [10**9]}}, format="json")

    first = client.post(f"/api/v1/campaigns/{pk}/send")
    assert first.status_code == 202
    assert first.json()["data"]["status"] in ("active", "completed")
    Campaign.objects.filter(pk=pk).update(status="active")  # still sending
    second = client.post(f"/api/v1/campaigns/{pk}/send")
    assert second.status_code == 409
    assert second.json()["error"]["code"] == "already_sending"
    nobody = client.post(f"/api/v1/campaigns/{empty.json()['data']['id']}/send")
    assert nobody.status_code == 422
    assert nobody.json()["error"]["code"] == "empty_audience"
    assert CampaignRecipient.objects.filter(campaign_id=pk).count() == 1  # the list frozen once
    assert not CampaignRecipient.objects.exclude(campaign_id=pk).exists()


def test_a_scheduled_campaign_is_scheduled_by_send_and_can_be_edited_until_it_starts(manager):
    client = client_for(manager)
    (customer,) = consenting(1)
    at = (timezone.now() + timedelta(days=1)).isoformat()
    pk = client.post(
        "/api/v1/campaigns",
        SEED_BODY | {"scheduled_at": at, "target_audience": {"customer_ids": [customer.pk]}},
        format="json",
    ).json()["data"]["id"]

    assert client.post(f"/api/v1/campaigns/{pk}/send").json()["data"]["status"] == "scheduled"
    patched = client.patch(f"/api/v1/campaigns/{pk}", {"name": "Renamed"}, format="json")
    assert patched.status_code == 200
    assert patched.json()["data"]["name"] == "Renamed"
    assert client.post(f"/api/v1/campaigns/{pk}/cancel").json()["data"]["status"] == "cancelled"
    assert client.patch(f"/api/v1/campaigns/{pk}", {"name": "x"}, format="json").status_code == 409
    assert client.delete(f"/api/v1/campaigns/{pk}").status_code == 204


def test_analytics_has_the_seed_keys_and_agents_see_only_their_customers(
    manager, make_user, outbox, django_capture_on_commit_callbacks
):
    agent = make_user(Role.AGENT)
    other_agent = make_user(Role.AGENT)
    mine = consenting(2, agent=agent)
    theirs = consenting(3, agent=other_agent)
    client = client_for(manager)
    body = SEED_BODY | {
        "schedule_type": "immediate",
        "scheduled_at": None,
        "channels": ["email"],
        "target_audience": {"customer_ids": [c.pk for c in mine + theirs]},
    }
    pk = client.post("/api/v1/campaigns", body, format="json").json()["data"]["id"]
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/api/v1/campaigns/{pk}/send")

    data = client.get(f"/api/v1/campaigns/{pk}/analytics").json()["data"]
    assert {k: data[k] for k in ("sent", "delivered", "opened", "clicked", "converted")} == {
        "sent": 5,
        "delivered": 5,
        "opened": 0,
        "clicked": 0,
        "converted": 0,
    }
    assert (data["open_rate"], data["click_rate"], data["conversion_rate"]) == (0.0, 0.0, 0.0)

    as_agent = client_for(agent)
    assert as_agent.get(f"/api/v1/campaigns/{pk}/analytics").json()["data"]["sent"] == 2
    listed = as_agent.get("/api/v1/campaigns").json()["data"]["campaigns"]
    assert [c["id"] for c in listed] == [pk]
    assert listed[0]["metrics"] is None
    assert as_agent.post(f"/api/v1/campaigns/{pk}/send").status_code == 403
    loner = make_user(Role.AGENT)
    assert client_for(loner).get(f"/api/v1/campaigns/{pk}/analytics").status_code == 404
    assert client_for(make_user(Role.VIEWER)).get("/api/v1/campaigns").status_code == 403


def test_audience_preview_counts_and_samples(manager):
    customers = consenting(3)
    response = client_for(manager).post(
        "/api/v1/campaigns/audience-preview",
        {"target_audience": {"customer_ids": [c.pk for c in customers[:2]]}, "channels": ["email"]},
        format="json",
    )
    assert response.status_code == 200
    data = response.json()["data"]
    assert data["count"] == 2
    assert sorted(s["id"] for s in data["sample"]) == sorted(c.pk for c in customers[:2])
