"""HTTP load: the scenarios (each API call, paired with its framework floor where one exists), one wrk run, a row."""

import json
import os
import subprocess
import tempfile
import time

from django.core.management.base import CommandError

from . import assistant

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
        # the audit trail over every event table (pghistory's aggregate view), as an admin reads it
        ("audit change list (20 rows)", "/api/v1/audit/changes?limit=20", None, "admin"),
        ("FAQ search (public)", "/api/v1/faqs?search=claim", None, None),
        (
            "tickets list (active, SLA state, 50 rows)",
            "/api/v1/tickets?status=active&limit=50",
            "/bench/floor/tickets?status=active&limit=50",
            "manager",
        ),
        (
            "tickets list (all, SLA state, 50 rows)",
            "/api/v1/tickets?limit=50",
            "/bench/floor/tickets?limit=50",
            "manager",
        ),
        (
            "tickets queue (breached SLA, 50 rows)",
            "/api/v1/tickets?status=active&sla_state=breached&limit=50",
            "/bench/floor/tickets?status=active&sla_state=breached&limit=50",
            "manager",
        ),
        ("tickets list (agent's own queue)", "/api/v1/tickets?status=active&limit=50", None, "agent"),
        ("admin tickets queue (open) [manager]", "/admin/support/ticket/?status__exact=open", None, "session:manager"),
        ("admin tickets queue (breached) [agent]", "/admin/support/ticket/?sla_state=breached", None, "session:agent"),
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
        ("incoming message webhook (signed SMS)", "WEBHOOK", None, None),
        *api_variants(),
        *crm(),
        *backoffice(),
        *assistant.scenarios(),
        *inbox(),
        *campaigns(),
    ]


def inbox() -> list[tuple[str, str, str | None, str | None]]:
    """Issue 16: the shared inbox at 100k emails (`seed_demo --scale 0.2` generates them), within 2x its floor."""
    return [
        ("emails list (100k, 50 rows)", "/api/v1/emails?limit=50", "/bench/floor/emails?limit=50", "manager"),
        (
            "emails list (status new, category claim, 50 rows)",
            "/api/v1/emails?status=new&category=claim&limit=50",
            "/bench/floor/emails?status=new&category=claim&limit=50",
            "manager",
        ),
    ]


def campaigns() -> list[tuple[str, str, str | None, str | None]]:
    """Issue 19: the open pixel and the click redirect of a sent demo campaign message (anonymous, as a mail
    client calls them; target p95 ≤ 20 ms at c=64). Each hit is recorded (a tracking event), as in production:
    with Redis appended to the tracking buffer, which the benchmark then writes to the database itself
    (`campaign_tracking_flush`: what the beat task does every few seconds), timed."""
    from apps.campaigns.models import CampaignSend
    from apps.campaigns.services import content

    send = (
        CampaignSend.objects.filter(sent_at__isnull=False)
        .exclude(variant__links=[])
        .order_by("channel", "pk")  # an email first (sms, whatsapp otherwise: the routes are the same)
        .values_list("pk", "variant_id")
        .first()
    )
    if send is None:
        return []
    site = len(content._site())
    return [
        ("campaign open pixel", content.open_url(send[0])[site:], None, None),
        ("campaign click redirect", content.click_url(send[0], 0, send[1])[site:], None, None),
    ]


def campaign_tracking_flush() -> dict:
    """Write the hits the campaign scenarios buffered (as the beat task would, batch after batch), timed: the
    database's share of each hit, paid off the request path. Nothing when there is no buffer (no Redis: every
    hit was written by the view)."""
    from apps.campaigns.services import tracking_buffer

    if not tracking_buffer.buffering():
        return {}
    from django.db import DatabaseError

    waiting = tracking_buffer.pending()
    started = time.perf_counter()
    try:
        totals = tracking_buffer.tracking_flush(max_seconds=3600)
    except DatabaseError as exc:  # a data set not migrated yet (the scale set is read-only to a branch's run)
        return {"waiting": waiting, "error": str(exc).splitlines()[0]}
    took = time.perf_counter() - started
    return {**totals, "waiting": waiting, "seconds": round(took, 2), "hits_per_s": round(totals["hits"] / took)}


