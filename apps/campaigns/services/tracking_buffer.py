"""The tracking buffer: pixel hits and clicks answered by the fast path (`apps.campaigns.fastpath`) are appended to a
Redis list — one RPUSH, no database — and a beat task (`campaigns.tracking_flush`, every
CAMPAIGNS_TRACKING_FLUSH_SECONDS) writes them to PostgreSQL in batches, set-based: per batch one INSERT of all its
tracking events and one UPDATE of the sends' first open / machine open / click (the earliest hit wins, as the direct
path's "first only"), with the machine-open prefetch rule applied in SQL against each hit's own time. The statement
triggers on `campaign_sends` keep the rollups (and so the analytics) exact as for any other write; the analytics
lag the hits by at most the flush period.

Exactly once, whatever happens to a flusher:

- a batch is *claimed* atomically (a Lua script: up to CAMPAIGNS_TRACKING_FLUSH_BATCH hits moved from the list into
  a batch list of their own, registered with the time of the claim), so concurrent flushers never share a hit;
- it is applied in one transaction that also inserts the batch's key into `TrackingFlush` (unique), and the batch
  list is deleted only after that commit;
- a batch whose flusher died (claimed more than CAMPAIGNS_TRACKING_STALE_SECONDS ago and still there) is taken over
  by the next flush: if the dead flusher had committed, the key is in `TrackingFlush` and the batch is only
  dropped; if not, it is applied now. A flusher that was only slow and commits after a take-over is refused by the
  unique key (its transaction waits for the other's and then finds the key), so nothing is counted twice.

Without CAMPAIGNS_TRACKING_BUFFER_URL (no Redis: a laptop's `make run`) nothing is buffered and every hit is written
by the view, as it is written here, one statement per hit (`tracking.open_record` / `click_record`).
"""

import asyncio
import ipaddress
import logging
import os
import socket
import threading
import time
import uuid
from datetime import datetime, timedelta
from typing import Any

import orjson
import redis
import redis.asyncio
import redis.connection
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.encoding import iri_to_uri

from ..models import CampaignSend, CampaignVariant, TrackingEvent, TrackingFlush

logger = logging.getLogger("insureops.campaigns")

OPEN, CLICK = "o", "k"
LINKS_CACHED = 2048  # variants whose links a process keeps (FIFO beyond that)


def buffering() -> bool:
    """Whether hits go through the buffer (Redis configured for it)."""
    return bool(settings.CAMPAIGNS_TRACKING_BUFFER_URL)


def _key() -> str:
    return settings.CAMPAIGNS_TRACKING_BUFFER_KEY


# --- the links of a variant, kept in the process: the fast path's click never reads the database ---------------
# A variant's links never change once it has sends (a draft's variants are replaced, with new ids, when edited), so
# an entry is never stale. Filled by the view's first click of a variant in this process (`links_remember`).

_links: dict[int, tuple[str, ...]] = {}
_links_lock = threading.Lock()


def links_remember(variant_id: int, links: list[str]) -> None:
    """Keep a variant's links (as a Location header carries them: IRIs encoded, as HttpResponseRedirect does)."""
    with _links_lock:
        if variant_id not in _links and len(_links) >= LINKS_CACHED:
            _links.pop(next(iter(_links)))
        _links[variant_id] = tuple(iri_to_uri(link) for link in links)


def link_url(variant_id: int, index: int) -> str | None:
    links = _links.get(variant_id)
    if links is None or not 0 <= index < len(links):
        return None
    return links[index]


def links_forget() -> None:
    with _links_lock:
        _links.clear()


# --- appending a hit --------------------------------------------------------------------------------------------

_sync: tuple[int, str, redis.Redis] | None = None
_async: dict[tuple[int, str], redis.asyncio.Redis] = {}


def client() -> redis.Redis:
    """The process's client (re-made after a fork and when the URL changes): a pool shared by the threads."""
    global _sync
    url = settings.CAMPAIGNS_TRACKING_BUFFER_URL
    if _sync is None or _sync[0] != os.getpid() or _sync[1] != url:
        _sync = (os.getpid(), url, redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1))
    return _sync[2]


def aclient() -> redis.asyncio.Redis:
    """The event loop's client (an asyncio connection belongs to the loop that opened it)."""
    url = settings.CAMPAIGNS_TRACKING_BUFFER_URL
    key = (id(asyncio.get_running_loop()), url)
    found = _async.get(key)
    if found is None:
        if len(_async) > 8:  # loops of finished tests; a server has one
            _async.clear()
        found = _async[key] = redis.asyncio.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)
    return found


