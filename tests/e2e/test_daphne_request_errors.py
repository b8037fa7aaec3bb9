"""Over the real server (daphne serving config.asgi): a body that is not multipart, sent as multipart/form-data,
reaches the application and is answered in the envelope — before, twisted.web answered it with an empty, non-JSON
400 of its own (apps/core/handlers.py, `daphne_form_parsing_off`)."""

import socket
from urllib.parse import urlsplit

import orjson
import pytest


def _raw_post(url: str, path: str, *, content_type: bytes, body: bytes) -> tuple[int, dict, bytes]:
    parts = urlsplit(url)
    request = (
        b"POST " + path.encode() + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: " + content_type + b"\r\n"
        b"Content-Length: " + str(len(body)).encode() + b"\r\nConnection: close\r\n\r\n" + body
    )
    with socket.create_connection((parts.hostname, parts.port), timeout=30) as sock:
        sock.sendall(request)
        response = b""
        while chunk := sock.recv(65536):
            response += chunk
    head, _, content = response.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in header_lines)}
    if headers.get("transfer-encoding") == "chunked":
        decoded, rest = b"", content
        while rest:
            size, _, rest = rest.partition(b"\r\n")
            n = int(size, 16)
            if n == 0:
                break
            decoded, rest = decoded + rest[:n], rest[n + 2 :]
        content = decoded
    return int(status_line.split()[1]), headers, content


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("path", "content_type", "status", "code"),
    [
        ("/api/v1/auth/refresh", b"multipart/form-data", 400, "malformed_request"),
        ("/api/v1/auth/refresh", b"multipart/form-data; boundary=----x", 400, "validation_error"),
        ("/api/v1/documents/process", b"multipart/form-data", 401, "not_authenticated"),
    ],
)
def test_a_non_multipart_body_sent_as_multipart_is_answered_by_the_app_in_the_envelope(
    asgi_server, path, content_type, status, code
):
    got, headers, body = _raw_post(
        asgi_server.url, path, content_type=content_type, body=b'{"refresh_token": "not multipart"}'
    )

    assert (got, headers.get("content-type")) == (status, "application/json")
    error = orjson.loads(body)
    assert (error["success"], error["error"]["code"]) == (False, code)
    assert asgi_server.errors() == []
