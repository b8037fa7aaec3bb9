"""Vehicle and context checks: sandbox answers, the HTTP adapters against a local fake provider (retries on
5xx, timeouts, malformed answers, 404 — each a degraded check that says why), caching, the event after filing,
and the endpoint."""

import json
import threading
import time
from datetime import date, timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from apps.accounts.roles import Role
from apps.claims.models import Claim
from apps.integrations import services
from apps.integrations.models import ExternalCheck
from apps.policies.models import Vehicle
from tests.conftest import client_for
from tests.factories.accounts import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def motor_claim(file_claim, insured):
    _, _, policy = insured
    vehicle = Vehicle.objects.create(
        policy=policy,
        vin="WVWZZZ1KZMW612305",
        registration="AA-12-STL",
        make="Volkswagen",
        model="Golf",
        year=2021,
        value=Decimal("21500"),
        added_on=policy.start_date,
    )
    claim = file_claim()
    Claim.objects.filter(pk=claim.pk).update(vehicle=vehicle)
    return claim


class FakeProvider:
    """A local HTTP provider whose answers per path are scripted: (status, body or None for bad JSON, delay s)."""

    def __init__(self):
        self.script: dict[str, list] = {}
        self.hits: dict[str, int] = {}
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                path = self.path.split("?")[0]
                owner.hits[path] = owner.hits.get(path, 0) + 1
                answers = owner.script.get(path) or [(404, {}, 0)]
                status, body, delay = answers.pop(0) if len(answers) > 1 else answers[0]
                time.sleep(delay)
                payload = b"{not json" if body is None else json.dumps(body).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def fake(settings):
    provider = FakeProvider()
    config = {"provider": "http", "url": provider.url, "timeout": 0.5, "retries": 2, "backoff": 0.01}
    settings.INTEGRATIONS = {kind: dict(config) for kind in ("registration", "history", "geocode", "weather")}
    settings.INTEGRATIONS["vin"] = {"provider": "offline"}
    yield provider
    provider.close()


def by_kind(checks):
    return {c.kind: c for c in checks}


def test_sandbox_checks_for_a_motor_claim(motor_claim):
    checks = by_kind(services.claim_checks_run(claim=motor_claim))

    assert {k: c.status for k, c in checks.items()} == dict.fromkeys(
        ["geocode", "weather", "registration", "history", "vin"], "ok"
    )
    assert checks["history"].result["stolen"] is True  # sandbox: registrations ending STL
    assert checks["vin"].result["manufacturer"] == "Volkswagen"
    assert checks["vin"].result["model_year"] == 2021  # European VIN: no check digit to verify
    assert {"conditions", "temperature_c"} <= set(checks["weather"].result)


def test_http_provider_retries_5xx_and_degrades_clearly(motor_claim, fake):
    fake.script["/geocode"] = [(503, {}, 0), (200, {"lat": 38.71, "lon": -9.14, "formatted": "Lisboa"}, 0)]
    fake.script["/weather"] = [(200, {"conditions": "rain", "temperature_c": 14}, 0)]
    fake.script["/vehicles"] = [(500, {}, 0)]  # always down
    fake.script["/history"] = [(200, {}, 2)]  # slower than the 0.5 s timeout

    checks = by_kind(services.claim_checks_run(claim=motor_claim))

    assert (checks["geocode"].status, checks["geocode"].result["lat"]) == ("ok", 38.71)
    assert fake.hits["/geocode"] == 2  # one retry after the 503
    assert checks["weather"].result["conditions"] == "rain"
    assert checks["registration"].status == "degraded"
    assert "answered 500 (3 attempt(s))" in checks["registration"].message
    assert fake.hits["/vehicles"] == 3
    assert checks["history"].status == "degraded"
    assert "timed out after 0.5 s" in checks["history"].message
    assert checks["vin"].status == "ok"  # offline: unaffected


def test_malformed_answers_and_missing_records(motor_claim, fake):
    fake.script["/geocode"] = [(200, None, 0)]  # not JSON
    fake.script["/vehicles"] = [(200, {"registration": "AA12STL"}, 0)]  # no make/model
    fake.script["/history"] = [(404, {}, 0)]

    checks = by_kind(services.claim_checks_run(claim=motor_claim))

    assert checks["geocode"].message == "The http provider malformed answer: not JSON."
    assert "weather" not in checks  # nowhere to ask about
    assert "no 'make', 'model'" in checks["registration"].message
    assert "no record found" in checks["history"].message
    assert fake.hits["/history"] == 1  # a 404 is not retried


def test_answers_are_cached(motor_claim, fake):
    fake.script["/geocode"] = [(200, {"lat": 38.7, "lon": -9.1}, 0)]
    fake.script["/weather"] = [(200, {"conditions": "clear", "temperature_c": 20}, 0)]
    fake.script["/vehicles"] = [(200, {"registration": "AA12STL", "make": "VW", "model": "Golf"}, 0)]
    fake.script["/history"] = [(200, {"stolen": False, "finance_outstanding": False, "write_off_category": None}, 0)]

    services.claim_checks_run(claim=motor_claim)
    again = by_kind(services.claim_checks_run(claim=motor_claim))

    assert all(c.cached for c in again.values())
    assert fake.hits == {"/geocode": 1, "/weather": 1, "/vehicles": 1, "/history": 1}
    latest = services.claim_checks_latest(motor_claim)
    assert len(latest) == 5
    assert ExternalCheck.objects.filter(claim=motor_claim).count() == 10


def test_filing_runs_the_checks_and_the_endpoint_shows_them(insured, django_capture_on_commit_callbacks):
    from apps.claims import services as claim_services

    user, agent, policy = insured
    with django_capture_on_commit_callbacks(execute=True):
        claim, _ = claim_services.claim_file(
            actor=user,
            policy=policy,
            claim_type="fire",
            claimed_amount=Decimal("500"),
            description="x",
            incident_date=date.today() - timedelta(days=1),
            incident_place="Rua Augusta 1, Lisboa",
        )

    shown = client_for(agent).get(f"/api/v1/claims/{claim.pk}/checks").json()["data"]
    rerun = client_for(agent).post(f"/api/v1/claims/{claim.pk}/checks")
    customer = client_for(user).get(f"/api/v1/claims/{claim.pk}/checks")
    stranger = client_for(UserFactory(role=Role.AGENT)).get(f"/api/v1/claims/{claim.pk}/checks")

    assert sorted(c["kind"] for c in shown["checks"]) == ["geocode", "weather"]  # no vehicle on a home claim
    assert rerun.status_code == 201
    assert all(c["cached"] for c in rerun.json()["data"]["checks"])
    assert customer.status_code == 403
    assert stranger.status_code == 404
