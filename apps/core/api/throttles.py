"""Seed 003 rate limits as DRF throttles on the shared cache, counted atomically.

DRF's SimpleRateThrottle reads a history list, appends and writes it back: two workers that
read at the same moment both admit, so a burst at the boundary over-admits. Here each request
does one atomic increment (Redis INCR through Django's cache) on a fixed-window counter, so
exactly `num_requests` requests per window get through however many run in parallel.
"""

import time

from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle

_DURATIONS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def _now() -> float:
    return time.time()


def _hit(key: str, timeout: int) -> int:
    """Count one request in `key` and return the count. On Redis: SET NX EX + INCR in one MULTI/EXEC, one
    round trip (Django's `add` + `incr` is three: SET NX, EXISTS, INCRBY). Elsewhere: add + incr."""
    backend = caches["default"]
    if isinstance(backend, RedisCache):
        full_key = backend.make_and_validate_key(key)
        client = backend._cache.get_client(full_key, write=True)
        with client.pipeline(transaction=True) as pipe:
            pipe.set(full_key, 0, ex=timeout, nx=True)
            pipe.incr(full_key)
            return pipe.execute()[1]
    cache.add(key, 0, timeout=timeout)
    try:
        return cache.incr(key)
    except ValueError:  # evicted between add and incr
        cache.add(key, 1, timeout=timeout)
        return 1


def parse_rate(rate: str) -> tuple[int, int]:
    """'1000/hour' -> (1000, 3600)."""
    num, period = rate.split("/")
    return int(num), _DURATIONS[period[0]]


class AtomicRateThrottle(BaseThrottle):
    """Fixed-window counter per (scope, identity). Subclasses set `scope`."""

    scope: str = ""

    def get_rate(self) -> str | None:
        # Looked up per request (not at import) so settings overrides apply.
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def get_ident_key(self, request, view) -> str:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            return f"user:{user.pk}"
        return f"ip:{self.get_ident(request)}"

    def allow_request(self, request, view) -> bool:
        rate = self.get_rate()
        if not rate:
            return True
        self.num_requests, self.duration = parse_rate(rate)
        now = _now()
        window = int(now // self.duration)
        key = f"throttle:{self.scope}:{self.get_ident_key(request, view)}:{window}"
        count = _hit(key, self.duration + 5)
        self._wait = (window + 1) * self.duration - now
        return count <= self.num_requests

    def wait(self) -> float:
        return getattr(self, "_wait", None)


class GeneralRateThrottle(AtomicRateThrottle):
    """Seed 003 `api_general`: 1000 requests per hour per user (or per IP when anonymous)."""

    scope = "api_general"


class UploadRateThrottle(AtomicRateThrottle):
    """Seed 003 `upload`: 10 uploads per hour."""

    scope = "upload"


class AIRateThrottle(AtomicRateThrottle):
    """Seed 003 `ai_queries`: 100 requests per hour."""

    scope = "ai"


class AuthRateThrottle(AtomicRateThrottle):
    """Anonymous auth endpoints (register, forgot/reset password, MFA challenge) per IP."""

    scope = "auth"

    def get_ident_key(self, request, view) -> str:
        return f"ip:{self.get_ident(request)}"
