"""Django's request handlers, answering the requests Django refuses before any middleware or view runs in the
API's envelope (JSON under /api/, like every other error).

Django builds the request object outside the middleware chain, so what it refuses there never reaches the
project's error handlers: over ASGI (daphne) a query string that is not UTF-8 is answered with an empty,
non-JSON 400, and over either protocol a Content-Type header Django cannot parse (an RFC 2231 parameter in an
unknown charset, an over-long header — e.g. a `multipart/form-data` type a client built badly) escapes the
handler as an exception, which the server turns into a 500. Here they are a 400 `malformed_request`, and a body
over Django's limits a 413 `payload_too_large`, in the envelope. `config/asgi.py` and `config/wsgi.py` use these.

One refusal happens before even Django: daphne serves HTTP through twisted.web, whose request object parses a
`multipart/form-data` or form-encoded POST body itself (into `request.args`, which daphne never reads) and answers a
body that is not valid multipart with a bare, empty 400 — the app never sees the request. `daphne_form_parsing_off`
turns that off with twisted's own switch (`parsePOSTFormSubmission`), so Django parses the body (once, not twice)
and a bad one is a 400 in the envelope like any other.

Early routes (hook `http.early_routes`): a few hot public URLs that need nothing of Django's request cycle — no
session, user, CSRF, template or database (campaigns' open pixel and click redirect) — are offered first to the app
that provides them, before the request object is built; it answers, or returns None and Django serves the request
as usual. Other paths cost one `startswith` per route.
"""

import logging
from collections.abc import Awaitable, Callable
from http.client import responses
from typing import NamedTuple

import django
import orjson
from django.core.exceptions import BadRequest, RequestDataTooBig
from django.core.handlers.asgi import ASGIHandler
from django.core.handlers.wsgi import WSGIHandler, get_script_name
from django.http import HttpResponse
from django.urls import ResolverMatch, get_resolver, set_script_prefix, set_urlconf

from .exceptions import error_body

logger = logging.getLogger("django.request")

MESSAGES = {
    UnicodeDecodeError: "The query string is not valid UTF-8.",
    BadRequest: "The Content-Type header cannot be parsed.",
}


def early_error_response(path: str, exc: Exception) -> HttpResponse:
    """The response to a request Django could not even build: the envelope under /api/, plain text elsewhere."""
    if isinstance(exc, RequestDataTooBig):
        status, code, message = 413, "payload_too_large", "The request body is larger than this server accepts."
    else:
        status, code = 400, "malformed_request"
        message = next((text for kind, text in MESSAGES.items() if isinstance(exc, kind)), "Malformed request.")
    logger.warning("Bad request before routing (%s) on %s", type(exc).__name__, path, extra={"status_code": status})
    if path.startswith("/api/"):
        body = orjson.dumps(error_body(code=code, message=message))
        return HttpResponse(body, status=status, content_type="application/json")
    return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")


_RESOLVED: dict[tuple, ResolverMatch] = {}
_RESOLVED_MAX = 4096


class CachedResolveMixin:
    """URL resolution kept per exact path: Django tries the URL patterns in order on every request, and an API
    path sits behind every app's `include("")` (about a hundred patterns matched for `/api/v1/emails`, ~0.4 ms
    a request). A path always resolves to the same view and arguments for a given URLconf, so a resolved match
    is kept (keyed by the resolver object, which `clear_url_caches` replaces) and handed out as a copy with its
    own kwargs. Paths that do not resolve are not kept; the table is emptied when full."""

    def resolve_request(self, request):
        urlconf = getattr(request, "urlconf", None)
        if hasattr(request, "urlconf"):
            set_urlconf(urlconf)
        key = (get_resolver(urlconf), request.path_info)
        match = _RESOLVED.get(key)
        if match is None:
            match = super().resolve_request(request)  # type: ignore[misc]
            if len(_RESOLVED) >= _RESOLVED_MAX:
                _RESOLVED.clear()
            _RESOLVED[key] = match
        resolved = object.__new__(ResolverMatch)  # (copy.copy pickles, which ResolverMatch refuses)
        resolved.__dict__.update(match.__dict__)
        resolved.kwargs = dict(match.kwargs)
        request.resolver_match = resolved
        return resolved


