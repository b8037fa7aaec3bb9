"""Requests Django refuses before any middleware or view (apps/core/handlers.py) are answered in the envelope,
over ASGI (daphne serves `config.asgi.application`) and WSGI (gunicorn serves `config.wsgi.application`)."""

import asyncio
import io

import httpx
import orjson
import pytest

from config.asgi import application as asgi_application
from config.wsgi import application as wsgi_application

# A multipart type with an RFC 2231 parameter in a charset that does not exist: Django cannot parse the header.
BAD_MULTIPART = "multipart/form-data; boundary*=no-such-charset''abc"


def _asgi_raw(path: str, *, query_string: bytes = b"", headers=(), body: bytes = b"") -> tuple[int, dict, bytes]:
    """One HTTP request straight into the ASGI app, bytes as a server would pass them (httpx re-encodes URLs)."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query_string,
        "root_path": "",
        "headers": [(b"host", b"testserver"), *headers],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }
    inbox = [{"type": "http.request", "body": body, "more_body": False}]
    sent: list[dict] = []

    async def receive():
        if inbox:
            return inbox.pop(0)
        await asyncio.sleep(3600)  # the app is listening for a disconnect that never comes
        return {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)

    async def run():
        task = asyncio.ensure_future(asgi_application(scope, receive, send))
        while not any(m["type"] == "http.response.body" and not m.get("more_body") for m in sent):
            await asyncio.sleep(0.01)
        task.cancel()

    asyncio.run(asyncio.wait_for(run(), 30))
    start = sent[0]
    return (
        start["status"],
        {k.decode().lower(): v.decode() for k, v in start["headers"]},
        b"".join(m.get("body", b"") for m in sent[1:]),
    )


def _envelope(status: int, headers: dict, body: bytes, *, code: str) -> dict:
    assert headers["content-type"] == "application/json"
    error = orjson.loads(body)
    assert error["success"] is False
    assert error["error"]["code"] == code
    return error


@pytest.mark.parametrize("path", ["/api/v1/auth/refresh", "/api/v1/documents/process"])
def test_an_unparseable_multipart_content_type_over_asgi_is_a_400_envelope(path):
    async def post():
        transport = httpx.ASGITransport(app=asgi_application, client=("127.0.0.1", 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            return await client.post(path, content=b'{"refresh_token": "x"}', headers={"Content-Type": BAD_MULTIPART})

    response = asyncio.run(post())

    assert response.status_code == 400
    error = _envelope(400, dict(response.headers), response.content, code="malformed_request")
    assert error["error"]["message"] == "The Content-Type header cannot be parsed."


def test_a_query_string_that_is_not_utf8_over_asgi_is_a_400_envelope_not_an_empty_body():
    status, headers, body = _asgi_raw(
        "/api/v1/auth/refresh",
        query_string=b"next=\xff\xfe",
        headers=[(b"content-type", b"multipart/form-data")],
        body=b"not multipart at all",
    )

    assert status == 400
    error = _envelope(status, headers, body, code="malformed_request")
    assert error["error"]["message"] == "The query string is not valid UTF-8."


def test_outside_the_api_the_refusal_is_plain_text():
    status, headers, body = _asgi_raw("/login/", query_string=b"\xff")

    assert (status, headers["content-type"]) == (400, "text/plain; charset=utf-8")
    assert body == b"The query string is not valid UTF-8."


def test_an_unparseable_content_type_over_wsgi_is_a_400_envelope_too():
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/api/v1/auth/refresh",
        "QUERY_STRING": "",
        "CONTENT_TYPE": BAD_MULTIPART,
        "CONTENT_LENGTH": "2",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.input": io.BytesIO(b"{}"),
        "wsgi.url_scheme": "http",
    }
    started = {}

    def start_response(status, headers):
        started.update(status=status, headers={k.lower(): v for k, v in headers})

    body = b"".join(wsgi_application(environ, start_response))

    assert started["status"] == "400 Bad Request"
    _envelope(400, started["headers"], body, code="malformed_request")


@pytest.mark.django_db(transaction=True)
def test_a_well_formed_request_still_reaches_the_view_over_asgi():
    status, headers, body = _asgi_raw(
        "/api/v1/auth/refresh", query_string=b"a=1", headers=[(b"content-type", b"application/json")], body=b"{}"
    )

    assert status == 400
    error = _envelope(status, headers, body, code="validation_error")
    assert error["error"]["details"] == {"refresh_token": ["This field is required."]}


@pytest.mark.django_db(transaction=True)
def test_the_wsgi_handler_keeps_a_resolved_path_and_hands_out_copies(auth_client):
    """apps/core/handlers.py keeps each resolved path's match; a 404 path is not kept, and each request gets its
    own kwargs (a view or middleware changing them cannot leak into the next request)."""
    from django.test import RequestFactory
    from django.urls import Resolver404

    from apps.core import handlers

    handlers._RESOLVED.clear()
    factory = RequestFactory()
    first = wsgi_application.resolve_request(factory.get("/api/v1/customers/12"))
    first.kwargs["pk"] = "99"
    second = wsgi_application.resolve_request(factory.get("/api/v1/customers/12"))
    assert second.func is first.func
    assert second.kwargs == {"pk": "12"}
    assert second.route == first.route
    assert len(handlers._RESOLVED) == 1
    other = wsgi_application.resolve_request(factory.get("/api/v1/customers/13"))
    assert other.kwargs == {"pk": "13"}
    assert len(handlers._RESOLVED) == 2
    with pytest.raises(Resolver404):
        wsgi_application.resolve_request(factory.get("/no/such/page/at/all"))
    assert len(handlers._RESOLVED) == 2
