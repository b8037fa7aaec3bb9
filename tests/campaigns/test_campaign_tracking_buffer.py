"""The tracking fast path and buffer: the open pixel and click redirects answered before Django by the real WSGI and
ASGI applications (apps/core/handlers.py), hits appended to the real Redis, written by `tracking_flush` once —
whatever happens to a flusher (dies after claiming, dies after committing, is slow and finishes after a take-over,
runs beside others) — with the same figures as the direct path: first open/click, machine opens (by agent and
address, and by the prefetch rule against sent_at), the rollups behind the analytics."""

import asyncio
import io
import threading
import time
import uuid
from datetime import timedelta

import orjson
import pytest
from asgiref.sync import async_to_sync
from django.core import signing
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, connection
from django.utils import timezone

from apps.campaigns.models import CampaignSend, TrackingEvent, TrackingFlush
from apps.campaigns.selectors.analytics import campaign_analytics
from apps.campaigns.services import content as c
from apps.campaigns.services import tracking_buffer as buffer
from apps.campaigns.services.campaigns import campaign_create, campaign_send
from apps.core.handlers import EnvelopeASGIHandler, EnvelopeWSGIHandler

from .conftest import consenting

pytestmark = [pytest.mark.redis]
IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148"
LINK = "https://insureops.example/offer?x=1"
HITS = ("open", "machine_open", "click")  # (sending writes events of its own: delivered)


def _events(**filters):
    return TrackingEvent.objects.filter(kind__in=HITS, **filters)


@pytest.fixture(autouse=True)
def own_buffer(settings):
    """A buffer key of the test's own (the Redis database is shared with the worker's other tests), emptied."""
    key = settings.CAMPAIGNS_TRACKING_BUFFER_KEY = f"test-{uuid.uuid4().hex[:8]}:{{campaigns:tracking}}:hits"
    redis = buffer.client()
    buffer.links_forget()
    yield
    keys = redis.keys(key + "*")
    if keys:
        redis.delete(*keys)
    buffer.links_forget()


@pytest.fixture
def wsgi():
    """The real WSGI application (config/wsgi.py's handler). Django's request signals would close the test's
    connection (as in Django's own test client, they are disconnected around each call)."""
    handler = EnvelopeWSGIHandler()

    def call(path: str, *, agent: str = IPHONE, ip: str = "81.84.1.1", method: str = "GET") -> tuple[int, dict, bytes]:
        environ = {
            "REQUEST_METHOD": method,
            "PATH_INFO": path,
            "SCRIPT_NAME": "",
            "QUERY_STRING": "",
            "SERVER_NAME": "testserver",
            "SERVER_PORT": "80",
            "HTTP_HOST": "testserver",
            "HTTP_USER_AGENT": agent,
            "REMOTE_ADDR": ip,
            "SERVER_PROTOCOL": "HTTP/1.1",
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(b""),
            "wsgi.errors": io.StringIO(),
        }
        answer: dict = {}

        def start_response(status, headers, exc_info=None):
            answer["status"], answer["headers"] = int(status.split()[0]), dict(headers)

        request_started.disconnect(close_old_connections)
        request_finished.disconnect(close_old_connections)
        try:
            body = b"".join(handler(environ, start_response))
        finally:
            request_started.connect(close_old_connections)
            request_finished.connect(close_old_connections)
        return answer["status"], answer["headers"], body

    return call


def _scope(path: str) -> dict:
    """An ASGI HTTP scope for a mail client's GET of `path`."""
    return {
        "type": "http",
        "method": "GET",
        "path": path,
        "root_path": "",
        "scheme": "http",
        "query_string": b"",
        "headers": [(b"host", b"testserver"), (b"user-agent", IPHONE.encode())],
        "client": ("81.84.1.1", 50000),
        "server": ("testserver", 80),
    }


def _path(url: str) -> str:
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


