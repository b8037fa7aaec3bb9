"""HTTP load: the scenarios (each API call, paired with its framework floor where one exists), one wrk run, a row."""

import json
import os
import subprocess
import tempfile

from django.core.management.base import CommandError

WRK_REPORT = """
done = function(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  io.write(string.format('WRKJSON {"requests": %d, "duration_us": %d, "errors": %d, "non2xx": %d, '
    .. '"p50": %.3f, "p95": %.3f, "p99": %.3f}\\n', summary.requests, summary.duration, errors,
    summary.errors.status, latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000))
end
"""


def scenarios() -> list[tuple[str, str, str | None, str | None]]:
    """(name, path, floor path or None, demo role whose token calls it or None for anonymous)."""
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
        ("FAQ search (public)", "/api/v1/faqs?search=claim", None, None),
        ("tickets list (active, SLA state, 50 rows)", "/api/v1/tickets?status=active&limit=50", None, "manager"),
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


def wrk(port: int, path: str, connections: int, duration: int, token: str | None, name: str) -> dict:
    script = WRK_REPORT
    url_path = path
    if path == "LOGIN":
        url_path = "/api/v1/auth/login"
        body = json.dumps({"email": "agent@example.com", "password": "demo-pass-2026"})
        script = (
            f'wrk.method = "POST"\nwrk.body = {json.dumps(body)}\nwrk.headers["Content-Type"] = "application/json"\n'
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


def format_row(r: dict) -> str:
    floor = f"  floor {r['floor_rps']:>7.1f}/s  ratio {r['ratio']}" if "floor_rps" in r else ""
    return (
        f"{r['scenario'][:38]:38s} c={r['concurrency']:<3d} {r['rps']:>7.1f}/s  p50 {r['p50']:6.1f}"
        f"  p95 {r['p95']:6.1f}  p99 {r['p99']:6.1f} ms  err {r['errors'] + r['non2xx']}{floor}"
    )