def crm() -> list[tuple[str, str, str | None, str | None]]:
    """Issue 17: the CRM lists at `seed_demo --scale` volumes (200k leads, 1M activities, 500 agents)."""
    return [
        ("crm client-leads", "/api/v1/client-leads?limit=20", "/bench/floor/client-leads?limit=20", "manager"),
        (
            "crm client-leads status=New",
            "/api/v1/client-leads?status=New&limit=20",
            "/bench/floor/client-leads?status=New&limit=20",
            "manager",
        ),
        (
            "crm client-leads search name",
            "/api/v1/client-leads?search=silva&limit=20",
            "/bench/floor/client-leads?search=silva&limit=20",
            "manager",
        ),
        ("crm client-leads [agent]", "/api/v1/client-leads?limit=20", None, "agent"),
        ("crm agents with stats", "/api/v1/agents?limit=20", None, "manager"),
        ("crm agents with stats (all, by pipeline)", "/api/v1/agents?limit=100&sort_by=pipeline_value", None, "admin"),
        ("crm opportunities", "/api/v1/opportunities?limit=20", None, "manager"),
        ("crm tasks", "/api/v1/tasks?limit=20", None, "agent"),
    ]


def samples() -> dict:
    """Real values to search for: a case, policy and claim the demo agent sees (so agent and manager both find
    the row), and the issue's policy-number prefix."""
    from apps.accounts.models import User
    from apps.claims.models import Claim
    from apps.renewals.models import RenewalCase

    agent = User.objects.filter(email="agent@example.com").first()
    case = RenewalCase.objects.filter(assigned_to=agent).order_by("pk").values("pk", "case_number").first() or {}
    claim = Claim.objects.order_by("pk").values_list("claim_number", flat=True).first() or "CLM-2026-000001"
    return {
        "case_id": case.get("pk", 0),
        "case_number": case.get("case_number", "REN-2026-000100"),
        "policy_prefix": "POL-2026-0001",
        "claim_number": claim,
    }


def api_variants() -> list[tuple[str, str, str | None, str | None]]:
    """The API lists as the manager and as an agent (own book), unsearched, filtered and searched (issue 15)."""
    v = samples()
    calls = [
        ("api cases", "/api/v1/cases?limit=20"),
        ("api cases status=new", "/api/v1/cases?status=new&limit=20"),
        ("api cases search number", f"/api/v1/cases?search={v['case_number']}"),
        ("api cases search name", "/api/v1/cases?search=smith"),
        ("api policies", "/api/v1/policies?limit=20"),
        ("api policies search number", f"/api/v1/policies?search={v['policy_prefix']}"),
        ("api policies search name", "/api/v1/policies?search=smith"),
        ("api claims", "/api/v1/claims?limit=20"),
        ("api claims search number", f"/api/v1/claims?search={v['claim_number']}"),
        ("api customers", "/api/v1/customers?limit=20"),
        ("api customers search name", "/api/v1/customers?search=smith"),
    ]
    return [(f"{name} [{role}]", path, None, role) for name, path in calls for role in ("manager", "agent")]


def backoffice_screens() -> list[tuple[str, str]]:
    """The agents' admin screens of issue 15 (changelists, filters, searches, a change page, the home)."""
    v = samples()
    return [
        ("admin cases search number", f"/admin/renewals/renewalcase/?q={v['case_number']}"),
        ("admin policies search number", f"/admin/policies/policy/?q={v['policy_prefix']}"),
        ("admin transactions", "/admin/billing/transaction/"),
        ("admin cases", "/admin/renewals/renewalcase/"),
        ("admin cases status=new", "/admin/renewals/renewalcase/?status__exact=new"),
        ("admin policies", "/admin/policies/policy/"),
        ("admin claims", "/admin/claims/claim/"),
        ("admin customers search name", "/admin/customers/customer/?q=smith"),
        ("admin cases search name", "/admin/renewals/renewalcase/?q=smith"),
        ("admin case change page", f"/admin/renewals/renewalcase/{v['case_id']}/change/"),
        ("admin home", "/admin/"),
    ]


