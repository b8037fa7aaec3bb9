# InsureOps — the two commands a new user needs: `make run` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help
PY := .venv/bin/python
export UV_COMPILE_BYTECODE := 1
export PYTHONDONTWRITEBYTECODE :=

# uv: use the one on PATH if it works, otherwise install it with pip into var/tools.
UV := $(shell uv --version >/dev/null 2>&1 && echo uv)
ifeq ($(UV),)
UV := var/tools/bin/uv
endif

HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: help venv run test fuzz stop lint format migrations check-deploy bench bench-campaigns

help:
	@echo "make run     set up everything and serve http://$(HOST):$(PORT) (admin /admin/, API /api/v1/, docs /api/docs/)"
	@echo "make test    run the whole test suite against PostgreSQL (embedded unless DATABASE_URL is set)"
	@echo "make fuzz    the schemathesis run of make test, longer (FUZZ_EXAMPLES=100 per operation and role, coverage phase)"
	@echo "make stop    stop the embedded PostgreSQL"
	@echo "make lint    ruff check + format check, mypy (services and selectors), import-linter (app order, DRF only in api/)"
	@echo "make bench   load-test a real server on loopback (BENCH_ARGS=--quick for a short run)"
	@echo "make bench-campaigns  issue 19's campaign figures on 100k customers (audience, send rate, analytics, pixel)"

var/tools/bin/uv:
	@echo "uv not found: installing it with pip into var/tools"
	@mkdir -p var
	python3 -m venv var/tools
	var/tools/bin/pip install --quiet uv

.venv/.synced: pyproject.toml uv.lock | $(if $(filter var/tools/bin/uv,$(UV)),var/tools/bin/uv)
	$(UV) sync --frozen
	@touch $@

venv: .venv/.synced

run: venv
	@set -euo pipefail; source scripts/dbenv.sh; \
	$(PY) manage.py migrate --noinput; \
	$(PY) manage.py seed_demo; \
	pids=""; \
	if [ -n "$${REDIS_URL:-}" ]; then \
	  echo "REDIS_URL set: starting a Celery worker and beat (logs in var/log/)"; mkdir -p var/log; \
	  .venv/bin/celery -A config worker --loglevel=INFO --concurrency=2 > var/log/worker.log 2>&1 & pids="$$pids $$!"; \
	  .venv/bin/celery -A config beat --loglevel=INFO --schedule var/celerybeat-schedule > var/log/beat.log 2>&1 & pids="$$pids $$!"; \
	else echo "No REDIS_URL: Celery tasks run eagerly, websockets use the in-memory channel layer."; fi; \
	trap 'kill $$pids 2>/dev/null || true' EXIT INT TERM; \
	echo; echo "InsureOps is starting on http://$(HOST):$(PORT)"; \
	echo "  portal  http://$(HOST):$(PORT)/           admin  http://$(HOST):$(PORT)/admin/"; \
	echo "  API     http://$(HOST):$(PORT)/api/v1/    docs   http://$(HOST):$(PORT)/api/docs/"; \
	echo "  events  ws://$(HOST):$(PORT)/ws/events/    health http://$(HOST):$(PORT)/health"; \
	echo "Demo logins (password demo-pass-2026): admin@ manager@ agent@ assessor@ viewer@ customer@ example.com"; \
	echo; \
	$(PY) manage.py runserver $(HOST):$(PORT)

# worksteal: a worker that runs out takes queued tests from the other, so the run does not end on one busy worker
# (2 workers, the whole suite, one run each: wall time minus half the summed test time 29 s with the default
# `load`, 15 s with worksteal). A --dist in PYTEST_ARGS comes later and wins.
test: venv
	@set -euo pipefail; source scripts/dbenv.sh; \
	$(PY) -m pytest -n $${PYTEST_WORKERS:-auto} --dist worksteal $(PYTEST_ARGS)

# Schemathesis against the app in-process, as in make test, with many more generated cases per operation and role.
FUZZ_EXAMPLES ?= 100
fuzz: venv
	@set -euo pipefail; source scripts/dbenv.sh; \
	FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) FUZZ_COVERAGE=1 $(PY) -m pytest -n $${PYTEST_WORKERS:-auto} tests/test_schema_fuzz.py $(PYTEST_ARGS)

stop:
	@if [ -x $(PY) ]; then $(PY) scripts/embedded_pg.py stop; else echo "nothing to stop"; fi

lint: venv
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/mypy
	.venv/bin/lint-imports --no-logo

format: venv
	.venv/bin/ruff format .
	.venv/bin/ruff check --fix .

migrations: venv
	@set -euo pipefail; source scripts/dbenv.sh; $(PY) manage.py makemigrations --check --dry-run

# What production settings say about themselves (no secrets needed beyond throwaway values).
check-deploy: venv
	@set -euo pipefail; source scripts/dbenv.sh; \
	DJANGO_SETTINGS_MODULE=config.settings.prod SECRET_KEY=$$(openssl rand -hex 32) ALLOWED_HOSTS=insureops.example.com \
	FIELD_ENCRYPTION_SALTS=check BLIND_INDEX_KEY=check \
	$(PY) manage.py check --deploy --fail-level WARNING

# Benchmarks: real server processes + wrk on loopback. Installs wrk from Debian when missing (needs root).
# The data set: --scale 1 is 100k customers, 200k policies, 50k claims, 1M renewal cases (~1.5 min to generate).
BENCH_SEED ?= --scale 0.2
bench: venv
	@command -v wrk >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq wrk; }
	@set -euo pipefail; source scripts/dbenv.sh; \
	$(PY) manage.py migrate --noinput -v0; \
	$(PY) manage.py seed_demo $(BENCH_SEED); \
	$(PY) manage.py benchmark $(BENCH_ARGS)

# Issue 19's campaign figures on 100k customers: a 100k audience resolved, checked and queued; the sandbox send rate;
# analytics over 1M tracking events (all rolled back afterwards); the open pixel and click redirect at c=64.
BENCH_CAMPAIGNS_SEED ?= --scale 1
bench-campaigns: venv
	@command -v wrk >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq wrk; }
	@set -euo pipefail; source scripts/dbenv.sh; \
	$(PY) manage.py migrate --noinput -v0; \
	$(PY) manage.py seed_demo $(BENCH_CAMPAIGNS_SEED); \
	$(PY) manage.py bench_campaigns $(BENCH_CAMPAIGNS_ARGS)
