"""Domain events: queued until commit, fanned out to websocket groups, `/ws/events/` authentication."""

import ast
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import transaction
from django.test import Client

from apps.accounts.roles import Role
from apps.accounts.services import tokens_issue
from apps.core import events
from config.asgi import application
from tests.factories.accounts import UserFactory

ROOT = Path(__file__).resolve().parents[2]
ORIGIN = [(b"origin", b"http://testserver"), (b"host", b"testserver")]


@pytest.fixture
def received(monkeypatch):
    got: list[dict] = []

    def handler(event):
        got.append(event)

    monkeypatch.setitem(events.EVENTS, "test:happened", events.EventSpec(("n",), "A test's own event."))
    events.subscribe("test:happened", handler)
    yield got
    events._subscribers["test:happened"].remove(handler)


@pytest.mark.django_db
def test_event_is_delivered_only_after_commit(received, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        events.publish("test:happened", {"n": 1}, audience=["dashboard"])
        assert received == []
    assert [e["data"] for e in received] == [{"n": 1}]
    assert received[0]["event"] == "test:happened"


@pytest.mark.django_db(transaction=True)
def test_rolled_back_event_is_never_delivered(received):
    with pytest.raises(RuntimeError), transaction.atomic():
        events.publish("test:happened", {"n": 2}, audience=["dashboard"])
        raise RuntimeError("rollback")
    assert received == []


def test_invalid_audience_is_rejected():
    with pytest.raises(ValueError, match="Invalid audience"):
        events.publish("bench:ping", {"n": 1, "sent_at": 0.0}, audience=["has space"])


@pytest.mark.parametrize(
    "name",
    [
        "claim.status_changed",
        "renewal.batch_progress",
        "Claim:moved",
        "claim:",
        ":moved",
        "claim:status-changed",
        "claim:status:changed",
        "claim__x:moved",
        "claim:moved_",
        "notification:new ",
    ],
)
def test_publish_refuses_a_name_that_is_not_entity_verb(name):
    with pytest.raises(ValueError, match="entity:verb"):
        events.publish(name, {}, audience=["dashboard"])


def test_publish_and_subscribe_refuse_an_unlisted_event():
    with pytest.raises(ValueError, match="Unknown event 'claim:exploded'"):
        events.publish("claim:exploded", {"claim_id": 1}, audience=["dashboard"])
    with pytest.raises(ValueError, match="Unknown event 'widget:updated'"):
        events.subscribe("widget:updated", print)
    assert "widget:updated" not in events._subscribers


@pytest.mark.parametrize(
    "payload",
    [
        {"n": 1},  # sent_at missing
        {"n": 1, "sent_at": 0.0, "extra": True},  # a key the list does not know
    ],
)
def test_publish_refuses_a_payload_other_than_the_listed_one(payload):
    with pytest.raises(ValueError, match="Payload of bench:ping"):
        events.publish("bench:ping", payload, audience=["dashboard"])


def test_every_listed_event_is_entity_verb_and_used_by_the_code():
    """The list stays true to the code: an event nobody publishes any more is not listed."""
    used = {
        node.value
        for path in (ROOT / "apps").rglob("*.py")
        if path != ROOT / "apps" / "core" / "events.py"
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    }
    assert [name for name in events.EVENTS if not events.EVENT_NAME_RE.match(name)] == []
    assert sorted(set(events.EVENTS) - used) == []


def test_the_browser_scripts_listen_only_to_listed_events():
    """A renamed event would leave a script listening for the old name: every `x:y` string in static/js is one."""
    socket_own = {"connection:ready", "connection:pong"}
    named = {
        (path.name, name)
        for path in (ROOT / "static" / "js").glob("*.js")
        for name in re.findall(r"[\"']([a-z_]+:[a-z_]+)[\"']", path.read_text())
    }
    listened = {name for _, name in named}
    assert listened >= {"notification:new", "claim:updated", "claim:status_changed", "batch:progress"}
    assert sorted(item for item in named if item[1] not in events.EVENTS and item[1] not in socket_own) == []


async def _connect(path: str, headers=None, subprotocols=None):
    communicator = WebsocketCommunicator(
        application, path, headers=[*ORIGIN, *(headers or [])], subprotocols=subprotocols
    )
    connected, code = await communicator.connect(timeout=5)
    return communicator, connected, code


@pytest.mark.django_db(transaction=True)
async def test_unauthenticated_socket_is_closed():
    communicator, connected, code = await _connect("/ws/events/")
    assert connected is False
    assert code == 4401


@pytest.mark.django_db(transaction=True)
async def test_garbage_token_socket_is_closed():
    communicator, connected, code = await _connect("/ws/events/?token=garbage")
    assert connected is False
    assert code == 4401


@pytest.mark.django_db(transaction=True)
async def test_jwt_socket_joins_user_role_and_dashboard_groups_and_receives_events():
    user = await sync_to_async(UserFactory)(role=Role.AGENT)
    token = (await sync_to_async(tokens_issue)(user=user, otp_verified=False))["access_token"]

    communicator, connected, _ = await _connect(f"/ws/events/?token={token}")
    ready = await communicator.receive_json_from(timeout=5)

    assert connected is True
    assert ready["event"] == "connection:ready"
    assert set(ready["data"]["groups"]) == {f"user.{user.pk}", "role.agent", "dashboard"}

    def publish_committed():
        with transaction.atomic():
            events.publish("bench:ping", {"n": 7, "sent_at": 1.5}, audience=[f"user.{user.pk}"])
            events.publish("bench:ping", {"n": 8, "sent_at": 1.5}, audience=["role.manager"])  # not for this user

    await sync_to_async(publish_committed)()
    message = await communicator.receive_json_from(timeout=5)
    assert message["event"] == "bench:ping"
    assert message["data"] == {"n": 7, "sent_at": 1.5}
    assert await communicator.receive_nothing(timeout=0.3)
    await communicator.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_an_event_for_several_of_a_sockets_groups_arrives_once():
    user = await sync_to_async(UserFactory)(role=Role.MANAGER)
    token = (await sync_to_async(tokens_issue)(user=user, otp_verified=False))["access_token"]
    communicator, _, _ = await _connect(f"/ws/events/?token={token}")
    await communicator.receive_json_from(timeout=5)  # connection:ready

    def publish_committed():
        with transaction.atomic():
            events.publish(
                "bench:ping", {"n": 1, "sent_at": 1.5}, audience=["role.manager", "dashboard", f"user.{user.pk}"]
            )
            events.publish("bench:ping", {"n": 2, "sent_at": 1.5}, audience=["dashboard"])

    await sync_to_async(publish_committed)()
    first = await communicator.receive_json_from(timeout=5)
    second = await communicator.receive_json_from(timeout=5)
    assert [first["data"]["n"], second["data"]["n"]] == [1, 2]
    assert await communicator.receive_nothing(timeout=0.3)
    await communicator.send_json_to({"type": "ping"})
    assert await communicator.receive_json_from(timeout=5) == {"event": "connection:pong", "data": {}}
    await communicator.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_bearer_subprotocol_authenticates():
    user = await sync_to_async(UserFactory)(role=Role.CUSTOMER)
    token = (await sync_to_async(tokens_issue)(user=user, otp_verified=False))["access_token"]

    communicator, connected, subprotocol = await _connect("/ws/events/", subprotocols=["bearer", token])

    assert connected is True
    assert subprotocol == "bearer"
    ready = await communicator.receive_json_from(timeout=5)
    assert "dashboard" not in ready["data"]["groups"]  # customers get their own events only
    await communicator.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_session_cookie_authenticates():
    user = await sync_to_async(UserFactory)(role=Role.MANAGER)
    browser = Client()
    await sync_to_async(browser.force_login)(user)
    cookie = f"sessionid={browser.cookies['sessionid'].value}".encode()

    communicator, connected, _ = await _connect("/ws/events/", headers=[(b"cookie", cookie)])

    assert connected is True
    await communicator.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_socket_from_foreign_origin_is_refused():
    communicator = WebsocketCommunicator(application, "/ws/events/", headers=[(b"origin", b"http://evil.example")])
    connected, _ = await communicator.connect(timeout=5)
    assert connected is False


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
async def test_event_committed_in_another_process_reaches_the_socket_through_redis():
    user = await sync_to_async(UserFactory)(role=Role.AGENT)
    token = (await sync_to_async(tokens_issue)(user=user, otp_verified=False))["access_token"]
    communicator, connected, _ = await _connect(f"/ws/events/?token={token}")
    await communicator.receive_json_from(timeout=5)  # connection:ready

    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "PYTEST_XDIST_WORKER": os.environ.get("PYTEST_XDIST_WORKER", "gw0"),
    }
    result = await sync_to_async(subprocess.run)(
        [
            sys.executable,
            "manage.py",
            "broadcast",
            "Maintenance at 18:00",
            "--audience",
            f"user.{user.pk}",
            "--level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr

    message = await communicator.receive_json_from(timeout=10)
    assert message["event"] == "announcement:new"
    assert message["data"] == {"message": "Maintenance at 18:00", "level": "warning"}
    assert json.dumps(message)  # plain JSON over the wire
    await communicator.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_socket_refused_when_mfa_was_not_passed(settings):
    user = await sync_to_async(UserFactory)(role=Role.ADMIN)
    await sync_to_async(type(user).objects.filter(pk=user.pk).update)(mfa_enabled=True)
    await sync_to_async(user.refresh_from_db)()
    password_only = (await sync_to_async(tokens_issue)(user=user, otp_verified=False))["access_token"]
    with_otp = (await sync_to_async(tokens_issue)(user=user, otp_verified=True))["access_token"]

    _, refused, code = await _connect(f"/ws/events/?token={password_only}")
    communicator, accepted, _ = await _connect(f"/ws/events/?token={with_otp}")

    assert (refused, code) == (False, 4403)
    assert accepted is True
    await communicator.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_socket_refused_when_role_must_enrol_first(settings):
    settings.MFA_REQUIRED_ROLES = ["manager"]
    user = await sync_to_async(UserFactory)(role=Role.MANAGER)
    token = (await sync_to_async(tokens_issue)(user=user, otp_verified=False))["access_token"]

    _, connected, code = await _connect(f"/ws/events/?token={token}")

    assert (connected, code) == (False, 4403)