def backoffice() -> list[tuple[str, str, str | None, str | None]]:
    """The back office as each role, signed in with a session cookie."""
    return [
        (f"{name} [{role}]", path, None, f"session:{role}")
        for name, path in backoffice_screens()
        for role in ("admin", "manager", "agent")
    ]


def auth_header(credential: str | None) -> str | None:
    """A bearer token, or a session cookie (`sessionid=...`) for the admin screens."""
    if not credential:
        return None
    if credential.startswith("sessionid="):
        return f"Cookie: {credential}"
    return f"Authorization: Bearer {credential}"


def webhook_script(count: int = 12_000) -> str:
    """wrk Lua for the incoming-message webhook: `count` distinct inbound SMS (demo customers' numbers and unknown
    ones), each signed with the sandbox secret, sent in turn (wrk cannot compute an HMAC itself), so each request
    stores a new message rather than hitting the duplicate path."""
    import uuid

    from django.conf import settings

    from apps.customers.models import Customer
    from apps.messaging.providers.sandbox import inbound_payload, sandbox_signature

    secret = settings.MESSAGING_PROVIDER_CONFIG["sandbox"]["secret"]
    from apps.core.exceptions import Invalid
    from apps.messaging.services.addresses import phone_normalise

    phones = [f"+35196{n:07d}" for n in range(100)]  # unknown senders
    for phone in Customer.objects.exclude(phone="").values_list("phone", flat=True)[:500]:
        try:
            phones.append(phone_normalise(phone))  # demo customers (those with a valid number)
        except Invalid:
            continue
    run = uuid.uuid4().hex[:12]
    bodies, signatures = [], []
    for n in range(count):
        raw = inbound_payload(
            channel="sms", from_address=phones[n % len(phones)], body=f"Bench message {n}", message_id=f"B{run}{n}"
        )
        bodies.append(raw.decode())
        signatures.append(sandbox_signature(secret, raw))
    return (
        "local bodies = {" + ",".join(json.dumps(b) for b in bodies) + "}\n"
        "local sigs = {" + ",".join(json.dumps(x) for x in signatures) + "}\n"
        "local counter = 0\n"
        "function setup(thread) thread:set('tid', counter); counter = counter + 1 end\n"
        "function init(args) i = 0 end\n"
        "function request()\n"
        "  i = i + 1\n"
        "  local k = ((i * 2 + tid) % #bodies) + 1\n"
        "  return wrk.format('POST', nil, {['Content-Type'] = 'application/json', "
        "['X-Sandbox-Signature'] = sigs[k]}, bodies[k])\n"
        "end\n"
    )


def warm_up(port: int, path: str, token: str | None, workers: int) -> None:
    """Every server process answers the scenario's path a few times before it is measured: a process's first admin
    page compiles templates and loads the model admin (~3 s), which a 1 s quick run would otherwise count as "no
    request completed". Not for the login or webhook scenarios (they write), nor the assistant's POSTs (their own
    warm-up: apps.bench.assistant.warm_up)."""
    if path in ("LOGIN", "WEBHOOK", *assistant.POST_PATHS):
        return
    import urllib.request
    from concurrent.futures import ThreadPoolExecutor

    headers = {}
    header = auth_header(token)
    if header:
        name, _, value = header.partition(": ")
        headers[name] = value

    def get(_):
        request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310  (loopback http only)
                response.read()
        except OSError:
            pass  # the measured run reports errors

    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(get, range(workers * 3)))


def wrk(port: int, path: str, connections: int, duration: int, token: str | None, name: str) -> dict:
    script = WRK_REPORT
    url_path = path
    if path == "LOGIN":
        url_path = "/api/v1/auth/login"
        body = json.dumps({"email": "agent@example.com", "password": "demo-pass-2026"})
        script = (
            f'wrk.method = "POST"\nwrk.body = {json.dumps(body)}\nwrk.headers["Content-Type"] = "application/json"\n'
        ) + WRK_REPORT
    elif path == "WEBHOOK":
        url_path = "/api/v1/webhooks/incoming-message"
        script = webhook_script() + WRK_REPORT
    elif path in ("AI_QUERY", "AI_QUERY_CACHED", "COPILOT_TURN"):
        url_path, lua = assistant.post_script(path)
        script = lua + WRK_REPORT
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
        command[1:1] = ["-H", auth_header(token)]
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
