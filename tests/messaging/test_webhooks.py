"""POST /api/v1/webhooks/incoming-message: signed per provider, failing closed, idempotent, linking the sender,
publishing message:incoming; delivery receipts; Meta's GET handshake; bad input answered clearly, nothing stored."""

import json
from urllib.parse import urlencode

import pytest
from rest_framework.test import APIClient

from apps.accounts.roles import Role
from apps.core import events
from apps.customers.services import customer_create
from apps.messaging.models import ConsentRecord, Conversation, Message, WhatsAppTemplate
from apps.messaging.providers.meta import meta_signature
from apps.messaging.providers.sandbox import inbound_payload, sandbox_signature
from apps.messaging.providers.twilio import twilio_signature
from tests.factories.customers import CustomerFactory
from tests.factories.messaging import MessageFactory, WhatsAppTemplateFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/webhooks/incoming-message"
FULL = "http://testserver" + URL


@pytest.fixture
def heard(monkeypatch):
    got = []
    monkeypatch.setattr(events, "deliver", lambda event, groups: got.append((event, groups)))
    return got


def twilio_post(client, params: dict, *, token="twilio-token", query="", signature=None):
    url = FULL + query
    sig = signature if signature is not None else twilio_signature(token, url, {k: [v] for k, v in params.items()})
    return client.post(
        URL + query,
        data=urlencode(params),
        content_type="application/x-www-form-urlencoded",
        HTTP_X_TWILIO_SIGNATURE=sig,
    )


def sms(sid="SM100", sender="+351912345678", body="When does my policy renew?"):
    return {
        "MessageSid": sid,
        "AccountSid": "AC1",
        "From": sender,
        "To": "+351210000001",
        "Body": body,
        "NumMedia": "0",
        "SmsStatus": "received",
    }


def test_a_signed_twilio_sms_is_stored_linked_and_announced(
    providers_configured, heard, django_capture_on_commit_callbacks
):
    customer = CustomerFactory(phone="+351912345678", agent=None)
    client = APIClient()

    with django_capture_on_commit_callbacks(execute=True):
        response = twilio_post(client, sms())

    assert response.status_code == 200, response.content
    data = response.json()["data"]
    assert (data["received"], data["duplicates"]) == (1, 0)
    message = Message.objects.get()
    assert (message.customer_id, message.channel, message.direction, message.from_address) == (
        customer.pk,
        "sms",
        "inbound",
        "+351912345678",
    )
    assert message.conversation.customer_id == customer.pk
    assert Conversation.objects.get().unread_count == 1
    event, groups = heard[0]
    assert event["event"] == "message:incoming"
    assert event["data"]["customer_id"] == customer.pk
    assert event["data"]["preview"] == "When does my policy renew?"
    assert "role.manager" in groups


def test_the_same_webhook_twice_stores_one_message(providers_configured, heard, django_capture_on_commit_callbacks):
    CustomerFactory(phone="+351912345678")
    client = APIClient()

    with django_capture_on_commit_callbacks(execute=True):
        first = twilio_post(client, sms())
        second = twilio_post(client, sms())

    assert second.status_code == 200
    assert (second.json()["data"]["received"], second.json()["data"]["duplicates"]) == (0, 1)
    assert first.json()["data"]["message_ids"] == second.json()["data"]["message_ids"]
    assert Message.objects.count() == 1
    assert Conversation.objects.get().unread_count == 1
    assert len(heard) == 1


@pytest.mark.parametrize(
    ("signature", "code"),
    [("", "bad_signature"), ("AAAAAAAAAAAAAAAAAAAAAAAAAAA=", "bad_signature"), ("ünïcode", "bad_signature")],
)
def test_a_wrong_or_missing_signature_stores_nothing(providers_configured, signature, code):
    response = twilio_post(APIClient(), sms(), signature=signature)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == code
    assert Message.objects.count() == 0


def test_a_signature_over_other_parameters_is_refused(providers_configured):
    params = sms()
    forged = twilio_signature("twilio-token", FULL, {k: [v] for k, v in {**params, "Body": "hello"}.items()})

    response = twilio_post(APIClient(), params, signature=forged)

    assert response.status_code == 400
    assert Message.objects.count() == 0


def test_without_a_configured_secret_the_webhook_fails_closed():
    response = twilio_post(APIClient(), sms(), token="anything")

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "webhook_not_configured"
    assert Message.objects.count() == 0


def test_no_signature_header_at_all_is_refused():
    response = APIClient().post(URL, data=json.dumps({"type": "message"}), content_type="application/json")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "bad_signature"


