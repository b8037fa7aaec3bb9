"""Seed 003 health check, the CSP system check, production `check --deploy`, and the OpenAPI schema."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command
from django.test import override_settings

from apps.core.checks import csp_configured
from tests.permission_matrix import ENDPOINTS

ROOT = Path(__file__).resolve().parents[2]
PROD_ENV = {
    **os.environ,
    "DJANGO_SETTINGS_MODULE": "config.settings.prod",
    "SECRET_KEY": "x" * 64 + "-prod-check",
    "ALLOWED_HOSTS": "insureops.example.com",
    "FIELD_ENCRYPTION_SALTS": "prod-check-salt",
    "BLIND_INDEX_KEY": "prod-check-blind-index-key",
}


@pytest.mark.django_db
def test_health_reports_services_and_version(client, settings):
    response = client.get("/health")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "OK"
    assert body["services"]["database"] == "connected"
    assert body["services"]["redis"] == ("connected" if settings.REDIS_URL else "not_configured")
    assert body["version"] == settings.APP_VERSION
    assert body["timestamp"]


def test_health_is_503_when_the_database_is_down():
    script = (
        "import django; django.setup();"
        "from django.test import Client;"
        "r = Client().get('/health'); print(r.status_code, r.json()['services']['database'])"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": "postgres://postgres@127.0.0.1:1/nowhere",
        "REDIS_URL": "",
    }
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )

    assert result.stdout.strip().splitlines()[-1] == "503 unavailable", result.stderr[-2000:]


def test_csp_check_fails_without_policy():
    with override_settings(SECURE_CSP={}):
        assert [e.id for e in csp_configured(None)] == ["insureops.E001"]
    with override_settings(SECURE_CSP={"default-src": ["'self'"], "script-src": ["'self'", "'unsafe-inline'"]}):
        assert [e.id for e in csp_configured(None)] == ["insureops.E002"]
    assert csp_configured(None) == []


def test_production_settings_pass_check_deploy():
    env = PROD_ENV
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stdout + result.stderr


def test_production_settings_refuse_demo_accounts():
    env = PROD_ENV
    result = subprocess.run(
        [sys.executable, "manage.py", "seed_demo"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )

    assert result.returncode != 0
    assert "Demo data is disabled" in result.stderr


def _placeholder_kwargs(name: str) -> dict:
    from tests.test_permission_matrix import api_endpoints

    pattern = next(route for n, route, _ in api_endpoints() if n == name)
    kwargs = {"pk": 1001} if "(?P<pk>" in pattern else {}
    if "(?P<pk>[0-9a-fA-F-]{36})" in pattern:  # a uuid (a stored quote's reference)
        kwargs["pk"] = "00000000-0000-0000-0000-000000001001"
    if "(?P<interaction_id>" in pattern:
        kwargs["interaction_id"] = 1002
    if "(?P<document_id>" in pattern:
        kwargs["document_id"] = 1003
    if "(?P<policy_id>" in pattern:
        kwargs["policy_id"] = 1004
    if "(?P<payment_id>" in pattern:
        kwargs["payment_id"] = 1005
    if "(?P<estimate_id>" in pattern:
        kwargs["estimate_id"] = 1006
    if "(?P<code>" in pattern:
        kwargs["code"] = "prod-code"
    if "(?P<provider>" in pattern:
        kwargs["provider"] = "prov-name"
    if "(?P<token>" in pattern:
        kwargs["token"] = "feed-token"
    return kwargs


def test_openapi_schema_is_valid_and_lists_every_endpoint(tmp_path):
    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    schema = yaml.safe_load(target.read_text())

    from django.urls import reverse

    documented = {(path, method.upper()) for path, item in schema["paths"].items() for method in item}
    missing = []
    for name, methods in ENDPOINTS.items():
        if not name.startswith("v1:") or name == "v1:api-root":
            continue
        path = reverse(name, kwargs=_placeholder_kwargs(name)).rstrip("/")
        path = (
            path.replace("/00000000-0000-0000-0000-000000001001", "/{id}")
            .replace("/1001", "/{id}")
            .replace("/1002", "/{interaction_id}")
            .replace("/1003", "/{document_id}")
            .replace("/1004", "/{policy_id}")
            .replace("/1005", "/{payment_id}")
            .replace("/1006", "/{estimate_id}")
            .replace("/prod-code", "/{code}")
            .replace("/prov-name", "/{provider}")
            .replace("/feed-token", "/{token}")
        )
        missing += [f"{m} {path}" for m in methods if (path, m) not in documented]
    assert missing == []
    login = schema["paths"]["/api/v1/auth/login"]["post"]["responses"]["200"]["content"]["application/json"]
    assert set(login["schema"]["properties"]) == {"success", "data"}