def _sent(manager, n: int = 2, *, body: str = f"Hello {{{{ first_name }}}}: {LINK}.", capture=None) -> list:
    customers = consenting(n)
    campaign = campaign_create(
        actor=manager,
        name="Renew",
        type="email",
        channels=["email"],
        target_audience={"customer_ids": [x.pk for x in customers]},
        content={"subject": "Renew", "body": body},
    )
    if capture is None:
        campaign_send(campaign=campaign, actor=manager)
    else:
        with capture(execute=True):
            campaign_send(campaign=campaign, actor=manager)
    sends = list(CampaignSend.objects.filter(campaign=campaign).order_by("pk"))
    # sent a minute ago: past the prefetch window (a test below moves it)
    CampaignSend.objects.filter(campaign=campaign).update(sent_at=timezone.now() - timedelta(minutes=1))
    return sends


def _click(send: CampaignSend, index: int = 0) -> str:
    return _path(c.click_url(send.pk, index, send.variant_id))


@pytest.fixture
def sends(db, manager, settings, django_capture_on_commit_callbacks):
    settings.MESSAGING_DEFAULT_QUIET_HOURS = {}
    return _sent(manager, capture=django_capture_on_commit_callbacks)


def test_pixel_hits_are_buffered_and_written_by_the_flush_as_the_view_would(sends, wsgi):
    one, two = sends
    before = timezone.now()

    for agent, ip in ((IPHONE, "81.84.1.1"), (IPHONE, "81.84.1.1"), ("Mozilla/5.0", "17.58.1.2")):
        status, headers, body = wsgi(_path(c.open_url(one.pk)), agent=agent, ip=ip)
        assert (status, headers["Content-Type"], body[:6]) == (200, "image/gif", b"GIF89a")
        assert "no-store" in headers["Cache-Control"]
        assert headers["X-Content-Type-Options"] == "nosniff"
    wsgi(_path(c.open_url(two.pk)), agent="Mozilla/5.0", ip="17.58.1.2")  # Apple's privacy proxy only

    # nothing in the database yet: three hits wait in Redis
    assert not _events().exists()
    assert CampaignSend.objects.get(pk=one.pk).opened_at is None
    assert buffer.pending() == 4

    totals = buffer.tracking_flush()

    assert (totals["hits"], totals["events"], totals["sends"], totals["repeated"]) == (4, 4, 2, 0)
    assert buffer.pending() == 0
    one.refresh_from_db()
    two.refresh_from_db()
    first = _events(send=one, kind="open").order_by("occurred_at").first()
    assert one.opened_at == first.occurred_at  # the first open's own time, not the flush's
    assert before <= one.opened_at <= timezone.now()
    assert (first.user_agent, first.ip) == (IPHONE, "81.84.1.1")
    assert one.machine_opened_at is not None
    assert (two.opened_at, two.machine_opened_at is not None) == (None, True)
    kinds = sorted(_events().values_list("kind", flat=True))
    assert kinds == ["machine_open", "machine_open", "open", "open"]
    figures = campaign_analytics(one.campaign)  # the rollup triggers saw the flush's UPDATE
    assert figures["opened"] == 1


def test_an_open_within_the_prefetch_window_of_the_sending_is_a_machine_open(sends, wsgi, settings):
    one, _ = sends
    settings.CAMPAIGNS_PREFETCH_SECONDS = 120  # sent a minute ago: a scanner fetching on arrival
    wsgi(_path(c.open_url(one.pk)), agent=IPHONE)

    buffer.tracking_flush()

    one.refresh_from_db()
    assert (one.opened_at, one.machine_opened_at is not None) == (None, True)
    assert _events().get(send=one).kind == "machine_open"


def test_clicks_redirect_to_the_variants_own_link_and_are_counted_once_each(sends, wsgi):
    one, _ = sends
    # this process has not seen the variant: the view answers (and writes) the first click, and keeps its links
    status, headers, _ = wsgi(_click(one))
    assert (status, headers["Location"]) == (302, LINK)
    assert _events(kind="click").count() == 1
    first_click = CampaignSend.objects.get(pk=one.pk).clicked_at

    status, headers, body = wsgi(_click(one))  # the fast path: no database
    assert (status, headers["Location"], headers["Referrer-Policy"], body) == (302, LINK, "no-referrer", b"")
    assert _events(kind="click").count() == 1
    assert buffer.pending() == 1

    buffer.tracking_flush()

    one.refresh_from_db()
    clicks = _events(send=one, kind="click")
    assert [e.url for e in clicks] == [LINK, LINK]
    assert one.clicked_at == first_click  # the first click stays the first
    assert one.opened_at == first_click  # a click is an open (images off)
    assert campaign_analytics(one.campaign)["clicked"] == 1


