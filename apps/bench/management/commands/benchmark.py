"""`manage.py benchmark`: real server processes under load from a second process (wrk), on loopback.

For each scenario and concurrency: requests/s, p50/p95/p99 and errors; API lists are paired with their
framework floor (same queries, bare view, orjson) and the ratio is reported. Then the websocket path:
time from a committed event to its arrival at N connected clients. Prints a table and writes JSON to
var/bench/. Bounded: every wrk run has a fixed duration; only 127.0.0.1 is targeted.
"""

import asyncio
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

ROOT = Path(settings.BASE_DIR)
WRK_REPORT = """
done = function(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  io.write(string.format('WRKJSON {"requests": %d, "duration_us": %d, "errors": %d, "non2xx": %d, '
    .. '"p50": %.3f, "p95": %.3f, "p99": %.3f}\\n', summary.requests, summary.duration, errors,
    summary.errors.status, latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000))
end
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_http(port: int, timeout: float = 60) -> None:
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2):
                return
        except OSError:
            time.sleep(0.3)
    raise CommandError(f"The server on port {port} did not start in {timeout} s")


class Command(BaseCommand):
    help = "Load-test a real server process on loopback and compare API lists with the framework floor."

    def add_arguments(self, parser):
        parser.add_argument("--quick", action="store_true", help="A small run for CI (under a minute): 1 s at c=8.")
        parser.add_argument("--duration", type=int, default=10, help="Seconds per wrk run.")
        parser.add_argument("--concurrency", default="1,8,64")
        parser.add_argument(
            "--server",
            choices=["gunicorn", "uvicorn", "daphne"],
            default="gunicorn",
            help="HTTP server: gunicorn (WSGI gthread workers: the production shape), uvicorn (ASGI workers under "
            "gunicorn) or daphne (one ASGI process).",
        )
        parser.add_argument("--workers", type=int, default=0, help="Server processes (default: 2 × cores).")
        parser.add_argument("--ws-clients", type=int, default=100)
        parser.add_argument("--ws-events", type=int, default=50)
        parser.add_argument(
            "--ingest",
            default="10000,100000",
            help="Renewal batch sizes pushed through a real Celery worker ('' to skip).",
        )
        parser.add_argument("--skip-http", action="store_true", help="Only the websocket and ingest parts.")
        parser.add_argument("--only", default="", help="Only HTTP scenarios whose name contains this text.")

    def handle(
        self,
        *args,
        quick,
        duration,
        concurrency,
        server,
        workers,
        ws_clients,
        ws_events,
        ingest,
        skip_http,
        only,
        **options,
    ):
        if shutil.which("wrk") is None and not skip_http:
            raise CommandError("wrk is not installed (apt-get install wrk; `make bench` does it).")
        if quick:
            duration, concurrency, ws_clients, ws_events, ingest = 1, "8", 20, 10, "2000"
        levels = [int(c) for c in concurrency.split(",")]
        workers = workers or 2 * (os.cpu_count() or 1)
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.bench", "PYTHONUNBUFFERED": "1"}
        tokens = self._tokens()
        report = {
            "server": server,
            "workers": workers,
            "duration_s": duration,
            "results": [],
            "websocket": None,
            "ingest": [],
            "started_at": time.strftime("%Y-%m-%dT%H:%M:%S"),
        }
        port = _free_port()
        process = self._start_http(server, port, workers, env) if not skip_http else None
        try:
            if process:
                _wait_http(port)
            scenarios = [s for s in self._scenarios() if only.lower() in s[0].lower()] if process else []
            for name, path, floor_path, auth in scenarios:
                for level in levels:
                    result = self._wrk(port, path, level, duration, tokens.get(auth), name)
                    if floor_path:
                        floor = self._wrk(port, floor_path, level, duration, None, f"{name} (floor)")
                        result["floor_rps"] = floor["rps"]
                        result["floor_p50"] = floor["p50"]
                        result["ratio"] = round(floor["rps"] / result["rps"], 2) if result["rps"] else None
                    report["results"].append(result)
                    self._print_row(result)
        finally:
            if process:
                self._stop(process)
        if settings.REDIS_URL:
            report["websocket"] = self._websocket(env, ws_clients, ws_events, tokens["agent"])
            ws = report["websocket"]
            self.stdout.write(
                f"websocket: {ws['clients']} clients, {ws['received']}/{ws['expected']} deliveries, "
                f"p50 {ws['p50_ms']} ms, p95 {ws['p95_ms']} ms"
            )
        else:
            self.stdout.write("websocket: skipped (needs REDIS_URL: the event crosses processes via Redis)")
        sizes = [int(n) for n in ingest.split(",") if n.strip()]
        if sizes and settings.REDIS_URL:
            report["ingest"] = self._ingest(env, sizes)
        elif sizes:
            self.stdout.write("ingest: skipped (needs REDIS_URL: the batch goes to a real Celery worker)")
        target = ROOT / "var" / "bench"
        target.mkdir(parents=True, exist_ok=True)
        out = target / f"bench-{time.strftime('%Y%m%d-%H%M%S')}.json"
        out.write_text(json.dumps(report, indent=2))
        self.stdout.write(self.style.SUCCESS(f"Wrote {out}"))
        errors = sum(r["errors"] + r["non2xx"] for r in report["results"])
        if errors:
            raise CommandError(f"{errors} failed requests under load")

    # --- set-up -----------------------------------------------------------------------------------------------

    def _tokens(self) -> dict:
        from apps.accounts.models import User
        from apps.accounts.services import tokens_issue

        tokens = {}
        for role in ("manager", "agent", "customer"):
            user = User.objects.filter(email=f"{role}@example.com").first()
            if user is None:
                raise CommandError("Demo users missing: run `manage.py seed_demo` first (make bench does).")
            tokens[role] = tokens_issue(user=user, otp_verified=True)["access_token"]
        return tokens

    def _scenarios(self):
        from datetime import date, timedelta

        d0, d1 = date.today() + timedelta(days=30), date.today() + timedelta(days=90)
        today, t90 = date.today(), date.today() - timedelta(days=89)
        from apps.claims.models import Claim

        claim_id = Claim.objects.order_by("-id").values_list("pk", flat=True).first() or 0
        return [
            (
                "customers list (filtered+searched)",
                "/api/v1/customers?kyc_status=verified&search=silva&limit=50",
                "/bench/floor/customers?kyc_status=verified&search=silva&limit=50",
                "manager",
            ),
            (
                "customers list (page 1, 50 rows)",
                "/api/v1/customers?limit=50",
                "/bench/floor/customers?limit=50",
                "manager",
            ),
            (
                "policies list (status+type, 50 rows)",
                "/api/v1/policies?status=active&type=home&limit=50",
                "/bench/floor/policies?status=active&type=home&limit=50",
                "manager",
            ),
            (
                "policies renewal window",
                f"/api/v1/policies?status=active&renewal_from={d0}&renewal_to={d1}",
                None,
                "manager",
            ),
            ("customer transaction history", "/api/v1/transactions", None, "customer"),
            (
                "cases list (status+priority, 50 rows)",
                "/api/v1/cases?status=new&priority=medium&limit=50",
                "/bench/floor/cases?status=new&priority=medium&limit=50",
                "manager",
            ),
            (
                "claims list (status, 50 rows)",
                "/api/v1/claims?status=triage&limit=50",
                "/bench/floor/claims?status=triage&limit=50",
                "manager",
            ),
            ("claim detail", f"/api/v1/claims/{claim_id}", None, "manager"),
            ("claims dashboard kpi", "/api/v1/dashboard/kpi", None, "manager"),
            ("claims dashboard alerts", "/api/v1/dashboard/alerts", None, "manager"),
            ("dashboard stats (month)", "/api/v1/dashboard/stats?date_range=month", None, "manager"),
            (
                "dashboard trends (90 days)",
                f"/api/v1/dashboard/trends?date_range=custom&start_date={t90}&end_date={today}",
                None,
                "manager",
            ),
            ("dashboard batch-status", "/api/v1/dashboard/batch-status", None, "manager"),
            ("product search (public)", "/api/v1/products?sort_by=premium", None, None),
            ("login", "LOGIN", None, None),
        ]

    def _start_http(self, server: str, port: int, workers: int, env: dict) -> subprocess.Popen:
        if server == "gunicorn":
            command = [
                str(ROOT / ".venv/bin/gunicorn"),
                "config.wsgi",
                "-b",
                f"127.0.0.1:{port}",
                "-w",
                str(workers),
                "-k",
                "gthread",
                "--threads",
                "4",
                "--log-level",
                "warning",
                "--keep-alive",
                "5",
            ]
        elif server == "uvicorn":
            command = [
                str(ROOT / ".venv/bin/gunicorn"),
                "config.asgi:application",
                "-b",
                f"127.0.0.1:{port}",
                "-w",
                str(workers),
                "-k",
                "uvicorn_worker.UvicornWorker",
                "--log-level",
                "warning",
            ]
        else:
            command = [str(ROOT / ".venv/bin/daphne"), "-b", "127.0.0.1", "-p", str(port), "config.asgi:application"]
        return subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
        )

    def _stop(self, process: subprocess.Popen) -> None:
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(15)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(process.pid, signal.SIGKILL)

    # --- HTTP load ------------------------------------------------------------------------------------------

    def _wrk(self, port: int, path: str, connections: int, duration: int, token: str | None, name: str) -> dict:
        script = WRK_REPORT
        url_path = path
        if path == "LOGIN":
            url_path = "/api/v1/auth/login"
            body = json.dumps({"email": "agent@example.com", "password": "demo-pass-2026"})
            script = (
                f'wrk.method = "POST"\nwrk.body = {json.dumps(body)}\n'
                f'wrk.headers["Content-Type"] = "application/json"\n'
            ) + WRK_REPORT
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
            handle.write(script)
        command = [
            "wrk",
            "-t",
            str(min(connections, 2)),
            "-c",
            str(connections),
            "-d",
            f"{duration}s",
            "--timeout",
            "10s",
            "-s",
            handle.name,
            f"http://127.0.0.1:{port}{url_path}",
        ]
        if token:
            command[1:1] = ["-H", f"Authorization: Bearer {token}"]
        output = subprocess.run(command, capture_output=True, text=True, timeout=duration + 30).stdout
        os.unlink(handle.name)
        line = next((ln for ln in output.splitlines() if ln.startswith("WRKJSON ")), None)
        if line is None:
            raise CommandError(f"wrk gave no report for {name}: {output[-500:]}")
        data = json.loads(line[len("WRKJSON ") :])
        seconds = data["duration_us"] / 1_000_000
        return {
            "scenario": name,
            "path": url_path,
            "concurrency": connections,
            "requests": data["requests"],
            "rps": round(data["requests"] / seconds, 1),
            "p50": data["p50"],
            "p95": data["p95"],
            "p99": data["p99"],
            "errors": data["errors"],
            "non2xx": data["non2xx"],
        }

    def _print_row(self, r: dict) -> None:
        floor = f"  floor {r['floor_rps']:>7.1f}/s  ratio {r['ratio']}" if "floor_rps" in r else ""
        self.stdout.write(
            f"{r['scenario'][:38]:38s} c={r['concurrency']:<3d} {r['rps']:>7.1f}/s  p50 {r['p50']:6.1f}"
            f"  p95 {r['p95']:6.1f}  p99 {r['p99']:6.1f} ms  err {r['errors'] + r['non2xx']}{floor}"
        )

    # --- batch ingest through a real worker -------------------------------------------------------------

    def _ingest(self, env: dict, sizes: list[int]) -> list[dict]:
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
                self.stdout.write(
                    f"ingest {size:>7d} rows: {result['status']} ({result['successful']} ok, {result['failed']} "
                    f"bad) in {result['end_to_end_s']} s end to end (upload answered in {result['accepted_s']} s); "
                    f"COPY of the same rows {result['copy_floor_s']} s"
                )
        finally:
            self._stop(worker)
        return results

    # --- websocket --------------------------------------------------------------------------------------

    def _websocket(self, env: dict, clients: int, events: int, token: str) -> dict:
        port = _free_port()
        process = subprocess.Popen(
            [str(ROOT / ".venv/bin/daphne"), "-b", "127.0.0.1", "-p", str(port), "config.asgi:application"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            _wait_http(port)
            return asyncio.run(self._ws_measure(port, clients, events, token))
        finally:
            self._stop(process)

    async def _ws_measure(self, port: int, clients: int, events: int, token: str) -> dict:
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
        pick = (
            (lambda q: round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 2)) if ordered else (lambda q: None)
        )
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
