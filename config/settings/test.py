"""pytest settings: fast hashing, locmem email, per-xdist-worker Redis database and prefixes."""

import os
from urllib.parse import urlsplit, urlunsplit

from .base import *

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
if not env.str("EMAIL_FILE_PATH", default=""):
    MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
# Eager in the test process; a test that starts a real worker sets CELERY_TASK_ALWAYS_EAGER=false for it.
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=True)
CELERY_TASK_EAGER_PROPAGATES = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
MEDIA_ROOT = VAR_DIR / "test-media"
PRIVATE_MEDIA_ROOT = VAR_DIR / "test-private"
STORAGES["documents"] = {
    "BACKEND": "django.core.files.storage.FileSystemStorage",
    "OPTIONS": {"location": str(PRIVATE_MEDIA_ROOT), "base_url": None},
}
LOGGING["root"]["level"] = "WARNING"
API_FAST_SERIALIZER_CHECK = True
DASHBOARD_CACHE_SECONDS = 0  # tests compute figures right after changing data; tests/core/test_figures.py turns it on

# Each pytest-xdist worker gets its own Redis database so that clearing the cache between
# tests never touches another worker's throttle counters or channel groups: the ones after REDIS_URL's own
# (redis://…/0: workers on 1, 2, …; a second suite run beside it on redis://…/8 uses 9, 10, …).
_worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
_worker_index = int(_worker[2:]) if _worker[2:].isdigit() else 0
if REDIS_URL:
    _url = urlsplit(REDIS_URL)
    _own_db = _url.path.strip("/")
    _first = int(_own_db) if _own_db.isdigit() else 0
    _redis_db_url = urlunsplit(_url._replace(path=f"/{(_first + 1 + _worker_index) % 16}"))
    CACHES["default"]["LOCATION"] = _redis_db_url
    CACHES["default"]["KEY_PREFIX"] = f"test-{_worker}"
    CHANNEL_LAYERS["default"]["CONFIG"] = {"hosts": [_redis_db_url], "prefix": f"test-{_worker}"}
    # The tracking buffer stays on REDIS_URL's own database, which no test empties (the cache's is emptied around
    # every test, by whichever run shares it); tests/campaigns give each test a key of its own.
    CAMPAIGNS_TRACKING_BUFFER_KEY = f"test-{_worker}:{{campaigns:tracking}}:hits"
API_COUNT_CACHE_MIN_MS = (
    1000  # counts in tests are tiny: kept only by size (tests/core/test_pagination.py sets its own)
)