def test_forged_tokens_and_unknown_links_fall_through_to_the_views_refusals(sends, wsgi):
    one, _ = sends
    wsgi(_click(one))  # the variant's links known to this process
    forged = signing.dumps([one.pk, 0, one.variant_id], key="not-our-secret", salt=c.CLICK_SALT)
    other_link = signing.dumps([one.pk, 5, one.variant_id], salt=c.CLICK_SALT)  # genuine, a link the variant lacks
    older = _path(c.click_url(one.pk, 0))  # a link sent before tokens named the variant: the view answers it

    for token in (forged, "garbage"):
        status, headers, body = wsgi(f"/c/k/{token}")
        assert status == 400
        assert "Location" not in headers
        assert b"not valid" in body
    assert wsgi(f"/c/k/{other_link}")[0] == 404
    assert wsgi("/c/o/1:forged.gif")[0] == 404
    status, headers, _ = wsgi(older)
    assert (status, headers["Location"]) == (302, LINK)
    assert wsgi(_path(c.open_url(one.pk)), method="POST")[0] == 403  # only GET is answered early
    assert buffer.pending() == 0
    assert _events(kind="click").count() == 2  # the first and the older-form click


def test_without_a_buffer_or_with_redis_down_every_hit_is_written_at_once(sends, wsgi, settings):
    one, two = sends
    settings.CAMPAIGNS_TRACKING_BUFFER_URL = ""  # a laptop's `make run`
    assert wsgi(_path(c.open_url(one.pk)))[0] == 200
    assert CampaignSend.objects.get(pk=one.pk).opened_at is not None

    settings.CAMPAIGNS_TRACKING_BUFFER_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    assert wsgi(_path(c.open_url(two.pk)))[0] == 200
    assert CampaignSend.objects.get(pk=two.pk).opened_at is not None
    assert _events().count() == 2


def test_the_asgi_application_answers_on_the_fast_path_too(sends):
    one, _ = sends
    handler = EnvelopeASGIHandler()
    sent: list[dict] = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    scope = _scope(_path(c.open_url(one.pk)))
    async_to_sync(handler)(scope, receive, send)

    assert sent[0]["status"] == 200
    assert (b"content-type", b"image/gif") in sent[0]["headers"]
    assert sent[1]["body"][:6] == b"GIF89a"
    assert buffer.pending() == 1
    kind, send_id, machine, _link, _at, ip, agent = orjson.loads(buffer.client().lindex(buffer._key(), 0))
    assert (kind, send_id, machine, ip, agent) == ("o", one.pk, False, "81.84.1.1", IPHONE)


def test_concurrent_asgi_hits_are_pushed_in_groups_each_answered_once_it_is_in_the_buffer(sends, settings):
    """The tracking tier's event loop: 60 requests at once share a few RPUSHes (one connection, group commit), and
    every hit is in the buffer when its request is answered; the flush writes each once."""
    one, two = sends
    handler = EnvelopeASGIHandler()
    rpushes: list[int] = []
    original = buffer._command

    def counting(*parts: bytes) -> bytes:
        if parts[0] == b"RPUSH":
            rpushes.append(len(parts) - 2)
        return original(*parts)

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def hit(send_id: int, answers: list) -> None:
        scope = _scope(_path(c.open_url(send_id)))

        async def send(message):
            if message["type"] == "http.response.start":
                # answered only once the hit is in Redis (the pushes so far hold at least this one)
                answers.append((message["status"], sum(rpushes)))

        await handler(scope, receive, send)

    async def burst(answers: list) -> None:
        await asyncio.gather(*(hit((one, two)[i % 2].pk, answers) for i in range(60)))

    answers: list = []
    buffer._command = counting
    try:
        async_to_sync(burst)(answers)
    finally:
        buffer._command = original
    assert [status for status, _ in answers] == [200] * 60
    assert all(pushed >= i + 1 for i, (_, pushed) in enumerate(answers))
    assert sum(rpushes) == 60
    assert len(rpushes) < 60  # grouped: fewer round trips than hits
    assert buffer.pending() == 60
    buffer.tracking_flush()
    assert _events(send_id=one.pk).count() == 30
    assert _events(send_id=two.pk).count() == 30