def hit_encode(*, kind: str, send_id: int, machine: bool, link: int, at: float, ip: str | None, agent: str) -> bytes:
    """One hit as the buffer keeps it (JSON: kind, send, machine by agent/address, link index, epoch seconds, ip,
    user agent)."""
    return orjson.dumps([kind, send_id, machine, link, at, ip, agent[:255]])


class PushFailed(Exception):
    """The hit is not in the buffer. `sent`: the command had left (the hit may be there; never write it twice)."""

    def __init__(self, sent: bool):
        super().__init__("sent" if sent else "not sent")
        self.sent = sent


class _Pipe(threading.local):
    """A thread's own connection for RPUSH: the request path's one round trip, written and read as RESP directly
    (redis-py's pool, retry and parser cost ~70 µs of CPU a hit, three times the rest of the fast path). TLS
    (rediss://) is left to redis-py's client."""

    sock: socket.socket | None = None
    pid = 0
    url = ""


_pipe = _Pipe()


def _command(*parts: bytes) -> bytes:
    return b"*%d\r\n" % len(parts) + b"".join(b"$%d\r\n%s\r\n" % (len(p), p) for p in parts)


CLIENT_NAME = b"insureops-tracking-buffer"  # (CLIENT LIST shows the fast path's connections by this name)


class _Closed(ConnectionError):
    """Redis closed the connection before any byte of the reply."""


def _closed_before_reply(exc: BaseException) -> bool:
    """The server had closed (or reset) the connection without answering: it did not read the command — Redis
    answers every command it runs before it closes, and a socket closed with unread input is reset. A connection
    left idle is closed so (Redis's `timeout`, CLIENT KILL, a restart); the command is sent again on a new one."""
    return isinstance(exc, (_Closed, ConnectionResetError, BrokenPipeError))


def _reply(sock: socket.socket) -> bytes:
    data = b""
    while not data.endswith(b"\r\n"):
        chunk = sock.recv(256)
        if not chunk:
            raise (_Closed if not data else ConnectionError)("Redis closed the connection")
        data += chunk
    if data[:1] in (b"-", b"!"):
        raise ConnectionError(data.decode("utf-8", "replace").strip())
    return data


def _hello(options: dict) -> list[bytes]:
    """The commands a new connection sends first (each answered before the next): credentials, the database, its
    name."""
    commands = []
    if options.get("password"):
        credentials = [options["username"]] if options.get("username") else []
        commands.append(_command(b"AUTH", *(str(x).encode() for x in [*credentials, options["password"]])))
    if options.get("db"):
        commands.append(_command(b"SELECT", str(options["db"]).encode()))
    commands.append(_command(b"CLIENT", b"SETNAME", CLIENT_NAME))
    return commands


def _connect(url: str) -> socket.socket:
    options = redis.connection.parse_url(url)
    if "path" in options:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(1)
        sock.connect(options["path"])
    else:
        sock = socket.create_connection((options.get("host") or "localhost", options.get("port") or 6379), timeout=1)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        for command in _hello(options):
            sock.sendall(command)
            _reply(sock)
    except BaseException:
        sock.close()
        raise
    return sock


def hit_push(payload: bytes) -> None:
    """RPUSH the hit (one round trip). PushFailed when it cannot be known to be in the buffer."""
    url = settings.CAMPAIGNS_TRACKING_BUFFER_URL
    if url.startswith("rediss://"):
        try:
            client().rpush(_key(), payload)
        except redis.RedisError as exc:
            raise PushFailed(sent=not isinstance(exc, redis.ConnectionError)) from exc
        return
    pipe = _pipe
    reused = pipe.sock is not None and pipe.pid == os.getpid() and pipe.url == url
    command = _command(b"RPUSH", _key().encode(), payload)
    while True:
        if pipe.sock is None or pipe.pid != os.getpid() or pipe.url != url:
            if pipe.sock is not None:
                pipe.sock.close()
                pipe.sock = None
            try:
                pipe.sock, pipe.pid, pipe.url = _connect(url), os.getpid(), url
            except (OSError, ValueError) as exc:
                raise PushFailed(sent=False) from exc
        sent = False
        try:
            pipe.sock.sendall(command)
            sent = True
            _reply(pipe.sock)
            return
        except OSError as exc:  # (ConnectionError and timeouts are OSErrors)
            pipe.sock.close()
            pipe.sock = None
            if reused and _closed_before_reply(exc):
                reused = False  # once, on a new connection
                continue
            raise PushFailed(sent=sent) from exc


