"""`manage.py benchmark` runs the server with these: production-like (DEBUG off), floor views mounted,
throttles out of the way (they would measure the limiter, not the endpoint)."""

from .base import *

DEBUG = False
BENCH_FLOOR = True
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
CONN_MAX_AGE = 600
DATABASES["default"]["CONN_MAX_AGE"] = 600
REST_FRAMEWORK = {
    **REST_FRAMEWORK,
    "DEFAULT_THROTTLE_RATES": dict.fromkeys(REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "1000000/hour"),
}
ASSISTANT_RATE_LIMITS = False  # likewise the AI settings' per-person limits (60 a minute by default)
AXES_ENABLED = False  # the login scenario signs in thousands of times from one address
LOGGING["root"]["level"] = "WARNING"
# The benchmark's own cache keys: its thousands of requests must not fill the throttle counters (or the cached
# counts and figures) of a `make run` sharing the same Redis — a demo user would be throttled for the hour.
CACHES["default"]["KEY_PREFIX"] = f"{CACHES['default'].get('KEY_PREFIX', 'insureops')}-bench"
