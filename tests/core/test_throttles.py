"""Seed 003 rate limits: DRF throttles on the shared cache that never over-admit under concurrency."""

import json
import threading
import urllib.error
import urllib.request

import pytest
from django.conf import settings
from django.test import override_settings

from apps.accounts.roles import Role

RATES = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]}


@pytest.fixture(autouse=True)
def _mid_window(monkeypatch):
    """Fixed windows reset on the hour: pin the clock mid-window so a run at hh:59:59 cannot flake."""
    import time as real_time

    fixed = (real_time.time() // 3600) * 3600 + 1800
    monkeypatch.setattr("apps.core.api.throttles._now", lambda: fixed)


def _rf(**rates):
    return {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {**RATES, **rates}}


@pytest.mark.django_db
def test_general_limit_answers_429_with_retry_after(auth_client):
    client, _ = auth_client(Role.AGENT)
    with override_settings(REST_FRAMEWORK=_rf(api_general="3/hour")):
        statuses = [client.get("/api/v1/teams").status_code for _ in range(4)]
        limited = client.get("/api/v1/teams")

    assert statuses == [200, 200, 200, 429]
    assert limited.status_code == 429
    assert 0 < int(limited["Retry-After"]) <= 3600
    body = limited.json()
    assert body["error"]["code"] == "throttled"
    assert body["error"]["details"]["retry_after"] == int(limited["Retry-After"])


@pytest.mark.django_db
def test_limits_are_per_user(auth_client):
    first, _ = auth_client(Role.AGENT)
    second, _ = auth_client(Role.AGENT)
    with override_settings(REST_FRAMEWORK=_rf(api_general="2/hour")):
        [first.get("/api/v1/teams") for _ in range(2)]
        assert first.get("/api/v1/teams").status_code == 429
        assert second.get("/api/v1/teams").status_code == 200


@pytest.mark.django_db
def test_auth_endpoints_have_their_own_per_ip_limit(api_client):
    with override_settings(REST_FRAMEWORK=_rf(auth="2/hour")):
        statuses = [
            api_client.post("/api/v1/auth/forgot-password", {"email": "x@example.org"}, format="json").status_code
            for _ in range(3)
        ]
    assert statuses == [200, 200, 429]


@pytest.mark.django_db(transaction=True)
def test_twenty_parallel_requests_at_the_boundary_admit_exactly_the_limit(live_server):
    """20 concurrent requests against a real threaded server with 10 left in the window: exactly 10 pass."""
    url = f"{live_server.url}/api/v1/"
    results: list[int] = []
    lock = threading.Lock()
    barrier = threading.Barrier(20)

    def hit():
        barrier.wait()
        try:
            with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310 (loopback test server)
                status = response.status
        except urllib.error.HTTPError as exc:
            status = exc.code
            if status == 429:
                assert json.loads(exc.read())["error"]["code"] == "throttled"
        with lock:
            results.append(status)

    with override_settings(REST_FRAMEWORK=_rf(api_general="10/hour")):
        threads = [threading.Thread(target=hit) for _ in range(20)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)

    assert len(results) == 20
    assert results.count(200) == 10
    assert results.count(429) == 10


@pytest.mark.redis
def test_throttle_counters_live_in_redis_when_configured():
    from django.core.cache import cache

    assert settings.CACHES["default"]["BACKEND"] == "apps.core.cache.RedisCache"  # Django's, one client a pool
    cache.set("probe", 1)
    assert cache.incr("probe") == 2
