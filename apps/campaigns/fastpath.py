"""The open pixel and click redirects answered before Django's middleware and URL resolving (core's
`http.early_routes` hook: `apps.core.handlers` asks this module first, under WSGI and ASGI alike).

A mail client's image fetch or a recipient's click needs no session, no user, no template: only the signed token
checked (the same `django.core.signing` as `services.content`, no database), the machine-open decision by agent and
address (`tracking.is_machine_open`), the hit appended to the Redis buffer in one round trip
(`services.tracking_buffer`: the beat flush writes it to the database), and the GIF or the 302. A click's URL is
one of the variant's own links, found in the process's copy of that variant's links — so a forged or altered token
still cannot redirect anywhere else.

Everything else falls through to the Django views, which answer as before (one statement per hit, written at once):
a token that does not verify (the 404 image, the 400 page), a click token of the older form (no variant in it), a
variant whose links this process has not seen yet (the view's first click of it fills them in) or a link index
it lacks (the 404 page), a method other than GET, a host Django would refuse, plain HTTP where Django would redirect
to HTTPS, Redis down — and every request when there is no buffer (CAMPAIGNS_TRACKING_BUFFER_URL unset).

One difference with the view: a genuine pixel token of a send that does not exist (only possible with a database
restored behind the signing key) gets the GIF, and its hit is left out by the flush, where the view answers 404.

The response headers are the ones the views' middleware would add to these responses (security headers, never
cached); a hit's time is when it arrived, so the analytics see the same times as from the view, only later (at
most the flush period).
"""

import base64
import logging
import time
from email.utils import formatdate

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http.request import split_domain_port, validate_host
from django.utils.csp import CSP, build_policy

from apps.core.handlers import EarlyRoute
from apps.core.net import client_ip_of

from .services import content as c
from .services import tracking_buffer as buffer
from .services.tracking import ip_clean, is_machine_agent

logger = logging.getLogger("insureops.campaigns")

PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")
OPEN_PREFIX, CLICK_PREFIX = "/c/o/", "/c/k/"
PREFIXES = (OPEN_PREFIX, CLICK_PREFIX)

Response = tuple[int, list[tuple[str, str]], bytes]
STATUS_LINES = {200: "200 OK", 302: "302 Found"}


@receiver(setting_changed)
def _settings_changed(**kwargs) -> None:
    _headers_fixed.clear()
    _hosts.clear()


_headers_fixed: dict[tuple[bool, str | None], list[tuple[str, str]]] = {}
_expires: list = [0, ""]


def _headers(secure: bool, *, referrer: str | None = None) -> list[tuple[str, str]]:
    """What Django's middleware and `never_cache` put on these responses (SecurityMiddleware, the CSP middleware,
    X-Frame-Options, core's SecurityHeadersMiddleware) — worked out once per process, but the date."""
    fixed = _headers_fixed.get((secure, referrer))
    if fixed is None:
        fixed = [
            ("Cache-Control", "max-age=0, no-cache, no-store, must-revalidate, private"),
            ("X-Frame-Options", settings.X_FRAME_OPTIONS),
            ("X-XSS-Protection", "1; mode=block"),
        ]
        if settings.SECURE_CONTENT_TYPE_NOSNIFF:
            fixed.append(("X-Content-Type-Options", "nosniff"))
        if referrer or settings.SECURE_REFERRER_POLICY:
            fixed.append(("Referrer-Policy", referrer or str(settings.SECURE_REFERRER_POLICY)))
        if settings.SECURE_CROSS_ORIGIN_OPENER_POLICY:
            fixed.append(("Cross-Origin-Opener-Policy", settings.SECURE_CROSS_ORIGIN_OPENER_POLICY))
        if settings.SECURE_CSP:
            fixed.append((str(CSP.HEADER_ENFORCE), build_policy(dict(settings.SECURE_CSP))))  # type: ignore[arg-type]
        if secure and settings.SECURE_HSTS_SECONDS:
            hsts = f"max-age={settings.SECURE_HSTS_SECONDS}"
            if settings.SECURE_HSTS_INCLUDE_SUBDOMAINS:
                hsts += "; includeSubDomains"
            if settings.SECURE_HSTS_PRELOAD:
                hsts += "; preload"
            fixed.append(("Strict-Transport-Security", hsts))
        _headers_fixed[(secure, referrer)] = fixed
    now = int(time.time())
    if _expires[0] != now:
        _expires[:] = [now, formatdate(now, usegmt=True)]
    return [("Expires", _expires[1]), *fixed]


def _secure(meta) -> bool:
    """HTTPS as Django decides it (`request.is_secure()`: the trusted proxy's header, else the scheme)."""
    if settings.SECURE_PROXY_SSL_HEADER:
        header, value = settings.SECURE_PROXY_SSL_HEADER
        forwarded = meta.get(header)
        if forwarded is not None:
            return forwarded.split(",", 1)[0].strip() == value
    return meta.get("wsgi.url_scheme") == "https"


_hosts: dict[str, bool] = {}


