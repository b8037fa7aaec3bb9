"""Tracking: the open pixel (machine opens apart), signed click redirects (no open redirect, forged signatures
refused, nothing counted), unsubscribe with RFC 8058 one-click into the consent ledger, and ESP webhooks through
django-anymail (Postmark's wire format) that suppress bounced and complaining addresses."""

import base64
import json

import pytest
from django.core import signing
from django.test import Client
from django.utils import timezone

from apps.campaigns.models import CampaignSend, Suppression, TrackingEvent
from apps.campaigns.services import content as c
from apps.campaigns.services.campaigns import campaign_create, campaign_send
from apps.campaigns.services.sending import campaigns_tick
from apps.messaging.models import ConsentRecord

from .conftest import consenting

pytestmark = pytest.mark.django_db
IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148"


@pytest.fixture
def sent(manager, outbox, settings, django_capture_on_commit_callbacks):
    """Two customers sent an email with one link; returns (campaign, sends, outbox)."""
    settings.MESSAGING_DEFAULT_QUIET_HOURS = {}
    settings.CAMPAIGNS_PREFETCH_SECONDS = 0
    customers = consenting(2)
    campaign = campaign_create(
        actor=manager,
        name="Renew",
        type="email",
        channels=["email"],
        target_audience={"customer_ids": [x.pk for x in customers]},
        content={"subject": "Renew", "body": "Hello {{ first_name }}: https://insureops.example/offer?x=1."},
    )
    with django_capture_on_commit_callbacks(execute=True):
        campaign_send(campaign=campaign, actor=manager)
    return campaign, list(CampaignSend.objects.filter(campaign=campaign).order_by("pk")), outbox


def _path(url: str) -> str:
    return url.split("://", 1)[1].split("/", 1)[1].join(["/", ""])


def test_pixel_counts_a_person_once_and_machines_apart(sent):
    campaign, (one, two), _ = sent
    client = Client()
    url = _path(c.open_url(one.pk))

    for _ in range(2):
        response = client.get(url, HTTP_USER_AGENT=IPHONE, REMOTE_ADDR="81.84.1.1")
        assert response.status_code == 200
        assert response["Content-Type"] == "image/gif"
    client.get(_path(c.open_url(two.pk)), HTTP_USER_AGENT="Mozilla/5.0", REMOTE_ADDR="17.58.1.2")  # Apple MPP

    one.refresh_from_db()
    two.refresh_from_db()
    assert one.opened_at is not None
    assert two.opened_at is None
    assert two.machine_opened_at is not None
    assert TrackingEvent.objects.filter(campaign=campaign, kind="open").count() == 2  # the log has both hits
    assert client.get("/c/o/1:forged.gif").status_code == 404


def test_click_redirects_only_to_the_campaigns_own_link(sent):
    campaign, (one, _), outbox = sent
    body = next(m.body for m in outbox if m.to[0] == one.address)
    link = next(word for word in body.split() if "/c/k/" in word).rstrip(".")

    response = Client().get(_path(link))

    assert response.status_code == 302
    assert response["Location"] == "https://insureops.example/offer?x=1"
    one.refresh_from_db()
    assert one.clicked_at is not None
    assert one.opened_at is not None


def test_forged_or_altered_click_tokens_are_refused_and_not_counted(sent):
    campaign, (one, _), _ = sent
    genuine = c.click_token(one.pk, 0)
    forged = signing.dumps([one.pk, 0], key="not-our-secret", salt=c.CLICK_SALT)
    payload, signature = genuine.rsplit(":", 1)
    other_link = signing.dumps([one.pk, 5], salt=c.CLICK_SALT)  # genuine signature, a link the variant lacks
    client = Client()

    for token in (forged, payload + ":" + signature[::-1], "garbage"):
        response = client.get(f"/c/k/{token}")
        assert response.status_code == 400, token
        assert "Location" not in response
    assert client.get(f"/c/k/{other_link}").status_code == 404
    one.refresh_from_db()
    assert one.clicked_at is None
    assert not TrackingEvent.objects.filter(kind="click").exists()


