"""Web Push from the customer's profile in a real browser (Chromium, the portal on Django's live server, strict CSP):
the service worker registers at the site root, "Turn on" subscribes this browser with the server's VAPID key and
saves the subscription with the chosen types, a notification of a chosen type is then encrypted for the browser's
keys and posted to its push service (decrypted here with the browser's own private key), and "Turn off" removes it.

Headless Chromium refuses a real push registration ("Registration failed - permission denied": it has no push
service), so the browser's side of that one boundary — `PushManager.subscribe()`, the call that registers with the
push service — is replaced in the page by one that makes a real P-256 key pair and auth secret with WebCrypto and
a push endpoint, as the push service would. Everything else is the page's own script and service worker."""

import base64
import json

import http_ece
import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.db import transaction
from playwright.sync_api import expect

from apps.accounts.roles import Role
from apps.messaging.models import PushSubscription
from apps.messaging.services import push
from apps.notifications.services import notify
from tests.factories.customers import CustomerFactory
from tests.messaging.test_push import PushService

pytestmark = pytest.mark.django_db(transaction=True)
ENDPOINT = "https://push.example.net/wpush/v2/browser-1"

# The push service's half of PushManager.subscribe(): real keys from WebCrypto, kept for the test to decrypt with.
FAKE_PUSH_SERVICE = """
(() => {
  const b64 = (buf) => btoa(String.fromCharCode(...new Uint8Array(buf)))
    .replace(/\\+/g, "-").replace(/\\//g, "_").replace(/=+$/, "");
  let current = null;
  window.__pushKeys = null;
  window.__subscribeOptions = null;
  Notification.requestPermission = () => Promise.resolve("granted");
  PushManager.prototype.getSubscription = function () { return Promise.resolve(current); };
  PushManager.prototype.subscribe = async function (options) {
    window.__subscribeOptions = { userVisibleOnly: options.userVisibleOnly, key: b64(options.applicationServerKey) };
    const pair = await crypto.subtle.generateKey({ name: "ECDH", namedCurve: "P-256" }, true, ["deriveBits"]);
    const publicRaw = await crypto.subtle.exportKey("raw", pair.publicKey);
    const auth = crypto.getRandomValues(new Uint8Array(16));
    window.__pushKeys = { jwk: await crypto.subtle.exportKey("jwk", pair.privateKey), auth: b64(auth) };
    const json = { endpoint: "__ENDPOINT__", expirationTime: null, keys: { p256dh: b64(publicRaw), auth: b64(auth) } };
    current = {
      endpoint: json.endpoint,
      toJSON: () => json,
      unsubscribe: () => { current = null; return Promise.resolve(true); },
    };
    return current;
  };
})();
""".replace("__ENDPOINT__", ENDPOINT)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@pytest.fixture
def vapid(settings, monkeypatch):
    key = ec.generate_private_key(ec.SECP256R1())
    settings.WEBPUSH_VAPID_PRIVATE_KEY = _b64(key.private_numbers().private_value.to_bytes(32, "big"))
    settings.WEBPUSH_VAPID_PUBLIC_KEY = _b64(
        key.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    )
    service = PushService()
    session = requests.Session()
    session.mount("https://", service)
    monkeypatch.setattr(push, "requests_session_override", session)
    return service


def test_a_customer_turns_on_push_in_their_profile_and_receives_a_notification(
    live_server, new_page, make_user, password, vapid, settings
):
    user = make_user(Role.CUSTOMER, email="dana@example.org", first_name="Dana")
    CustomerFactory(user=user, email="dana@example.org")
    page = new_page()
    page.context.add_init_script(FAKE_PUSH_SERVICE)
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Email").fill("dana@example.org")
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/")

    page.goto(f"{live_server.url}/profile")
    panel = page.locator("[data-push-panel]")
    expect(panel.get_by_role("status")).to_have_text("Off for this browser.")
    scope = page.evaluate("navigator.serviceWorker.getRegistration().then(r => r && r.scope)")
    assert scope == f"{live_server.url}/"
    panel.get_by_label("System").uncheck()
    panel.get_by_role("button", name="Turn on for this browser").click()
    expect(panel.get_by_role("status")).to_have_text("On for this browser.")

    subscription = PushSubscription.objects.get()
    assert (subscription.user, subscription.endpoint, subscription.types) == (
        user,
        ENDPOINT,
        ["assignment", "reminder", "update"],
    )
    options = page.evaluate("window.__subscribeOptions")
    assert options == {"userVisibleOnly": True, "key": settings.WEBPUSH_VAPID_PUBLIC_KEY}
    keys = page.evaluate("window.__pushKeys")
    with transaction.atomic():
        notify(
            user=user,
            kind="update",
            event="claim:status_changed",
            title="Claim moved",
            message="Assessed",
            link="/claims/1",
            email=False,
        )
        notify(user=user, kind="system", event="system:notice", title="Maintenance", message="Tonight", email=False)

    assert [r.url for r in vapid.requests] == [ENDPOINT]  # "system" was not chosen
    private = ec.derive_private_key(int.from_bytes(_unb64(keys["jwk"]["d"]), "big"), ec.SECP256R1())
    plain = http_ece.decrypt(
        vapid.requests[0].body, private_key=private, auth_secret=_unb64(keys["auth"]), version="aes128gcm"
    )
    assert (json.loads(plain)["title"], json.loads(plain)["link"]) == ("Claim moved", "/claims/1")

    panel.get_by_role("button", name="Turn off for this browser").click()
    expect(panel.get_by_role("status")).to_have_text("Off for this browser.")
    assert PushSubscription.objects.count() == 0
    assert [e for e in page.console_errors if "WebSocket" not in e] == []


def test_the_service_worker_is_served_from_the_root(client):
    response = client.get("/push-sw.js")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Service-Worker-Allowed"] == "/"
    assert b'addEventListener("push"' in response.content
