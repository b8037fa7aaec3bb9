"""A batch's progress reaches the uploader's websocket as `batch:progress` events, chunk by chunk."""

import asyncio
import threading
from datetime import date, timedelta

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.accounts.roles import Role
from apps.accounts.services import tokens_issue
from apps.renewals import ingest
from config.asgi import application
from tests.factories.accounts import UserFactory
from tests.factories.policies import ProductFactory, ProductLineFactory

ORIGIN = [(b"origin", b"http://testserver"), (b"host", b"testserver")]


def _prepare():
    ProductFactory(code="motor", line=ProductLineFactory(code="auto"))
    manager, other = UserFactory(role=Role.MANAGER), UserFactory(role=Role.MANAGER)
    renew = (date.today() + timedelta(days=60)).isoformat()
    lines = ["Policy No,Customer Name,Expiry Date,Premium"]
    lines += [f"POL-W-{i:04d},Person {i},{renew},100" for i in range(25)] + [f"bad!,Bad,{renew},1"]
    upload = SimpleUploadedFile("ws.csv", ("\n".join(lines) + "\n").encode())
    batch, _ = ingest.batch_create(file=upload, policy_type="auto", actor=manager, enqueue=False)
    token = lambda user: tokens_issue(user=user, otp_verified=True)["access_token"]  # noqa: E731
    return batch.pk, token(manager), token(other)


async def _socket(token):
    communicator = WebsocketCommunicator(application, f"/ws/events/?token={token}", headers=ORIGIN)
    connected, _ = await communicator.connect(timeout=30)  # generous: the other xdist worker may be busy
    assert connected
    await communicator.receive_json_from(timeout=30)  # connection:ready
    return communicator


@pytest.mark.django_db(transaction=True)
def test_uploader_sees_progress_per_chunk_and_nobody_else_does(monkeypatch):
    """Runs its event loop in a thread of its own: a browser test earlier in the same worker leaves Playwright's
    loop running in the main thread, where pytest-asyncio could not start another."""
    monkeypatch.setattr(ingest, "CHUNK", 10)
    outcome = {}

    def run():
        try:
            asyncio.run(_scenario())
        except BaseException as exc:  # re-raised in the test's thread
            outcome["error"] = exc

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(120)
    assert not thread.is_alive(), "the websocket scenario did not finish in 120 s"
    if "error" in outcome:
        raise outcome["error"]


async def _scenario():
    batch_id, uploader_token, other_token = await sync_to_async(_prepare)()
    uploader, other = await _socket(uploader_token), await _socket(other_token)

    await sync_to_async(ingest.batch_process)(batch_id=batch_id)

    seen = []
    while not seen or seen[-1]["status"] != "completed":
        message = await uploader.receive_json_from(timeout=30)
        if message.get("event") == "batch:progress":
            seen.append(message["data"])
    assert [s["processed_records"] for s in seen] == [10, 20, 26, 26]
    assert seen[-1] | {"batch_id": batch_id} == {
        "batch_id": batch_id,
        "status": "completed",
        "total_records": 26,
        "processed_records": 26,
        "successful_records": 25,
        "failed_records": 1,
    }
    assert await other.receive_nothing(timeout=0.5)
    await uploader.disconnect()
    await other.disconnect()
