"""Issue 15's table: each back-office screen and API list, as each role, timed the way a signed-in user meets it —
one warm-up load, then the median of three, one request at a time (no concurrency), against the real server."""

import statistics
import time
import urllib.error
import urllib.request

from .load import api_variants, auth_header, backoffice, warm_up


def measure(port: int, path: str, credential: str | None, *, timeout: float) -> dict:
    header = auth_header(credential)
    headers = dict([header.split(": ", 1)]) if header else {}
    times, status = [], None
    for attempt in range(4):
        request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers=headers)
        started = time.perf_counter()
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310  (http://127.0.0.1 only)
                response.read()
                status = response.status
        except urllib.error.HTTPError as exc:
            status = exc.code
        except TimeoutError:
            return {"status": "timeout", "median_ms": None, "timeout_s": timeout}
        elapsed = (time.perf_counter() - started) * 1000
        if attempt:  # the first load warms caches and connections
            times.append(elapsed)
    return {"status": status, "median_ms": round(statistics.median(times), 1)}


def table(
    port: int, credentials: dict, *, timeout: float = 60, only: str = "", stdout=None, workers: int = 1
) -> list[dict]:
    chosen = [row for row in [*backoffice(), *api_variants()] if only.lower() in row[0].lower()]
    # Every server process first answers an admin screen and an API list as each role: a process's first admin
    # page costs seconds (templates, the model admins), which would otherwise land in whichever row comes first.
    warmed = set()
    for _name, path, _floor, auth in chosen:
        kind = (path.startswith("/admin/"), auth)
        if kind not in warmed:
            warmed.add(kind)
            warm_up(port, path, credentials.get(auth), workers)
    rows = []
    for name, path, _floor, auth in chosen:
        result = {"scenario": name, "path": path, **measure(port, path, credentials.get(auth), timeout=timeout)}
        rows.append(result)
        if stdout is not None:
            shown = f"{result['median_ms']:>9.1f} ms" if result["median_ms"] is not None else "  timed out"
            stdout.write(f"{name[:52]:52s} {shown}  ({result['status']})")
    return rows
