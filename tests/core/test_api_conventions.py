"""docs/architecture.md API conventions: the envelope on every answer, errors with codes, trailing slashes, headers."""

import pytest
from django.test import override_settings
from django.urls import path
from rest_framework.permissions import AllowAny

from apps.accounts.roles import Role
from apps.core.api.views import BaseApi
from config.urls import urlpatterns as project_urls

pytestmark = pytest.mark.django_db


class BoomApi(BaseApi):
    authentication_classes = []
    permission_classes = [AllowAny]

    def get(self, request):
        raise RuntimeError("secret internals: password=hunter2")


urlpatterns = [path("api/v1/test-boom", BoomApi.as_view()), *project_urls]


def assert_error(response, status: int, code: str | None = None):
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["success"] is False
    assert set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["message"]
    if code:
        assert body["error"]["code"] == code
    return body


def test_success_is_enveloped(api_client):
    response = api_client.get("/api/v1/")

    assert response.status_code == 200
    assert response.json() == {
        "success": True,
        "data": {
            "name": "InsureOps API",
            "version": "0.1.0",
            "docs": "/api/docs/",
            "schema": "/api/schema/",
            "health": "/health",
        },
    }


def test_401_enveloped(api_client):
    assert_error(api_client.get("/api/v1/users"), 401, "not_authenticated")


def test_403_enveloped(auth_client):
    client, _ = auth_client(Role.CUSTOMER)
    assert_error(client.get("/api/v1/users"), 403, "permission_denied")


def test_404_unknown_endpoint_enveloped_even_with_debug(api_client, settings):
    settings.DEBUG = True
    body = assert_error(api_client.get("/api/v1/no-such-thing"), 404, "not_found")
    assert "Traceback" not in str(body)


def test_404_unknown_object_enveloped(auth_client):
    client, _ = auth_client(Role.ADMIN)
    assert_error(client.get("/api/v1/users/999999"), 404, "not_found")


def test_405_enveloped(api_client):
    assert_error(api_client.get("/api/v1/auth/login"), 405, "method_not_allowed")


def test_415_wrong_content_type(api_client):
    response = api_client.generic("POST", "/api/v1/auth/login", "email=a", content_type="text/plain")
    assert_error(response, 415, "unsupported_media_type")


@pytest.mark.parametrize("body", ['{"email": "a@b.org", ', "[1, 2", "\x00\x01", '{"email": NaN}'])
def test_malformed_json_is_400(api_client, body):
    response = api_client.generic("POST", "/api/v1/auth/login", body, content_type="application/json")
    error = assert_error(response, 400)["error"]
    assert error["code"] == "malformed_request"


def test_json_array_instead_of_object_is_a_validation_error(api_client):
    response = api_client.generic("POST", "/api/v1/auth/login", "[]", content_type="application/json")
    assert_error(response, 400, "validation_error")


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1024)
def test_oversized_body_is_413(api_client):
    big = '{"email": "a@b.org", "password": "' + "x" * 5000 + '"}'
    response = api_client.generic("POST", "/api/v1/auth/login", big, content_type="application/json")
    assert_error(response, 413, "payload_too_large")


@override_settings(ROOT_URLCONF=__name__)
def test_500_enveloped_without_internals(api_client):
    api_client.raise_request_exception = False
    response = api_client.get("/api/v1/test-boom")

    body = assert_error(response, 500, "server_error")
    assert "hunter2" not in response.content.decode()
    assert "Traceback" not in str(body)


def test_validation_error_details_per_field(api_client):
    response = api_client.post("/api/v1/auth/register", {"email": "bad"}, format="json")

    details = assert_error(response, 400, "validation_error")["error"]["details"]
    assert set(details) >= {"email", "password", "first_name", "last_name"}


@pytest.mark.parametrize("url", ["/api/v1/auth/login", "/api/v1/auth/login/"])
def test_trailing_slash_accepted_without_redirect(api_client, make_user, password, url):
    make_user(Role.AGENT, email="a@example.org")

    response = api_client.post(url, {"email": "a@example.org", "password": password}, format="json")

    assert response.status_code == 200


def test_security_headers_on_api_and_pages(client):
    for url in ("/api/v1/", "/", "/health"):
        response = client.get(url)
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["X-Frame-Options"] == "DENY"
        assert response["X-XSS-Protection"] == "1; mode=block"
        assert response["Referrer-Policy"] == "strict-origin-when-cross-origin"
        csp = response["Content-Security-Policy"]
        assert "default-src 'self'" in csp
        assert "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]
        assert response["X-Request-ID"]


def test_admin_gets_its_own_csp(client):
    response = client.get("/admin/login/")
    assert "script-src 'self' 'unsafe-inline' 'unsafe-eval'" in response["Content-Security-Policy"]


def test_request_id_is_echoed_when_sane(client):
    assert client.get("/health", HTTP_X_REQUEST_ID="abc123def456")["X-Request-ID"] == "abc123def456"
    assert client.get("/health", HTTP_X_REQUEST_ID="bad id<script>")["X-Request-ID"] != "bad id<script>"


def test_api_responses_are_not_cacheable(api_client):
    assert api_client.get("/api/v1/")["Cache-Control"] == "no-store"


def test_csrf_enforced_for_session_authenticated_api_writes(make_user, password):
    from django.test import Client

    user = make_user(Role.CUSTOMER, email="c@example.org")
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)

    response = browser.patch("/api/v1/auth/me", {"first_name": "X"}, content_type="application/json")

    assert_error(response, 403)
    user.refresh_from_db()
    assert user.first_name != "X"


def test_client_ip_honours_trusted_proxies(rf, settings):
    from apps.core.net import client_ip

    request = rf.get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9")
    settings.NUM_PROXIES = 0
    assert client_ip(request) == "10.0.0.2"
    settings.NUM_PROXIES = 1
    assert client_ip(request) == "203.0.113.9"  # the spoofable left part is ignored
