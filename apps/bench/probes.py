"""The probes beside HTTP load: renewal batches through a real Celery worker, and a committed event's trip to N
websocket clients through daphne and the Redis channel layer."""

import asyncio
import json
import statistics
import subprocess
import time

from .servers import ROOT, free_port, start_daphne, stop, wait_http


def ingest(env: dict, sizes: list[int], *, stdout) -> list[dict]:
    """Upload generated XLSX files as the manager, let a real worker process them, time upload → completed,
    and time a plain COPY of the same rows into a scratch table (the physical floor)."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.db import connection, transaction

    from apps.accounts.models import User
    from apps.bench.renewal_rows import renewal_rows, renewal_xlsx
    from apps.renewals.ingest import batch_create
    from apps.renewals.models import UploadBatch

    manager = User.objects.get(email="manager@example.com")
    worker = subprocess.Popen(
        [str(ROOT / ".venv/bin/celery"), "-A", "config", "worker", "--concurrency=1", "--loglevel=WARNING"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    results = []
    try:
        time.sleep(3)  # the worker connects to the broker; a task sent earlier would wait for it anyway
        for size in sizes:
            data = renewal_xlsx(size)
            started = time.perf_counter()
            with transaction.atomic():
                batch, _ = batch_create(
                    file=SimpleUploadedFile(f"bench-{size}.xlsx", data), policy_type="auto", actor=manager
                )
            accepted = time.perf_counter() - started
            deadline = time.monotonic() + max(120, size / 500)
            while time.monotonic() < deadline:
                status = UploadBatch.objects.values_list("status", flat=True).get(pk=batch.pk)
                if status != UploadBatch.Status.PROCESSING:
                    break
                time.sleep(0.05)
            elapsed = time.perf_counter() - started
            batch.refresh_from_db()
            rows = list(renewal_rows(size))
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(
                    "CREATE TEMP TABLE bench_copy (policy_number text, customer_name text, email text, "
                    "phone text, policy_type text, renewal_date date, amount numeric, priority text) "
                    "ON COMMIT DROP"
                )
                copy_started = time.perf_counter()
                with cursor.cursor.copy("COPY bench_copy FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
                copy_seconds = time.perf_counter() - copy_started
            result = {
                "rows": size,
                "status": batch.status,
                "successful": batch.successful_records,
                "failed": batch.failed_records,
                "accepted_s": round(accepted, 3),
                "end_to_end_s": round(elapsed, 2),
                "copy_floor_s": round(copy_seconds, 3),
                "rows_per_s": round(size / elapsed),
            }
            results.append(result)
            stdout.write(
                f"ingest {size:>7d} rows: {result['status']} ({result['successful']} ok, {result['failed']} "
                f"bad) in {result['end_to_end_s']} s end to end (upload answered in {result['accepted_s']} s); "
                f"COPY of the same rows {result['copy_floor_s']} s"
            )
    finally:
        stop(worker)
    return results


def websocket(env: dict, clients: int, events: int, token: str) -> dict:
    port = free_port()
    process = start_daphne(port, env)
    try:
        wait_http(port)
        return asyncio.run(_ws_measure(port, clients, events, token))
    finally:
        stop(process)


async def _ws_measure(port: int, clients: int, events: int, token: str) -> dict:
    import websockets
    from asgiref.sync import sync_to_async

    latencies: list[float] = []
    sockets = []
    for _ in range(clients):
        ws = await websockets.connect(
            f"ws://127.0.0.1:{port}/ws/events/?token={token}", origin="http://127.0.0.1", open_timeout=20
        )
        await ws.recv()  # connection:ready
        sockets.append(ws)

    async def listen(ws):
        while True:
            try:
                message = json.loads(await asyncio.wait_for(ws.recv(), timeout=5))
            except (TimeoutError, websockets.ConnectionClosed):
                return
            if message.get("event") == "bench:ping":
                latencies.append((time.time() - message["data"]["sent_at"]) * 1000)

    listeners = [asyncio.create_task(listen(ws)) for ws in sockets]

    def publish_committed(i: int) -> None:
        from django.db import transaction

        from apps.core.events import publish, role_group

        with transaction.atomic():
            publish("bench:ping", {"n": i, "sent_at": time.time()}, audience=[role_group("agent")])

    for i in range(events):
        await sync_to_async(publish_committed)(i)
        await asyncio.sleep(0.05)
    await asyncio.gather(*listeners)
    for ws in sockets:
        await ws.close()
    ordered = sorted(latencies)
    pick = (lambda q: round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 2)) if ordered else (lambda q: None)
    return {
        "clients": clients,
        "events": events,
        "expected": clients * events,
        "received": len(latencies),
        "p50_ms": pick(0.50),
        "p95_ms": pick(0.95),
        "max_ms": round(max(ordered), 2) if ordered else None,
        "mean_ms": round(statistics.mean(ordered), 2) if ordered else None,
    }