def test_an_unknown_number_gets_its_own_conversation_until_it_becomes_a_customer(
    providers_configured, make_user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = twilio_post(APIClient(), sms(sender="+351913333333"))
    message = Message.objects.get()

    assert response.status_code == 200
    assert message.customer_id is None
    assert Conversation.objects.get().address == "+351913333333"
    assert len(callbacks) >= 1

    with django_capture_on_commit_callbacks(execute=True):
        customer = customer_create(
            actor=make_user(Role.AGENT), first_name="Rita", last_name="Sousa", phone="+351913333333"
        )
    message.refresh_from_db()

    assert message.customer_id == customer.pk
    assert Conversation.objects.get().customer_id == customer.pk


def test_an_invalid_sender_number_is_refused_and_nothing_is_stored(providers_configured):
    response = twilio_post(APIClient(), sms(sender="not-a-number"))

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_address"
    assert Message.objects.count() == Conversation.objects.count() == 0


def test_stop_by_sms_withdraws_consent(providers_configured, django_capture_on_commit_callbacks):
    customer = CustomerFactory(phone="+351912345678", communication_preferences={"channels": {"sms": True}})

    with django_capture_on_commit_callbacks(execute=True):
        twilio_post(APIClient(), sms(body="Stop"))

    assert sorted(ConsentRecord.objects.filter(customer=customer).values_list("purpose", "granted")) == [
        ("marketing", False),
        ("service", False),
    ]


def test_delivery_receipts_move_the_status_forward_only(providers_configured):
    out = MessageFactory(direction="outbound", provider="twilio", provider_message_id="SM9", status="sent")
    client = APIClient()

    delivered = twilio_post(client, {"MessageSid": "SM9", "MessageStatus": "delivered"})
    late = twilio_post(client, {"MessageSid": "SM9", "MessageStatus": "sent"})
    failed_after = twilio_post(client, {"MessageSid": "SM9", "MessageStatus": "failed", "ErrorCode": "30003"})
    out.refresh_from_db()

    assert [r.json()["data"]["statuses"] for r in (delivered, late, failed_after)] == [1, 1, 1]
    assert out.status == "delivered"


def meta_post(client, body: dict, secret="meta-secret"):
    raw = json.dumps(body).encode()
    return client.post(
        URL, data=raw, content_type="application/json", HTTP_X_HUB_SIGNATURE_256=meta_signature(secret, raw)
    )


def test_a_signed_whatsapp_message_and_template_review(providers_configured, django_capture_on_commit_callbacks):
    customer = CustomerFactory(phone="+351912345678")
    template = WhatsAppTemplateFactory(name="service_notice", language="en", status="pending", approved_at=None)
    body = {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": "1",
                "changes": [
                    {
                        "field": "messages",
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {"display_phone_number": "351210000001", "phone_number_id": "1065"},
                            "messages": [
                                {
                                    "from": "351912345678",
                                    "id": "wamid.A1",
                                    "timestamp": "1767225600",
                                    "type": "text",
                                    "text": {"body": "Olá"},
                                }
                            ],
                        },
                    },
                    {
                        "field": "message_template_status_update",
                        "value": {
                            "event": "APPROVED",
                            "message_template_name": "service_notice",
                            "message_template_language": "en_US",
                        },
                    },
                ],
            }
        ],
    }

    with django_capture_on_commit_callbacks(execute=True):
        response = meta_post(APIClient(), body)
        again = meta_post(APIClient(), body)
    wrong = meta_post(APIClient(), body, secret="other")

    assert response.status_code == 200, response.content
    assert Message.objects.get().customer_id == customer.pk
    assert Message.objects.get().channel == "whatsapp"
    template.refresh_from_db()
    assert template.status == WhatsAppTemplate.Status.APPROVED
    assert template.approved_at is not None
    assert again.json()["data"]["duplicates"] == 1
    assert wrong.status_code == 400


def test_a_malformed_whatsapp_body_is_refused(providers_configured):
    response = meta_post(APIClient(), {"object": "whatsapp_business_account"})

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "malformed_event"


def test_the_meta_handshake(providers_configured):
    client = APIClient()

    ok = client.get(URL, {"hub.mode": "subscribe", "hub.verify_token": "vt-1", "hub.challenge": "1158201444"})
    wrong = client.get(URL, {"hub.mode": "subscribe", "hub.verify_token": "nope", "hub.challenge": "1"})

    assert (ok.status_code, ok.content, ok["Content-Type"]) == (200, b"1158201444", "text/plain; charset=utf-8")
    assert wrong.status_code == 400


def test_the_handshake_fails_closed_without_a_verify_token():
    response = APIClient().get(URL, {"hub.mode": "subscribe", "hub.verify_token": "", "hub.challenge": "1"})

    assert response.status_code == 403


def test_a_sandbox_event_batch_is_all_or_nothing(django_capture_on_commit_callbacks):
    good = json.loads(inbound_payload(channel="sms", from_address="+351912345678", body="hi"))
    bad = {**good, "id": "other", "from": "garbage"}
    raw = json.dumps({"events": [good, bad]}).encode()

    response = APIClient().post(
        URL,
        data=raw,
        content_type="application/json",
        HTTP_X_SANDBOX_SIGNATURE=sandbox_signature("sandbox-messaging-secret", raw),
    )

    assert response.status_code == 400
    assert Message.objects.count() == 0


def test_an_oversized_webhook_body_is_refused(providers_configured):
    raw = b"{" + b" " * (1024 * 1024 + 10) + b"}"

    response = APIClient().post(
        URL, data=raw, content_type="application/json", HTTP_X_HUB_SIGNATURE_256=meta_signature("meta-secret", raw)
    )

    assert response.status_code == 413
