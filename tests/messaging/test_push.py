"""Web Push at the push service's HTTP boundary: a new notification of a chosen type is encrypted (RFC 8291,
aes128gcm) for the browser's keys and posted with a VAPID signature (RFC 8292); 410 removes the subscription."""

import base64
import json
import os

import http_ece
import jwt
import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from requests.adapters import BaseAdapter

from apps.accounts.roles import Role
from apps.messaging.models import PushSubscription
from apps.messaging.services import push
from apps.notifications.services import notify
from tests.factories.messaging import PushSubscriptionFactory

pytestmark = pytest.mark.django_db


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


class PushService(BaseAdapter):
    """The push service: records each request and answers with the queued status (201 by default)."""

    def __init__(self):
        super().__init__()
        self.requests, self.statuses = [], []

    def send(self, request, **kwargs):
        self.requests.append(request)
        response = requests.Response()
        response.status_code = self.statuses.pop(0) if self.statuses else 201
        response.request, response.url, response._content = request, request.url, b""
        return response

    def close(self):
        pass


@pytest.fixture
def browser():
    key = ec.generate_private_key(ec.SECP256R1())
    public = key.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return {"key": key, "p256dh": b64(public), "auth_raw": (auth := os.urandom(16)), "auth": b64(auth)}


@pytest.fixture
def push_service(settings, monkeypatch):
    vapid = ec.generate_private_key(ec.SECP256R1())
    settings.WEBPUSH_VAPID_PRIVATE_KEY = b64(vapid.private_numbers().private_value.to_bytes(32, "big"))
    settings.WEBPUSH_VAPID_PUBLIC_KEY = b64(
        vapid.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    )
    service = PushService()
    session = requests.Session()
    session.mount("https://", service)
    monkeypatch.setattr(push, "requests_session_override", session)
    service.vapid_public = vapid.public_key()
    return service


def test_a_chosen_notification_type_is_pushed_encrypted_and_signed(
    make_user, browser, push_service, django_capture_on_commit_callbacks
):
    user = make_user(Role.CUSTOMER)
    PushSubscriptionFactory(
        user=user,
        endpoint="https://push.example.net/send/abc",
        p256dh=browser["p256dh"],
        auth=browser["auth"],
        types=["update"],
    )

    with django_capture_on_commit_callbacks(execute=True):
        notify(
            user=user,
            kind="update",
            event="claim:status_changed",
            title="Claim moved",
            message="Your claim is in assessment",
            link="/claims/1",
            email=False,
        )
        notify(user=user, kind="reminder", event="instalment:due", title="Pay", message="Due", email=False)

    assert len(push_service.requests) == 1  # the reminder type was not chosen
    request = push_service.requests[0]
    assert request.url == "https://push.example.net/send/abc"
    assert request.headers["Content-Encoding"] == "aes128gcm"
    assert request.headers["TTL"] == "3600"
    scheme, _, params = request.headers["Authorization"].partition(" ")
    fields = dict(part.split("=", 1) for part in params.split(","))
    assert scheme == "vapid"
    assert fields["k"].rstrip("=") == b64(
        push_service.vapid_public.public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
    )
    claims = jwt.decode(
        fields["t"], push_service.vapid_public, algorithms=["ES256"], audience="https://push.example.net"
    )
    assert claims["sub"] == "mailto:ops@insureops.example"
    plain = http_ece.decrypt(
        request.body, private_key=browser["key"], auth_secret=browser["auth_raw"], version="aes128gcm"
    )
    assert json.loads(plain)["title"] == "Claim moved"
    assert json.loads(plain)["link"] == "/claims/1"


def test_a_gone_subscription_is_removed(make_user, browser, push_service, django_capture_on_commit_callbacks):
    user = make_user(Role.AGENT)
    PushSubscriptionFactory(user=user, p256dh=browser["p256dh"], auth=browser["auth"])
    push_service.statuses.append(410)

    with django_capture_on_commit_callbacks(execute=True):
        notify(user=user, kind="assignment", event="case:assigned", title="Case", message="Yours", email=False)

    assert len(push_service.requests) == 1
    assert PushSubscription.objects.count() == 0


def test_subscribe_list_and_unsubscribe_in_the_preferences(auth_client, browser, push_service):
    client, user = auth_client(Role.CUSTOMER)
    body = {
        "endpoint": "https://push.example.net/send/xyz",
        "keys": {"p256dh": browser["p256dh"], "auth": browser["auth"]},
        "types": ["update", "reminder"],
    }

    created = client.post("/api/v1/notifications/push-subscriptions", body, format="json")
    again = client.post("/api/v1/notifications/push-subscriptions", {**body, "types": ["update"]}, format="json")
    http = client.post(
        "/api/v1/notifications/push-subscriptions", {**body, "endpoint": "http://insecure.example/x"}, format="json"
    )
    listed = client.get("/api/v1/notifications/push-subscriptions").json()["data"]
    deleted = client.delete(f"/api/v1/notifications/push-subscriptions/{created.json()['data']['id']}")

    assert created.status_code == 201
    assert again.json()["data"]["types"] == ["update"]
    assert http.status_code == 400
    assert listed["enabled"] is True
    assert [s["endpoint"] for s in listed["subscriptions"]] == ["https://push.example.net/send/xyz"]
    assert deleted.status_code == 204
    assert PushSubscription.objects.count() == 0


def test_nothing_is_pushed_without_vapid_keys(
    make_user, browser, push_service, settings, django_capture_on_commit_callbacks
):
    settings.WEBPUSH_VAPID_PRIVATE_KEY = ""
    user = make_user(Role.CUSTOMER)
    PushSubscriptionFactory(user=user, p256dh=browser["p256dh"], auth=browser["auth"])

    with django_capture_on_commit_callbacks(execute=True):
        notify(user=user, kind="update", event="claim:status_changed", title="x", message="y", email=False)

    assert push_service.requests == []