def _kill_buffer_connections() -> int:
    """Close the fast path's connections from the server's side, as Redis's idle `timeout` or a restart does."""
    redis = buffer.client()
    ids = [c["id"] for c in redis.client_list() if c.get("name") == buffer.CLIENT_NAME.decode()]
    for client_id in ids:
        redis.client_kill_filter(_id=client_id)
    return len(ids)


def test_a_hit_on_a_connection_redis_closed_while_idle_is_pushed_again_on_a_new_one(sends, wsgi):
    """Redis closed the idle connection without reading the hit: it is sent again, once, on a new connection —
    in the buffer exactly once, not lost, and not written by the view."""
    one, two = sends
    assert wsgi(_path(c.open_url(one.pk)))[0] == 200
    assert _kill_buffer_connections() >= 1
    assert wsgi(_path(c.open_url(two.pk)))[0] == 200
    assert buffer.pending() == 2
    assert not _events().exists()  # nothing fell through to the view

    handler = EnvelopeASGIHandler()

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        pass

    async def two_hits() -> None:
        await handler(_scope(_path(c.open_url(one.pk))), receive, send)
        assert _kill_buffer_connections() >= 1  # (the event loop's connection among them)
        await handler(_scope(_path(c.open_url(two.pk))), receive, send)

    async_to_sync(two_hits)()
    assert buffer.pending() == 4
    assert not _events().exists()
    buffer.tracking_flush()
    assert _events(send_id=one.pk).count() == 2
    assert _events(send_id=two.pk).count() == 2


def test_asgi_hits_with_redis_down_are_written_by_the_view(sends, settings):
    one, _ = sends
    settings.CAMPAIGNS_TRACKING_BUFFER_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    handler = EnvelopeASGIHandler()
    sent: list[dict] = []
    messages = [{"type": "http.request", "body": b"", "more_body": False}]

    async def receive():
        if messages:
            return messages.pop()
        await asyncio.sleep(3600)  # the client stays connected (Django stops listening once it has answered)
        return None

    async def send(message):
        sent.append(message)

    scope = _scope(_path(c.open_url(one.pk)))
    request_started.disconnect(close_old_connections)  # (they would close the test's connection: see `wsgi`)
    request_finished.disconnect(close_old_connections)
    try:
        async_to_sync(handler)(scope, receive, send)
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    assert sent[0]["status"] == 200
    assert CampaignSend.objects.get(pk=one.pk).opened_at is not None  # the view wrote it at once
    assert _events(send_id=one.pk).count() == 1


def _hits(sends: list[CampaignSend], n: int, wsgi) -> None:
    for i in range(n):
        wsgi(_path(c.open_url(sends[i % len(sends)].pk)), agent=IPHONE)


def test_a_flusher_dying_between_claim_and_commit_loses_nothing(sends, wsgi, settings):
    _hits(sends, 6, wsgi)
    t0 = time.time()
    claimed = buffer.batch_claim(now=t0)  # … and the flusher dies here
    assert claimed is not None
    assert buffer.pending() == 0

    assert buffer.tracking_flush(now=t0 + 1)["hits"] == 0  # not stale yet: still the dead flusher's
    assert not _events().exists()

    totals = buffer.tracking_flush(now=t0 + settings.CAMPAIGNS_TRACKING_STALE_SECONDS + 1)  # taken over

    assert (totals["hits"], totals["events"], totals["repeated"]) == (6, 6, 0)
    assert _events().count() == 6
    assert buffer.tracking_flush(now=t0 + 10_000)["batches"] == 0  # nothing left anywhere
    assert buffer.client().zcard(buffer._registry()) == 0


