"""The provider adapters at the HTTP boundary (httpx.MockTransport), with the providers' real wire formats and
signatures (Twilio's published request-validator vectors)."""

import json
from urllib.parse import parse_qs

import httpx
import pytest

from apps.core.exceptions import Invalid
from apps.messaging.providers import base
from apps.messaging.providers.base import OutboundMessage, ProviderError, WebhookNotConfigured, WebhookRequest
from apps.messaging.providers.meta import WhatsAppCloud, meta_signature
from apps.messaging.providers.twilio import Twilio, twilio_signature

TWILIO = {
    "account_sid": "AC123",
    "auth_token": "12345",
    "from_number": "+351210000001",
    "base_url": "https://api.twilio.com",
}
META = {
    "access_token": "tok",
    "phone_number_id": "1065",
    "app_secret": "s3cret",
    "verify_token": "vt",
    "api_version": "v21.0",
}


@pytest.fixture
def http(monkeypatch):
    """Record requests and answer them with the queued responses."""
    seen, answers = [], []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    monkeypatch.setattr(base, "transport_override", httpx.MockTransport(handler))
    return seen, answers


def test_twilio_signature_matches_twilios_published_vectors():
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    params = {
        "CallSid": ["CA1234567890ABCDE"],
        "Digits": ["1234"],
        "From": ["+14158675309"],
        "To": ["+18005551212"],
        "Caller": ["+14158675309"],
    }
    duplicates = {"Sid": ["CA123"], "SidAccount": ["AC123"], "Digits": ["5678", "1234"]}

    assert twilio_signature("12345", url, params) == "RSOYDt4T1cUTdK1PDd93/VVr8B8="
    assert twilio_signature("12345", url, duplicates) == "IK+Dwps556ElfBT0I3Rgjkr1wJU="


def test_twilio_verifies_with_or_without_the_default_port():
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    params = {
        "CallSid": ["CA1234567890ABCDE"],
        "Digits": ["1234"],
        "From": ["+14158675309"],
        "To": ["+18005551212"],
        "Caller": ["+14158675309"],
    }
    twilio = Twilio(TWILIO)
    with_port = "https://mycompany.com:443/myapp.php?foo=1&bar=2"

    twilio.verify(WebhookRequest(url, "POST", {"x-twilio-signature": "RSOYDt4T1cUTdK1PDd93/VVr8B8="}, b"", params))
    twilio.verify(
        WebhookRequest(with_port, "POST", {"x-twilio-signature": "RSOYDt4T1cUTdK1PDd93/VVr8B8="}, b"", params)
    )
    with pytest.raises(Invalid):
        twilio.verify(WebhookRequest(url, "POST", {"x-twilio-signature": "RSOYDt4T1cUTdK1PDd93/VVr8B9="}, b"", params))
    with pytest.raises(WebhookNotConfigured):
        Twilio({}).verify(WebhookRequest(url, "POST", {"x-twilio-signature": "x"}, b"", params))


def test_twilio_send_posts_the_form_with_basic_auth(http):
    seen, answers = http
    answers.append(httpx.Response(201, json={"sid": "SM0123456789abcdef0123456789abcdef", "status": "queued"}))

    result = Twilio(
        {**TWILIO, "status_callback": "https://x.test/api/v1/webhooks/incoming-message?provider=twilio"}
    ).send(OutboundMessage(channel="sms", to="+351912345678", body="Olá, a sua apólice renova"))

    request = seen[0]
    assert str(request.url) == "https://api.twilio.com/2010-04-01/Accounts/AC123/Messages.json"
    assert request.headers["Authorization"] == "Basic QUMxMjM6MTIzNDU="  # AC123:12345
    assert parse_qs(request.content.decode()) == {
        "To": ["+351912345678"],
        "Body": ["Olá, a sua apólice renova"],
        "From": ["+351210000001"],
        "StatusCallback": ["https://x.test/api/v1/webhooks/incoming-message?provider=twilio"],
    }
    assert (result.provider_message_id, result.status) == ("SM0123456789abcdef0123456789abcdef", "queued")


def test_twilio_errors_carry_its_code_and_message(http):
    _, answers = http
    answers.append(httpx.Response(400, json={"code": 21211, "message": "The 'To' number is not valid.", "status": 400}))
    answers.append(httpx.Response(503, text="busy"))
    answers.append(httpx.TimeoutException("slow"))
    twilio = Twilio(TWILIO)
    message = OutboundMessage(channel="sms", to="+351912345678", body="x")

    with pytest.raises(ProviderError) as refused:
        twilio.send(message)
    with pytest.raises(ProviderError) as down:
        twilio.send(message)
    with pytest.raises(ProviderError) as slow:
        twilio.send(message)

    assert (refused.value.code, refused.value.message, refused.value.retryable) == (
        "21211",
        "The 'To' number is not valid.",
        False,
    )
    assert down.value.retryable
    assert slow.value.retryable


