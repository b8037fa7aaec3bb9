#!/usr/bin/env bash
# InsureOps container entrypoint. The first argument picks the role:
#
#   web      gunicorn, WSGI (API, admin, portal)       0.0.0.0:$PORT (8000)
#   ws       daphne, ASGI (the /ws/ websockets)        0.0.0.0:$WS_PORT (8001)
#   track    uvicorn workers, ASGI (campaigns' /c/ open pixel and click redirects)  0.0.0.0:$TRACK_PORT (8002)
#   worker   celery worker
#   beat     celery beat (run exactly one)
#   migrate  manage.py migrate --noinput, then exit
#   *        exec'd as given (e.g. `python manage.py createsuperuser`)
#
# web and migrate wait for the database first (DB_WAIT_TIMEOUT seconds, default 60).
# Outside a container it works the same from a checkout: it cds to the project root and puts
# the project's .venv/bin first on PATH.
set -euo pipefail

APP_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$APP_DIR"
if [ -d "$APP_DIR/.venv/bin" ]; then
  export PATH="$APP_DIR/.venv/bin:$PATH"
fi
export DJANGO_SETTINGS_MODULE="${DJANGO_SETTINGS_MODULE:-config.settings.prod}"
export PYTHONUNBUFFERED=1

BIND_HOST="${BIND_HOST:-0.0.0.0}"

wait_for_db() {
  # Asks Django itself, so whatever DATABASE_URL / settings say is what gets checked.
  python - <<'PY'
import os, sys, time

import django

django.setup()
from django.db import connections
from django.db.utils import OperationalError

deadline = time.monotonic() + float(os.environ.get("DB_WAIT_TIMEOUT", "60"))
attempt = 0
while True:
    attempt += 1
    try:
        connections["default"].ensure_connection()
        connections["default"].close()
        print(f"entrypoint: database is up (attempt {attempt})", flush=True)
        break
    except OperationalError as exc:
        if time.monotonic() > deadline:
            print(f"entrypoint: database still unavailable, giving up: {exc}", file=sys.stderr, flush=True)
            sys.exit(1)
        print(f"entrypoint: waiting for the database ({str(exc).strip().splitlines()[0]})", file=sys.stderr, flush=True)
        time.sleep(2)
PY
}

default_web_workers() {
  # nproc + 1, at most 4 per container: every worker thread may hold a PostgreSQL connection
  # (CONN_MAX_AGE), so scale out with more containers rather than more workers.
  local n
  n="$(nproc 2>/dev/null || echo 1)"
  n=$((n + 1))
  [ "$n" -gt 4 ] && n=4
  echo "$n"
}

role="${1:-web}"
[ "$#" -gt 0 ] && shift

case "$role" in
  web)
    wait_for_db
    exec gunicorn config.wsgi:application \
      --bind "${BIND_HOST}:${PORT:-8000}" \
      --workers "${WEB_CONCURRENCY:-$(default_web_workers)}" \
      --threads "${GUNICORN_THREADS:-4}" \
      --worker-class gthread \
      --timeout "${GUNICORN_TIMEOUT:-60}" \
      --graceful-timeout "${GUNICORN_GRACEFUL_TIMEOUT:-30}" \
      --keep-alive "${GUNICORN_KEEPALIVE:-5}" \
      --max-requests "${GUNICORN_MAX_REQUESTS:-1000}" \
      --max-requests-jitter 100 \
      --forwarded-allow-ips "${FORWARDED_ALLOW_IPS:-127.0.0.1}" \
      --worker-tmp-dir "${GUNICORN_WORKER_TMP_DIR:-/dev/shm}" \
      --control-socket "${GUNICORN_CONTROL_SOCKET:-${TMPDIR:-/tmp}/gunicorn-${PORT:-8000}.ctl}" \
      --access-logfile - \
      --error-logfile - \
      "$@"
    ;;
  ws)
    exec daphne \
      --bind "$BIND_HOST" \
      --port "${WS_PORT:-8001}" \
      --proxy-headers \
      --access-log - \
      --application-close-timeout "${DAPHNE_CLOSE_TIMEOUT:-10}" \
      "$@" \
      config.asgi:application
    ;;
  track)
    # Campaign tracking (/c/): one event loop per worker; a hit is checked without the database and pushed to
    # Redis in groups (apps/campaigns/fastpath.py). Anything it does not answer itself (a forged token, Redis
    # down) falls through to Django in the same process.
    wait_for_db
    exec gunicorn config.asgi:application \
      --bind "${BIND_HOST}:${TRACK_PORT:-8002}" \
      --workers "${TRACK_CONCURRENCY:-$(nproc 2>/dev/null || echo 1)}" \
      --worker-class uvicorn_worker.UvicornWorker \
      --timeout "${GUNICORN_TIMEOUT:-60}" \
      --graceful-timeout "${GUNICORN_GRACEFUL_TIMEOUT:-30}" \
      --keep-alive "${GUNICORN_KEEPALIVE:-5}" \
      --forwarded-allow-ips "${FORWARDED_ALLOW_IPS:-127.0.0.1}" \
      --worker-tmp-dir "${GUNICORN_WORKER_TMP_DIR:-/dev/shm}" \
      --access-logfile - \
      --error-logfile - \
      "$@"
    ;;
  worker)
    exec celery -A config worker \
      --loglevel "${CELERY_LOG_LEVEL:-INFO}" \
      --concurrency "${CELERY_CONCURRENCY:-2}" \
      "$@"
    ;;
  beat)
    schedule="${BEAT_SCHEDULE_FILE:-${TMPDIR:-/tmp}/celerybeat-schedule}"
    mkdir -p "$(dirname "$schedule")"
    exec celery -A config beat \
      --loglevel "${CELERY_LOG_LEVEL:-INFO}" \
      --schedule "$schedule" \
      "$@"
    ;;
  migrate)
    wait_for_db
    exec python manage.py migrate --noinput "$@"
    ;;
  *)
    exec "$role" "$@"
    ;;
esac