def test_a_flusher_dying_after_its_commit_is_not_counted_twice(sends, wsgi, settings):
    _hits(sends, 5, wsgi)
    t0 = time.time()
    name, hits = buffer.batch_claim(now=t0)
    assert buffer.batch_apply(name, hits) == (5, 2)  # committed … and the flusher dies before releasing

    totals = buffer.tracking_flush(now=t0 + settings.CAMPAIGNS_TRACKING_STALE_SECONDS + 1)

    assert (totals["batches"], totals["repeated"], totals["events"]) == (1, 1, 0)
    assert _events().count() == 5
    assert TrackingFlush.objects.get().hits == 5
    assert buffer.client().exists(name) == 0


def test_a_slow_flusher_finishing_after_a_take_over_writes_nothing(sends, wsgi, settings):
    _hits(sends, 4, wsgi)
    t0 = time.time()
    name, hits = buffer.batch_claim(now=t0)  # flusher A, slow
    taken = buffer.batch_claim(now=t0 + settings.CAMPAIGNS_TRACKING_STALE_SECONDS + 1)  # B takes it over
    assert taken == (name, hits)
    assert buffer.batch_apply(*taken) == (4, 2)
    buffer.batch_release(name)

    assert buffer.batch_apply(name, hits) is None  # A, at last

    assert _events().count() == 4


def test_malformed_hits_are_left_out_and_the_rest_counted(sends, wsgi):
    one, _ = sends
    wsgi(_path(c.open_url(one.pk)))
    redis = buffer.client()
    redis.rpush(buffer._key(), b"not json", orjson.dumps(["o", "1", False, -1, 0, None, ""]))
    redis.rpush(buffer._key(), orjson.dumps(["o", one.pk, False, -1, time.time(), "not an address", "x"]))

    totals = buffer.tracking_flush()

    assert (totals["hits"], totals["events"]) == (4, 1)
    assert _events().count() == 1


def test_a_hit_flushed_after_its_customer_was_erased_keeps_no_agent_or_address(sends, wsgi, make_user):
    from apps.accounts.roles import Role
    from apps.customers.services import customer_erase

    one, _ = sends
    wsgi(_path(c.open_url(one.pk)))
    customer_erase(customer=one.customer, actor=make_user(Role.ADMIN), reason="Art. 17 request")

    buffer.tracking_flush()

    event = _events().get(send=one)
    assert (event.kind, event.user_agent, event.ip) == ("open", "", None)


@pytest.mark.django_db(transaction=True)
def test_concurrent_flushers_write_every_hit_exactly_once(manager, settings):
    """Four flushers at once over 600 hits of 30 sends, in batches of 25: every hit one event, each send's first
    open its earliest hit, no deadlock."""
    settings.MESSAGING_DEFAULT_QUIET_HOURS = {}
    sends = _sent(manager, 30)
    base = time.time() - 30
    expected: dict[int, float] = {}
    redis = buffer.client()
    for i in range(600):
        send = sends[i % 30]
        at = base + (599 - i) * 0.01  # later pushes are earlier hits: order in the buffer is not time order
        expected[send.pk] = min(expected.get(send.pk, at), at)
        kind, link = ("k", 0) if i % 7 == 0 else ("o", -1)
        redis.rpush(
            buffer._key(),
            buffer.hit_encode(
                kind=kind, send_id=send.pk, machine=False, link=link, at=at, ip="81.84.1.1", agent=IPHONE
            ),
        )
    results: list[dict] = []
    errors: list[BaseException] = []

    def flusher():
        try:
            results.append(buffer.tracking_flush(size=25, max_seconds=60))
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=flusher) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)

    assert not any(thread.is_alive() for thread in threads)
    assert errors == []
    assert sum(r["hits"] for r in results) == 600
    assert sum(r["repeated"] for r in results) == 0
    assert _events().count() == 600
    assert _events(kind="click").count() == len([i for i in range(600) if i % 7 == 0])
    assert sum(TrackingFlush.objects.values_list("hits", flat=True)) == 600
    for send in CampaignSend.objects.filter(pk__in=expected):
        assert abs(send.opened_at.timestamp() - expected[send.pk]) < 1e-5, send.pk
    assert campaign_analytics(sends[0].campaign)["opened"] == 30