def test_twilio_parses_inbound_and_status_callbacks():
    twilio = Twilio(TWILIO)
    inbound = twilio.parse(
        WebhookRequest(
            "",
            "POST",
            {},
            b"",
            {
                "MessageSid": ["SM1"],
                "From": ["whatsapp:+351912345678"],
                "To": ["whatsapp:+351210000001"],
                "Body": ["STOP"],
                "SmsStatus": ["received"],
            },
        )
    )
    receipt = twilio.parse(
        WebhookRequest(
            "", "POST", {}, b"", {"MessageSid": ["SM2"], "MessageStatus": ["undelivered"], "ErrorCode": ["30003"]}
        )
    )

    assert (inbound[0].channel, inbound[0].from_address, inbound[0].body) == (
        "whatsapp",
        "whatsapp:+351912345678",
        "STOP",
    )
    assert (receipt[0].provider_message_id, receipt[0].status, receipt[0].error_code) == ("SM2", "failed", "30003")


def test_whatsapp_cloud_sends_text_and_templates_in_the_graph_api_format(http):
    seen, answers = http
    answers += [
        httpx.Response(
            200,
            json={
                "messaging_product": "whatsapp",
                "contacts": [{"input": "351912345678", "wa_id": "351912345678"}],
                "messages": [{"id": "wamid.HBgM1"}],
            },
        ),
        httpx.Response(200, json={"messages": [{"id": "wamid.HBgM2"}]}),
    ]
    cloud = WhatsAppCloud(META)

    text = cloud.send(OutboundMessage(channel="whatsapp", to="+351912345678", body="Hello"))
    template = cloud.send(
        OutboundMessage(
            channel="whatsapp",
            to="+351912345678",
            template_name="service_notice",
            template_language="en",
            variables=("Your policy renews",),
        )
    )

    assert str(seen[0].url) == "https://graph.facebook.com/v21.0/1065/messages"
    assert seen[0].headers["Authorization"] == "Bearer tok"
    assert json.loads(seen[0].content) == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": "351912345678",
        "type": "text",
        "text": {"preview_url": False, "body": "Hello"},
    }
    assert json.loads(seen[1].content)["template"] == {
        "name": "service_notice",
        "language": {"code": "en"},
        "components": [{"type": "body", "parameters": [{"type": "text", "text": "Your policy renews"}]}],
    }
    assert (text.provider_message_id, template.provider_message_id) == ("wamid.HBgM1", "wamid.HBgM2")


def test_whatsapp_cloud_error_outside_the_window(http):
    _, answers = http
    answers.append(
        httpx.Response(
            400,
            json={
                "error": {
                    "message": "(#131047) Re-engagement message",
                    "type": "OAuthException",
                    "code": 131047,
                    "fbtrace_id": "A1",
                }
            },
        )
    )

    with pytest.raises(ProviderError) as refused:
        WhatsAppCloud(META).send(OutboundMessage(channel="whatsapp", to="+351912345678", body="Hello"))

    assert refused.value.code == "131047"


def test_meta_signature_handshake_and_parsing():
    body = json.dumps(
        {
            "object": "whatsapp_business_account",
            "entry": [
                {
                    "id": "WABA",
                    "changes": [
                        {
                            "field": "messages",
                            "value": {
                                "messaging_product": "whatsapp",
                                "metadata": {"display_phone_number": "351210000001", "phone_number_id": "1065"},
                                "contacts": [{"profile": {"name": "Ana"}, "wa_id": "351912345678"}],
                                "messages": [
                                    {
                                        "from": "351912345678",
                                        "id": "wamid.IN1",
                                        "timestamp": "1767225600",
                                        "type": "text",
                                        "text": {"body": "Olá"},
                                    }
                                ],
                                "statuses": [
                                    {
                                        "id": "wamid.OUT1",
                                        "status": "read",
                                        "timestamp": "1767225601",
                                        "recipient_id": "351912345678",
                                    }
                                ],
                            },
                        },
                        {
                            "field": "message_template_status_update",
                            "value": {
                                "event": "APPROVED",
                                "message_template_id": 9,
                                "message_template_name": "service_notice",
                                "message_template_language": "en_US",
                                "reason": "NONE",
                            },
                        },
                    ],
                }
            ],
        }
    ).encode()
    cloud = WhatsAppCloud(META)
    good = WebhookRequest("", "POST", {"x-hub-signature-256": meta_signature("s3cret", body)}, body)
    tampered = WebhookRequest("", "POST", {"x-hub-signature-256": meta_signature("s3cret", body)}, body + b" ")

    cloud.verify(good)
    with pytest.raises(Invalid):
        cloud.verify(tampered)
    events = cloud.parse(good)

    assert meta_signature("s3cret", b"{}") == "sha256=adbde1ce40c89c14215687d5d762a47df6dfaefcfad61e2e86718ffc8498571b"
    assert [type(e).__name__ for e in events] == ["Inbound", "StatusUpdate", "TemplateStatus"]
    assert (events[0].from_address, events[0].body, events[0].profile_name) == ("351912345678", "Olá", "Ana")
    assert (events[1].provider_message_id, events[1].status) == ("wamid.OUT1", "read")
    assert (events[2].name, events[2].language, events[2].status) == ("service_notice", "en_US", "approved")
    assert (
        cloud.handshake({"hub.mode": "subscribe", "hub.verify_token": "vt", "hub.challenge": "1158201444"})
        == "1158201444"
    )
    with pytest.raises(Invalid):
        cloud.handshake({"hub.mode": "subscribe", "hub.verify_token": "wrong", "hub.challenge": "1"})