class _LoopPipe:
    """An event loop's one connection for RPUSH, committing hits in groups: the hits that arrive while a push is in
    flight go out together in the next RPUSH — one round trip, and one reply, for as many requests as came in the
    meantime (under load, dozens), each request still answered only once its hit is known to be in the buffer.
    Written and read as RESP directly, like `_Pipe` (redis-py's asyncio client costs a pooled connection and a
    round trip per hit)."""

    def __init__(self, loop: asyncio.AbstractEventLoop, url: str) -> None:
        self.loop, self.url = loop, url
        self.waiting: list[tuple[bytes, Any]] = []
        self.draining = False
        self.reader: Any = None
        self.writer: Any = None
        self.drainer: asyncio.Task | None = None

    async def push(self, payload: bytes) -> None:
        done = asyncio.get_running_loop().create_future()
        self.waiting.append((payload, done))
        if not self.draining:
            self.draining = True
            self.drainer = asyncio.get_running_loop().create_task(self._drain())  # (kept: the loop holds tasks weakly)
        await done

    async def _connect(self) -> None:
        options = redis.connection.parse_url(self.url)
        if "path" in options:
            self.reader, self.writer = await asyncio.wait_for(asyncio.open_unix_connection(options["path"]), 1)
        else:
            self.reader, self.writer = await asyncio.wait_for(
                asyncio.open_connection(options.get("host") or "localhost", options.get("port") or 6379), 1
            )
            sock = self.writer.get_extra_info("socket")
            if sock is not None:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for command in _hello(options):
            self.writer.write(command)
            await self._reply()

    async def _reply(self) -> bytes:
        line = await asyncio.wait_for(self.reader.readline(), 1)
        if not line.endswith(b"\r\n"):
            raise (_Closed if not line else ConnectionError)("Redis closed the connection")
        if line[:1] in (b"-", b"!"):
            raise ConnectionError(line.decode("utf-8", "replace").strip())
        return line

    def _close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None

    async def _drain(self) -> None:
        try:
            while self.waiting:
                group, self.waiting = self.waiting, []
                command = _command(b"RPUSH", _key().encode(), *(payload for payload, _ in group))
                reused = self.writer is not None
                sent = False
                try:
                    while True:
                        try:
                            if self.writer is None:
                                await self._connect()
                            self.writer.write(command)
                            sent = True
                            await self._reply()
                            break
                        except Exception as exc:
                            if not (reused and _closed_before_reply(exc)):
                                raise
                            self._close()  # closed while idle (see _closed_before_reply): once more, on a new one
                            reused = sent = False
                except Exception as exc:  # a refused or lost connection, a timeout: no request left waiting
                    self._close()
                    for _, done in group:
                        if not done.done():
                            failed = PushFailed(sent=sent)
                            failed.__cause__ = exc
                            done.set_exception(failed)
                    continue
                for _, done in group:
                    if not done.done():
                        done.set_result(None)
        finally:
            self.draining = False


_loop_pipes: dict[int, _LoopPipe] = {}  # by the loop's id (a connection belongs to the loop that opened it)


async def hit_push_async(payload: bytes) -> None:
    """hit_push under ASGI: the event loop's group-committing connection (`_LoopPipe`); TLS through redis-py."""
    url = settings.CAMPAIGNS_TRACKING_BUFFER_URL
    if url.startswith("rediss://"):
        try:
            await aclient().rpush(_key(), payload)
        except redis.RedisError as exc:
            raise PushFailed(sent=not isinstance(exc, redis.ConnectionError)) from exc
        return
    loop = asyncio.get_running_loop()
    pipe = _loop_pipes.get(id(loop))
    if pipe is None or pipe.loop is not loop or pipe.url != url:
        if len(_loop_pipes) > 8:  # loops of finished tests; a server has one
            _loop_pipes.clear()
        pipe = _loop_pipes[id(loop)] = _LoopPipe(loop, url)
    await pipe.push(payload)


def pending() -> int:
    """Hits waiting in the buffer (not yet claimed by a flush)."""
    return int(client().llen(_key())) if buffering() else 0


# --- claiming a batch -------------------------------------------------------------------------------------------

