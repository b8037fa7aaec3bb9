"""The browser tests' ASGI server (daphne, started by tests/e2e/conftest.py) against the pytest test database.

The test settings (same Redis database and prefixes for this xdist worker, eager Celery, fast hashing), plus what a
real server needs in place of Django's test client: static files straight from the apps and static/ (DEBUG stays off,
so whitenoise serves them; no collectstatic), loopback hosts only, no persistent connections to the test database,
no content-type ids remembered from an earlier test, and (with the list-based channel layer) Redis reads that outlast
its blocking pop.
"""

from django.core.signals import request_started

from .test import *

WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
DATABASES["default"]["CONN_MAX_AGE"] = 0

if CHANNEL_LAYERS["default"]["BACKEND"] == "channels_redis.core.RedisChannelLayer":
    # The list-based layer (CHANNEL_LAYER_BACKEND) waits for a consumer's next message with a 5 s blocking pop, and
    # redis-py's default read timeout is 5 s too: the client gives up first, so a consumer idle for 5 s fails
    # ("Timeout reading from ...") and its socket closes (the browser reconnects, missing what was sent meanwhile).
    # Reads here wait longer. (config.settings.base has the same problem with that layer; the pub/sub layer, its
    # default, polls with a short timeout of its own.)
    CHANNEL_LAYERS["default"]["CONFIG"]["hosts"] = [
        {"address": host, "socket_timeout": 15} if isinstance(host, str) else host
        for host in CHANNEL_LAYERS["default"]["CONFIG"]["hosts"]
    ]


def _forget_content_types(**kwargs):
    """The server outlives the tests it serves; after each one pytest-django empties the tables and post_migrate
    creates the content types again, under new ids. ContentType's process-wide cache would keep the old ones (the
    admin's change log then fails on its foreign key)."""
    from django.contrib.contenttypes.models import ContentType

    ContentType.objects.clear_cache()


request_started.connect(_forget_content_types, dispatch_uid="e2e-forget-content-types")
