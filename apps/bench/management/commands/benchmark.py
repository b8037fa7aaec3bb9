"""`manage.py benchmark`: real server processes under load from a second process (wrk), on loopback.

The parts: `apps.bench.servers` (the processes), `apps.bench.load` (scenarios and wrk), `apps.bench.probes`
(ingest through a real worker, the websocket path), `apps.bench.lead_import` (issue 17's bulk lead import, rolled
back); this command runs them and writes the report.

For each scenario and concurrency: requests/s, p50/p95/p99 and errors; API lists are paired with their
framework floor (same queries, bare view, orjson) and the ratio is reported. Then the websocket path:
time from a committed event to its arrival at N connected clients. Prints a table and writes JSON to
var/bench/. Bounded: every wrk run has a fixed duration; only 127.0.0.1 is targeted.
"""

import json
import os
import shutil
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from apps.bench import assistant, probes
from apps.bench import lead_import as bench_lead_import
from apps.bench.jobs import run_jobs
from apps.bench.load import campaign_tracking_flush, format_row, scenarios, warm_up, wrk
from apps.bench.servers import ROOT, TRACKING_PREFIX, free_port, start_http, start_tracking, stop, wait_http
from apps.bench.table import table


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
        parser.add_argument(
            "--table",
            action="store_true",
            help="First, issue 15's table: every back-office screen and API list as each role, one at a time "
            "(median of 3 after a warm-up).",
        )
        parser.add_argument("--table-only", action="store_true", help="Only that table (and --jobs if given).")
        parser.add_argument(
            "--jobs",
            action="store_true",
            help="Run every beat job once at the data's scale (rolled back afterwards), timed, with rows/s.",
        )
        parser.add_argument("--jobs-limit", type=int, default=300, help="Seconds before a job run is interrupted.")
        parser.add_argument(
            "--lead-import",
            default="10000",
            help="Issue 17: CSVs of this many leads (~10%% known people respelled) through the real bulk import as "
            "the manager, rolled back ('' to skip).",
        )

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
        table: bool = False,
        table_only: bool = False,
        jobs: bool = False,
        jobs_limit: int = 300,
        lead_import: str = "10000",
        **options,
    ):
        if shutil.which("wrk") is None and not skip_http:
            raise CommandError("wrk is not installed (apt-get install wrk; `make bench` does it).")
        if quick:
            duration, concurrency, ws_clients, ws_events, ingest, jobs = 1, "8", 20, 10, "2000", True
            lead_import = "2000"
        table = table or table_only
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
            "table": [],
            "jobs": [],
            "lead_import": [],
            "load_average": os.getloadavg(),
            "started_at": time.strftime("%Y-%m-%dT%H:%M:%S"),
        }
        self.stdout.write(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        port = free_port()
        process = start_http(server, port, workers, env) if not skip_http else None
        tracking = None  # (port, process) of the tracking tier, started for the campaign scenarios
        try:
            if process:
                wait_http(port)
            if process and table:
                report["table"] = self._table(port, tokens, only, workers)
            chosen = [s for s in scenarios() if only.lower() in s[0].lower()] if process and not table_only else []
            if any(path in assistant.POST_PATHS for _, path, _, _ in chosen):
                assistant.ensure_knowledge_base(stdout=self.stdout)
                self.stdout.write(f"assistant warm-up: {assistant.warm_up(port, tokens, workers):.1f} s")
            for name, path, floor_path, auth in chosen:
                at = port
                if path.startswith(TRACKING_PREFIX) and server == "gunicorn":
                    # deployed behind nginx's `location /c/` on the tracking tier, not on the WSGI web tier
                    if tracking is None:
                        tracking_port = free_port()
                        tracking = (tracking_port, start_tracking(tracking_port, env))
                        wait_http(tracking_port)
                    at = tracking[0]
                warm_up(at, path, tokens.get(auth), workers)
                if floor_path:
                    warm_up(at, floor_path, None, workers)
                for level in levels:
                    result = wrk(at, path, level, duration, tokens.get(auth), name)
                    if floor_path:
                        floor = wrk(at, floor_path, level, duration, None, f"{name} (floor)")
                        result["floor_rps"] = floor["rps"]
                        result["floor_p50"] = floor["p50"]
                        result["ratio"] = round(floor["rps"] / result["rps"], 2) if result["rps"] else None
                    report["results"].append(result)
                    self.stdout.write(format_row(result))
        finally:
            if process:
                stop(process)
            if tracking is not None:
                stop(tracking[1])
        if any(name.startswith("campaign ") for name, _, _, _ in chosen):
            report["campaign_tracking_flush"] = flushed = campaign_tracking_flush()
            if flushed.get("error"):
                self.stdout.write(f"campaign tracking flush: {flushed['waiting']} hits kept ({flushed['error']})")
            elif flushed:
                self.stdout.write(
                    f"campaign tracking flush: {flushed['hits']} buffered hits written in {flushed['seconds']} s "
                    f"({flushed['hits_per_s']} hits/s, {flushed['batches']} batches, {flushed['events']} events)"
                )
        if any(path == "COPILOT_TURN" for _, path, _, _ in chosen):
            report["copilot_overhead"] = overhead = assistant.copilot_overhead()
            self.stdout.write(
                f"copilot turn in-process ({overhead['turns']} turns, {overhead['tool_calls']} tool calls): total "
                f"p50 {overhead['total_p50_ms']} ms; beyond the model p50 {overhead['beyond_model_p50_ms']} ms, "
                f"p95 {overhead['beyond_model_p95_ms']} ms"
            )
        if jobs:
            report["jobs"] = run_jobs(limit=jobs_limit, only=only, stdout=self.stdout)
        lead_sizes = [int(n) for n in lead_import.split(",") if n.strip()] if not table_only else []
        if lead_sizes:
            report["lead_import"] = bench_lead_import.run(lead_sizes, stdout=self.stdout)
        if table_only:
            ingest = ""
        elif settings.REDIS_URL:
            report["websocket"] = probes.websocket(env, ws_clients, ws_events, tokens["agent"])
            ws = report["websocket"]
            self.stdout.write(
                f"websocket: {ws['clients']} clients, {ws['received']}/{ws['expected']} deliveries, "
                f"p50 {ws['p50_ms']} ms, p95 {ws['p95_ms']} ms"
            )
        else:
            self.stdout.write("websocket: skipped (needs REDIS_URL: the event crosses processes via Redis)")
        sizes = [int(n) for n in ingest.split(",") if n.strip()]
        if sizes and settings.REDIS_URL:
            report["ingest"] = probes.ingest(env, sizes, stdout=self.stdout)
        elif sizes:
            self.stdout.write("ingest: skipped (needs REDIS_URL: the batch goes to a real Celery worker)")
        target = ROOT / "var" / "bench"
        target.mkdir(parents=True, exist_ok=True)
        out = target / f"bench-{time.strftime('%Y%m%d-%H%M%S')}.json"
        out.write_text(json.dumps(report, indent=2))
        self.stdout.write(self.style.SUCCESS(f"Wrote {out}"))
        errors = sum(r["errors"] + r["non2xx"] for r in report["results"])
        errors += sum(1 for r in report["table"] if r["status"] != 200)
        if errors:
            raise CommandError(f"{errors} failed requests under load")

    def _table(self, port: int, tokens: dict, only: str, workers: int) -> list[dict]:
        self.stdout.write(f"issue 15's table (median of 3 after a warm-up, c=1); load average {os.getloadavg()}")
        started = time.perf_counter()
        rows = table(port, tokens, only=only, stdout=self.stdout, workers=workers)
        self.stdout.write(f"table measured in {time.perf_counter() - started:.0f} s")
        return rows

    # --- set-up -----------------------------------------------------------------------------------------------

    def _tokens(self) -> dict:
        """Bearer tokens for the API scenarios, and a signed-in admin session (cookie) per back-office role."""
        from django.test import Client

        from apps.accounts.models import User
        from apps.accounts.services import tokens_issue

        tokens = {}
        for role in ("admin", "manager", "agent", "customer"):
            user = User.objects.filter(email=f"{role}@example.com").first()
            if user is None:
                raise CommandError("Demo users missing: run `manage.py seed_demo` first (make bench does).")
            tokens[role] = tokens_issue(user=user, otp_verified=True)["access_token"]
            if role != "customer":
                client = Client()
                client.force_login(user)
                tokens[f"session:{role}"] = f"sessionid={client.cookies['sessionid'].value}"
        return tokens
