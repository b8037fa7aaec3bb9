"""A claim move reaches the customer's websocket once: as the notification about it (carrying the move for the
live claim page), or as `claim:updated` when they turned in-app notifications of updates off."""

import asyncio
import threading
from datetime import date
from decimal import Decimal

import pytest
from channels.testing import WebsocketCommunicator
from django.db import transaction

from apps.accounts.services import tokens_issue
from apps.claims import services as claims
from apps.notifications.models import NotificationPreference
from config.asgi import application
from tests.claims.conftest import make_insured

ORIGIN = [(b"origin", b"http://testserver"), (b"host", b"testserver")]


def _run(scenario):
    """Its own event loop in a thread: a browser test earlier in the worker leaves Playwright's loop running."""
    outcome = {}

    def run():
        try:
            outcome["value"] = asyncio.run(scenario())
        except BaseException as exc:  # re-raised in the test's thread
            outcome["error"] = exc

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(60)
    assert not thread.is_alive(), "the websocket scenario did not finish in 60 s"
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def _claim_moved_while_customer_listens(product, *, in_app_updates: bool):
    """What the customer's socket receives while an agent moves their claim submitted → triage."""
    user, agent, policy = make_insured(product)
    if not in_app_updates:
        NotificationPreference.objects.create(user=user, in_app={"update": False})
    with transaction.atomic():
        claim, _ = claims.claim_file(
            actor=user,
            policy=policy,
            claim_type="fire",
            claimed_amount=Decimal("100"),
            description="Kitchen fire",
            incident_date=date.today(),
            incident_place="Home",
        )
    token = tokens_issue(user=user, otp_verified=True)["access_token"]

    def move():
        with transaction.atomic():
            claims.claim_transition(claim=claim, actor=agent, to="triage")

    async def scenario():
        communicator = WebsocketCommunicator(application, f"/ws/events/?token={token}", headers=ORIGIN)
        connected, _ = await communicator.connect(timeout=30)
        assert connected
        await communicator.receive_json_from(timeout=30)  # connection:ready
        await asyncio.to_thread(move)
        received = []
        while not await communicator.receive_nothing(timeout=1):
            received.append(await communicator.receive_json_from(timeout=5))
        await communicator.disconnect()
        return received

    return claim, _run(scenario)


@pytest.mark.django_db(transaction=True)
def test_a_claim_move_is_one_message_the_notification_carrying_the_move(home_product):
    claim, received = _claim_moved_while_customer_listens(home_product, in_app_updates=True)

    assert [(m["event"], m["data"].get("title")) for m in received] == [
        ("notification:new", f"Claim {claim.claim_number}: in triage")
    ]
    assert received[0]["data"]["event"] == "claim:status_changed"
    assert received[0]["data"]["data"] == {
        "claim_id": claim.pk,
        "claim_number": claim.claim_number,
        "from": "submitted",
        "to": "triage",
        "priority": claim.priority,
    }


@pytest.mark.django_db(transaction=True)
def test_without_in_app_updates_the_claim_move_is_one_claim_updated(home_product):
    claim, received = _claim_moved_while_customer_listens(home_product, in_app_updates=False)

    assert [(m["event"], m["data"]) for m in received] == [
        ("claim:updated", {"claim_id": claim.pk, "claim_number": claim.claim_number, "status": "triage"})
    ]