def test_one_click_unsubscribe_withdraws_marketing_consent_once(
    sent, manager, outbox, django_capture_on_commit_callbacks
):
    campaign, (one, two), _ = sent
    url = _path(c.unsubscribe_url(one.pk))
    client = Client(enforce_csrf_checks=True)

    page = client.get(url)
    assert page.status_code == 200
    assert one.address in page.content.decode()
    assert not ConsentRecord.objects.filter(address=one.address, granted=False).exists()  # GET changes nothing
    for _ in range(2):  # a mail client may POST twice
        response = client.post(url, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded")
        assert response.status_code == 200

    withdrawals = ConsentRecord.objects.filter(address=one.address, channel="email", purpose="marketing", granted=False)
    assert withdrawals.count() == 1
    assert TrackingEvent.objects.filter(send=one, kind="unsubscribe").count() == 1
    # the next campaign does not reach them
    again = campaign_create(
        actor=manager,
        name="Again",
        type="email",
        channels=["email"],
        target_audience={"customer_ids": [one.customer_id, two.customer_id]},
        content={"subject": "Again", "body": "Hi"},
    )
    outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        campaign_send(campaign=again, actor=manager)
    assert [m.to[0] for m in outbox] == [two.address]
    assert CampaignSend.objects.get(campaign=again, customer_id=one.customer_id).reason == "opted_out"


def _postmark(event, secret="hook:s3cret"):
    auth = base64.b64encode(secret.encode()).decode()
    return Client().post(
        "/anymail/postmark/tracking/",
        json.dumps(event),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Basic {auth}",
    )


def _bounce(send, kind="HardBounce", event_id=1):
    return {
        "RecordType": "Bounce",
        "ID": event_id,
        "Type": kind,
        "TypeCode": 1,
        "MessageID": send.provider_message_id,
        "Email": send.address,
        "BouncedAt": timezone.now().isoformat(),
        "Description": "The server was unable to deliver your message (ex: unknown user, mailbox not found).",
        "Details": "550 5.1.1 User unknown",
    }


def test_esp_webhooks_track_delivery_and_suppress_bounces_and_complaints(sent, settings):
    settings.ANYMAIL = {"WEBHOOK_SECRET": "hook:s3cret"}
    campaign, (one, two), _ = sent
    complaint = {
        "RecordType": "SpamComplaint",
        "ID": 2,
        "Type": "SpamComplaint",
        "MessageID": two.provider_message_id,
        "Email": two.address,
        "BouncedAt": timezone.now().isoformat(),
    }

    assert _postmark(_bounce(two, "SoftBounce", event_id=3)).status_code == 200
    assert not Suppression.objects.exists()  # a temporary failure suppresses nothing
    assert _postmark(_bounce(one)).status_code == 200
    assert _postmark(complaint).status_code == 200
    assert _postmark(_bounce(one)).status_code == 200  # delivered again by the ESP: counted once

    one.refresh_from_db()
    assert one.status == "bounced"
    assert set(Suppression.objects.values_list("address", "reason")) == {
        (one.address, "bounce"),
        (two.address, "complaint"),
    }
    assert TrackingEvent.objects.filter(kind="bounce").count() == 1
    assert ConsentRecord.objects.filter(address=two.address, purpose="marketing", granted=False).exists()
    assert _postmark(_bounce(one, event_id=9), secret="hook:wrong").status_code == 400
    settings.ANYMAIL = {}
    assert _postmark(_bounce(one, event_id=10)).status_code == 403  # fails closed without a secret
    assert TrackingEvent.objects.filter(kind="bounce").count() == 1


def test_budget_spent_per_channel(sent):
    from apps.campaigns.selectors.analytics import campaign_analytics

    campaign, sends, _ = sent
    campaign.budget = 10
    campaign.save()
    budget = campaign_analytics(campaign)["budget"]
    assert budget["by_channel"] == {"email": {"sent": 2, "spent": "0.0020"}}
    assert (budget["spent"], budget["remaining"]) == ("0.0020", "9.9980")
    assert campaigns_tick()["dispatched"] == []  # a completed campaign gets no further pass


def test_gdpr_erasure_blanks_campaign_addresses_and_tracking_details(sent, make_user):
    from apps.accounts.roles import Role
    from apps.customers.services import customer_erase, customer_export

    campaign, (one, two), _ = sent
    Client().get(_path(c.open_url(one.pk)), HTTP_USER_AGENT=IPHONE, REMOTE_ADDR="81.84.1.1")
    admin = make_user(Role.ADMIN)
    import io
    import zipfile

    exported = zipfile.ZipFile(io.BytesIO(customer_export(customer=one.customer, actor=admin))).read("data.json")
    assert one.address in exported.decode()

    customer_erase(customer=one.customer, actor=admin, reason="Art. 17 request")

    one.refresh_from_db()
    two.refresh_from_db()
    assert one.address == ""
    assert two.address != ""
    event = TrackingEvent.objects.get(send=one, kind="open")
    assert (event.user_agent, event.ip) == ("", None)
    assert one.opened_at is not None  # the campaign's figures stay right


def test_sms_delivery_receipts_count_campaign_sends_as_delivered(settings):
    """Twilio's status callback (its real form fields, signed) for a campaign SMS: delivered → the send counts as
    delivered once (a repeat changes nothing), undelivered → failed; an unknown id is not counted."""
    from apps.campaigns.selectors.analytics import campaign_analytics
    from tests.factories.campaign import CampaignSendFactory
    from tests.messaging.test_webhooks import twilio_post

    config = {key: dict(value) for key, value in settings.MESSAGING_PROVIDER_CONFIG.items()}
    config["twilio"].update(account_sid="AC1", auth_token="twilio-token", from_number="+351210000001")
    settings.MESSAGING_PROVIDER_CONFIG = config
    one = CampaignSendFactory(channel="sms", address="+351912000001", provider="twilio", provider_message_id="SMc1")
    two = CampaignSendFactory(
        channel="sms",
        address="+351912000002",
        provider="twilio",
        provider_message_id="SMc2",
        recipient__campaign=one.campaign,
        recipient__variant=one.variant,
    )
    client = Client()

    answers = [
        twilio_post(client, {"MessageSid": "SMc1", "MessageStatus": "delivered"}),
        twilio_post(client, {"MessageSid": "SMc1", "MessageStatus": "delivered"}),
        twilio_post(client, {"MessageSid": "SMc2", "MessageStatus": "undelivered", "ErrorCode": "30003"}),
        twilio_post(client, {"MessageSid": "SMnobody", "MessageStatus": "delivered"}),
    ]

    assert [a.json()["data"]["statuses"] for a in answers] == [1, 1, 1, 0]
    one.refresh_from_db()
    two.refresh_from_db()
    assert (one.status, two.status) == ("delivered", "failed")
    assert one.delivered_at is not None
    assert TrackingEvent.objects.filter(send=one, kind="delivered").count() == 1
    figures = campaign_analytics(one.campaign)
    assert (figures["sent"], figures["delivered"], figures["failed"]) == (2, 1, 1)


def test_the_preference_page_sets_channel_by_purpose_consent_in_the_ledger(sent, make_user):
    """From a message's signed link (no sign-in) and from the signed-in portal: the matrix shows the ledger's
    current state; saving writes only the changed pairs, each one ledger entry; a forged link is refused."""
    from apps.accounts.roles import Role
    from apps.campaigns.services.preferences import consent_matrix
    from apps.messaging.services.consent import outbound_check

    campaign, (one, _two), _ = sent
    customer = one.customer
    url = c.unsubscribe_url(one.pk).replace("/c/u/", "/c/p/")
    browser = Client(enforce_csrf_checks=False)
    page = browser.get(_path(url))
    assert page.status_code == 200
    assert 'name="email:marketing" checked' in page.content.decode()
    before = ConsentRecord.objects.count()

    # marketing email off, marketing SMS on, service kept on every channel
    answer = browser.post(
        _path(url), {"email:service": "on", "sms:marketing": "on", "sms:service": "on", "whatsapp:service": "on"}
    )

    assert answer.status_code == 200
    assert "2 changes recorded" in answer.content.decode()
    assert ConsentRecord.objects.count() == before + 2
    rows = {r["channel"]: r["choices"] for r in consent_matrix(customer)}
    assert rows["email"] == {"marketing": False, "service": True}
    assert rows["sms"] == {"marketing": True, "service": True}
    assert not outbound_check(
        channel="email", address=customer.email, purpose="marketing", customer=customer, source="test"
    ).allowed
    assert (
        browser.post(
            _path(url), {"email:service": "on", "sms:marketing": "on", "sms:service": "on", "whatsapp:service": "on"}
        ).status_code
        == 200
    )
    assert ConsentRecord.objects.count() == before + 2  # nothing changed, nothing written
    assert browser.get("/c/p/forged:token").status_code == 404

    account = make_user(Role.CUSTOMER)
    customer.user = account
    customer.save()
    portal = Client()
    portal.force_login(account)
    assert portal.get("/profile/preferences").status_code == 200
    assert portal.post("/profile/preferences", {"email:marketing": "on", "email:service": "on"}).status_code == 200
    rows = {r["channel"]: r["choices"] for r in consent_matrix(customer)}
    assert rows["email"]["marketing"] is True
    assert rows["sms"] == {"marketing": False, "service": False}
    assert rows["whatsapp"] == {"marketing": False, "service": False}  # unticked: withdrawn
    assert ConsentRecord.objects.filter(customer=customer, recorded_by=account).count() == 4