def _host_allowed(meta) -> bool:
    """The Host header passes ALLOWED_HOSTS (as `request.get_host()` checks it), remembered per host."""
    host = meta.get("HTTP_HOST") or meta.get("SERVER_NAME", "")
    if settings.USE_X_FORWARDED_HOST and meta.get("HTTP_X_FORWARDED_HOST"):
        host = meta["HTTP_X_FORWARDED_HOST"]
    allowed = _hosts.get(host)
    if allowed is None:
        domain, _port = split_domain_port(host)
        hosts = settings.ALLOWED_HOSTS
        if settings.DEBUG and not hosts:
            hosts = [".localhost", "127.0.0.1", "[::1]"]
        allowed = bool(domain) and validate_host(domain, hosts)
        if len(_hosts) < 256:  # (a client making up hosts does not grow it)
            _hosts[host] = allowed
    return allowed


def hit(meta, path: str, now: float) -> tuple[bytes, Response] | None:
    """The buffered hit and the response for a pixel or click request (`meta`: the WSGI environ, or the same keys
    from an ASGI scope), or None when the Django view must answer it."""
    if meta.get("REQUEST_METHOD") != "GET" or not buffer.buffering():
        return None
    secure = _secure(meta)
    if (settings.SECURE_SSL_REDIRECT and not secure) or not _host_allowed(meta):
        return None
    agent = meta.get("HTTP_USER_AGENT", "")
    ip = ip_clean(client_ip_of(meta))
    if path.startswith(OPEN_PREFIX) and path.endswith(".gif"):
        try:
            send_id = c.send_token_read(path[len(OPEN_PREFIX) : -4], salt=c.OPEN_SALT)
        except Exception:  # signing.BadSignature and anything malformed: the view's 404
            return None
        # the prefetch rule needs sent_at: the flush applies it in SQL, against this hit's time
        machine = is_machine_agent(user_agent=agent, ip=ip)
        payload = buffer.hit_encode(
            kind=buffer.OPEN, send_id=send_id, machine=machine, link=-1, at=now, ip=ip, agent=agent
        )
        headers = [("Content-Type", "image/gif"), ("Content-Length", str(len(PIXEL))), *_headers(secure)]
        return payload, (200, headers, PIXEL)
    if path.startswith(CLICK_PREFIX) and "/" not in path[len(CLICK_PREFIX) :]:
        try:
            send_id, index, variant_id = c.click_token_read(path[len(CLICK_PREFIX) :])
        except Exception:  # the view's 400 page
            return None
        url = buffer.link_url(variant_id, index) if variant_id is not None else None
        if url is None:
            return None
        payload = buffer.hit_encode(
            kind=buffer.CLICK, send_id=send_id, machine=False, link=index, at=now, ip=ip, agent=agent
        )
        headers = [
            ("Content-Type", "text/html; charset=utf-8"),
            ("Content-Length", "0"),
            ("Location", url),
            *_headers(secure, referrer="no-referrer"),
        ]
        return payload, (302, headers, b"")
    return None


def wsgi(environ) -> Response | None:
    """The early answer to a WSGI request, or None."""
    answer = hit(environ, environ.get("PATH_INFO", ""), time.time())
    if answer is None:
        return None
    payload, response = answer
    try:
        buffer.hit_push(payload)
    except buffer.PushFailed as exc:
        return _unbuffered(exc, response)
    return response


def _unbuffered(exc: "buffer.PushFailed", response: Response) -> Response | None:
    """Redis did not take the hit: the view writes it to the database itself — unless the command had left (the
    hit may be in the buffer: answered, so that it is never counted twice)."""
    logger.warning("Tracking buffer unavailable (%s): %s", exc, exc.__cause__)
    return response if exc.sent else None


def _meta(scope) -> dict:
    """The WSGI-style keys `hit` reads, from an ASGI scope (as Django's ASGIRequest builds them)."""
    meta = {
        "REQUEST_METHOD": scope.get("method", ""),
        "wsgi.url_scheme": scope.get("scheme", "http"),
        "REMOTE_ADDR": (scope.get("client") or ("", 0))[0],
        "SERVER_NAME": (scope.get("server") or ("", 0))[0] or "",
    }
    for name, value in scope.get("headers") or ():
        key = "HTTP_" + name.decode("latin1").upper().replace("-", "_")
        text = value.decode("latin1")
        meta[key] = f"{meta[key]},{text}" if key in meta else text
    return meta


async def asgi(scope) -> Response | None:
    """The early answer to an ASGI HTTP request, or None."""
    path = scope.get("path", "")
    root = scope.get("root_path", "")
    if root and path.startswith(root):
        path = path[len(root) :]
    answer = hit(_meta(scope), path, time.time())
    if answer is None:
        return None
    payload, response = answer
    try:
        await buffer.hit_push_async(payload)
    except buffer.PushFailed as exc:
        return _unbuffered(exc, response)
    return response


ROUTE = EarlyRoute(prefixes=PREFIXES, wsgi=wsgi, asgi=asgi)
