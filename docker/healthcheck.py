"""Container health probe: GET /health on this container's HTTP port; exit 0 only on 200.

Usage: python docker/healthcheck.py [PORT]   (default $PORT, else 8000; the ws container passes 8001)

Production settings answer 400 to an unknown Host, so the probe sends HEALTHCHECK_HOST or the
first usable entry of ALLOWED_HOSTS. /health is exempt from the HTTPS redirect (prod.py).
Standard library only: the slim image has no curl.
"""

import http.client
import os
import sys


def probe_host() -> str:
    if os.environ.get("HEALTHCHECK_HOST"):
        return os.environ["HEALTHCHECK_HOST"]
    for entry in os.environ.get("ALLOWED_HOSTS", "").split(","):
        entry = entry.strip().lstrip(".")  # ".example.com" allows example.com itself
        if entry and entry != "*":
            return entry
    return "localhost"


def main() -> int:
    port = int(sys.argv[1]) if len(sys.argv) > 1 else int(os.environ.get("PORT", "8000"))
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        conn.request("GET", "/health", headers={"Host": probe_host(), "Accept": "application/json"})
        status = conn.getresponse().status
    except OSError as exc:
        sys.stderr.write(f"health: {exc}\n")
        return 1
    if status != 200:
        sys.stderr.write(f"health: HTTP {status}\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