EarlyResponse = tuple[int, list[tuple[str, str]], bytes]


class EarlyRoute(NamedTuple):
    """A provider of `http.early_routes`: the path prefixes it looks at (relative to the script name), and its
    answer to a request there — or None to let Django answer."""

    prefixes: tuple[str, ...]
    wsgi: Callable[[dict], EarlyResponse | None]
    asgi: Callable[[dict], Awaitable[EarlyResponse | None]]


def early_routes() -> list[EarlyRoute]:
    from .hooks import early_routes as hook

    routes: list = hook.providers()
    return [route for route in routes if isinstance(route, EarlyRoute)]


class EnvelopeASGIHandler(CachedResolveMixin, ASGIHandler):
    def __init__(self):
        super().__init__()
        self.early = [(route.prefixes, route.asgi) for route in early_routes()]

    async def __call__(self, scope, receive, send):
        if self.early and scope.get("type") == "http":
            path = scope.get("path", "")
            root = scope.get("root_path", "")
            if root and path.startswith(root):
                path = path[len(root) :]
            for prefixes, answer in self.early:
                if path.startswith(prefixes):
                    early = await answer(scope)
                    if early is not None:
                        status, headers, body = early
                        await send(
                            {
                                "type": "http.response.start",
                                "status": status,
                                "headers": [(k.lower().encode("latin1"), v.encode("latin1")) for k, v in headers],
                            }
                        )
                        await send({"type": "http.response.body", "body": body})
                        return
                    break
        await super().__call__(scope, receive, send)

    def create_request(self, scope, body_file):
        try:
            return self.request_class(scope, body_file), None
        except (UnicodeDecodeError, BadRequest, RequestDataTooBig) as exc:
            return None, early_error_response(scope.get("path", ""), exc)


class EnvelopeWSGIHandler(CachedResolveMixin, WSGIHandler):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.early = [(route.prefixes, route.wsgi) for route in early_routes()]

    def __call__(self, environ, start_response):
        if self.early:
            path = environ.get("PATH_INFO", "")
            for prefixes, answer in self.early:
                if path.startswith(prefixes):
                    early = answer(environ)
                    if early is not None:
                        status, headers, body = early
                        start_response(f"{status} {responses[status]}", headers)
                        return [body]
                    break
        try:
            self.request_class(environ)  # a few microseconds: nothing is read; the real one is built below
        except (UnicodeDecodeError, BadRequest, RequestDataTooBig) as exc:
            set_script_prefix(get_script_name(environ))
            response = early_error_response(environ.get("PATH_INFO", ""), exc)
            start_response(f"{response.status_code} {response.reason_phrase}", list(response.items()))
            return [response.content]
        return super().__call__(environ, start_response)


def get_asgi_application() -> EnvelopeASGIHandler:
    django.setup(set_prefix=False)
    return EnvelopeASGIHandler()


def get_wsgi_application() -> EnvelopeWSGIHandler:
    django.setup(set_prefix=False)
    return EnvelopeWSGIHandler()


def daphne_form_parsing_off() -> None:
    """Under daphne: let the application parse POST bodies (see the module docstring). Idempotent; a no-op when
    daphne is not installed."""
    try:
        from daphne.http_protocol import WebRequest
    except ImportError:  # pragma: no cover - daphne is a dependency; other ASGI servers do not parse bodies
        return
    if getattr(WebRequest, "_app_parses_forms", False):
        return
    original_init = WebRequest.__init__

    def init_without_form_parsing(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        self._parsePOSTFormSubmission = False  # read by twisted.web.http.Request.requestReceived

    WebRequest.__init__ = init_without_form_parsing
    WebRequest._app_parses_forms = True