# KEYS: the hit list, the registry of claimed batches (sorted set: batch list → claimed at), the new batch list.
# ARGV: max hits, now (epoch seconds), stale seconds. Returns {batch list, hits} or {false, {}} when there is nothing.
# A stale batch (its flusher died) is taken over first, re-registered at `now` so only one flusher takes it.
_CLAIM = """
local stale = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', tonumber(ARGV[2]) - tonumber(ARGV[3]), 'LIMIT', 0, 1)
if #stale > 0 then
  redis.call('ZADD', KEYS[2], ARGV[2], stale[1])
  return {stale[1], redis.call('LRANGE', stale[1], 0, -1)}
end
local hits = redis.call('LRANGE', KEYS[1], 0, tonumber(ARGV[1]) - 1)
if #hits == 0 then return {false, {}} end
redis.call('LTRIM', KEYS[1], #hits, -1)
for i = 1, #hits, 1000 do
  redis.call('RPUSH', KEYS[3], unpack(hits, i, math.min(i + 999, #hits)))
end
redis.call('ZADD', KEYS[2], ARGV[2], KEYS[3])
return {KEYS[3], hits}
"""
_RELEASE = """
redis.call('DEL', KEYS[2])
redis.call('ZREM', KEYS[1], KEYS[2])
return 1
"""


def _registry() -> str:
    return f"{_key()}:claimed"


def batch_claim(*, size: int | None = None, now: float | None = None) -> tuple[str, list[bytes]] | None:
    """Take a batch: a stale one (a dead flusher's) or up to `size` new hits. None when there is none."""
    now = time.time() if now is None else now
    batch = f"{_key()}:batch:{uuid.uuid4().hex}"
    name, hits = client().eval(
        _CLAIM,
        3,
        _key(),
        _registry(),
        batch,
        size or settings.CAMPAIGNS_TRACKING_FLUSH_BATCH,
        repr(now),
        settings.CAMPAIGNS_TRACKING_STALE_SECONDS,
    )
    if not name:
        return None
    return name.decode(), hits


def batch_release(name: str) -> None:
    """Forget a batch whose hits are committed (or were committed by someone else)."""
    client().eval(_RELEASE, 2, _registry(), name)


# --- applying a batch -------------------------------------------------------------------------------------------

_SENDS, _EVENTS, _VARIANTS = CampaignSend._meta.db_table, TrackingEvent._meta.db_table, CampaignVariant._meta.db_table
# One batch: every hit of a send that exists (a click only with a link its variant has) becomes a tracking event —
# a pixel hit an 'open' or a 'machine_open' (by its agent or address, decided when it arrived, or by arriving within
# the prefetch seconds of the sending: the hit's own time against sent_at) — in one INSERT; then each send's
# earliest open (a click is an open too, images off), machine open and click are set where earlier than what it
# has, in one UPDATE (the sends locked first, in id order, so concurrent flushers cannot deadlock).
_APPLY = f"""WITH h AS (
    SELECT * FROM unnest(%(kinds)s::text[], %(sends)s::bigint[], %(machines)s::boolean[], %(links)s::int[],
                         %(ats)s::float8[], %(ips)s::text[], %(agents)s::text[])
             AS h(kind, send_id, machine, link, at, ip, agent)),
x AS (
    SELECT s.id AS send_id, s.campaign_id, s.variant_id, to_timestamp(h.at) AS at,
           -- a hit that waited in the buffer while its customer was erased (the send's address blanked): kept
           -- without the agent and address, as erasure leaves the events it finds
           CASE WHEN s.address = '' THEN '' ELSE h.agent END AS agent,
           CASE WHEN s.address = '' THEN NULL ELSE h.ip::inet END AS ip,
           CASE WHEN h.kind = '{CLICK}' THEN 'click'
                WHEN h.machine OR (s.sent_at IS NOT NULL AND to_timestamp(h.at) - s.sent_at < %(prefetch)s)
                THEN 'machine_open' ELSE 'open' END AS kind,
           CASE WHEN h.kind = '{CLICK}' THEN v.links -> h.link #>> '{{}}' ELSE '' END AS url
    FROM h JOIN {_SENDS} s ON s.id = h.send_id
    LEFT JOIN {_VARIANTS} v ON h.kind = '{CLICK}' AND v.id = s.variant_id
    WHERE h.kind = '{OPEN}' OR (h.link >= 0 AND v.links -> h.link IS NOT NULL)),
e AS (
    INSERT INTO {_EVENTS} (campaign_id, send_id, variant_id_copy, kind, occurred_at, url, user_agent, ip,
                           provider_event_id)
    SELECT campaign_id, send_id, variant_id, kind, at, left(url, 2000), agent, ip, '' FROM x ORDER BY at
    RETURNING 1),
f AS (
    SELECT send_id, min(at) FILTER (WHERE kind <> 'machine_open') AS opened,
           min(at) FILTER (WHERE kind = 'machine_open') AS machine_opened,
           min(at) FILTER (WHERE kind = 'click') AS clicked
    FROM x GROUP BY send_id),
u AS (
    UPDATE {_SENDS} c SET opened_at = least(c.opened_at, f.opened),
                         machine_opened_at = least(c.machine_opened_at, f.machine_opened),
                         clicked_at = least(c.clicked_at, f.clicked)
    FROM f WHERE c.id = f.send_id
      AND (least(c.opened_at, f.opened) IS DISTINCT FROM c.opened_at
           OR least(c.machine_opened_at, f.machine_opened) IS DISTINCT FROM c.machine_opened_at
           OR least(c.clicked_at, f.clicked) IS DISTINCT FROM c.clicked_at)
    RETURNING 1)
SELECT (SELECT count(*) FROM e), (SELECT count(*) FROM u)"""  # noqa: S608
_LOCK = f"SELECT id FROM {_SENDS} WHERE id = ANY(%s) ORDER BY id FOR UPDATE"  # noqa: S608


