"""The benchmark's processes: a free loopback port, the HTTP servers it measures, waiting for them, stopping them."""

import os
import signal
import socket
import subprocess
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import CommandError

ROOT = Path(settings.BASE_DIR)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_http(port: int, timeout: float = 60) -> None:
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2):
                return
        except OSError:
            time.sleep(0.3)
    raise CommandError(f"The server on port {port} did not start in {timeout} s")


def start_http(server: str, port: int, workers: int, env: dict) -> subprocess.Popen:
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


TRACKING_PREFIX = "/c/"


def start_tracking(port: int, env: dict) -> subprocess.Popen:
    """The tracking tier as deployed (docker/entrypoint.sh `track`, nginx's `location /c/`): the open pixel and
    click redirects served by ASGI workers (uvicorn: one event loop each, hits pushed to Redis in groups), one per
    core."""
    return start_http("uvicorn", port, os.cpu_count() or 1, env)


def start_daphne(port: int, env: dict) -> subprocess.Popen:
    """One daphne process (HTTP and websockets), for the websocket probe."""
    return start_http("daphne", port, 1, env)


def stop(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(15)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        os.killpg(process.pid, signal.SIGKILL)