def _decoded(hits: list[bytes]) -> dict[str, list[Any]]:
    columns: dict[str, list[Any]] = {k: [] for k in ("kinds", "sends", "machines", "links", "ats", "ips", "agents")}
    for raw in hits:
        try:
            kind, send_id, machine, link, at, ip, agent = orjson.loads(raw)
            if kind not in (OPEN, CLICK) or type(send_id) is not int or type(link) is not int:
                raise ValueError(kind)
            ip = str(ipaddress.ip_address(ip)) if ip else None  # the batch's cast to inet must not fail
            row = (kind, send_id, bool(machine), link, float(at), ip, str(agent)[:255])
        except (ValueError, TypeError) as exc:  # not ours: logged and left out, the rest of the batch counts
            logger.warning("Tracking buffer: a malformed hit left out (%s): %r", exc, raw[:200])
            continue
        for column, value in zip(columns, row, strict=True):
            columns[column].append(value)
    return columns


def batch_apply(name: str, hits: list[bytes]) -> tuple[int, int] | None:
    """Write one claimed batch: (events inserted, sends changed), or None when the batch was applied before (by
    a flusher that died before releasing it, or one that was slow and finished after a take-over)."""
    columns = _decoded(hits)
    params: dict[str, Any] = {**columns, "prefetch": timedelta(seconds=settings.CAMPAIGNS_PREFETCH_SECONDS)}
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {TrackingFlush._meta.db_table} (batch, hits, flushed_at) VALUES (%s, %s, %s) "  # noqa: S608
            "ON CONFLICT (batch) DO NOTHING RETURNING batch",
            [name.rsplit(":", 1)[-1], len(hits), timezone.now()],
        )
        if cursor.fetchone() is None:
            return None
        if columns["sends"]:
            cursor.execute(_LOCK, [sorted(set(columns["sends"]))])
            cursor.execute(_APPLY, params)
            inserted, changed = cursor.fetchone()
            return int(inserted), int(changed)
        return 0, 0


def tracking_flush(*, max_seconds: float | None = None, size: int | None = None, now: float | None = None) -> dict:
    """Write buffered hits, batch after batch, until the buffer is empty or `max_seconds` have passed (the beat
    task's period by default: the next run carries on). Safe to run concurrently and to retry."""
    if not buffering():
        return {"batches": 0, "hits": 0, "events": 0, "sends": 0, "repeated": 0}
    budget = settings.CAMPAIGNS_TRACKING_FLUSH_SECONDS if max_seconds is None else max_seconds
    started = time.monotonic()
    totals = {"batches": 0, "hits": 0, "events": 0, "sends": 0, "repeated": 0}
    while time.monotonic() - started < budget:
        claimed = batch_claim(size=size, now=now)
        if claimed is None:
            break
        name, hits = claimed
        applied = batch_apply(name, hits)
        batch_release(name)
        totals["batches"] += 1
        totals["hits"] += len(hits)
        if applied is None:
            totals["repeated"] += 1
        else:
            totals["events"] += applied[0]
            totals["sends"] += applied[1]
    return totals


def flushes_prune(*, now: datetime | None = None) -> int:
    """Forget applied batch keys older than CAMPAIGNS_TRACKING_FLUSH_KEEP_DAYS (any batch left behind by a dead
    flusher is taken over within CAMPAIGNS_TRACKING_STALE_SECONDS, long before)."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.CAMPAIGNS_TRACKING_FLUSH_KEEP_DAYS)
    deleted, _ = TrackingFlush.objects.filter(flushed_at__lt=cutoff).delete()
    return deleted
