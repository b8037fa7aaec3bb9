"""Browser tests: Debian's Chromium driven by Playwright against Django's live server, or — for anything that needs
the websocket — against daphne serving config.asgi on the test database (`asgi_server`).

Skipped where Chromium is not installed, except under REQUIRE_SERVICES=1 (CI installs it), where they fail.
"""

import http.client
import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ROOT = Path(__file__).resolve().parents[2]
DAPHNE = ROOT / ".venv" / "bin" / "daphne"
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs an event loop


def pytest_collection_modifyitems(config, items):
    if os.path.exists(CHROMIUM) or os.environ.get("REQUIRE_SERVICES") == "1":
        return
    skip = pytest.mark.skip(reason="Chromium is not installed (apt-get install chromium; CI installs it)")
    for item in items:
        if "tests/e2e/" in str(item.fspath):
            item.add_marker(skip)


LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def chromium():
    """Playwright and Chromium for this module only. pytest-playwright's own fixtures live for the whole session,
    and Playwright's sync API keeps an event loop running in the main thread while it lives — which breaks every
    asyncio test (websockets) that the same xdist worker runs afterwards. Leaving the `with` stops that loop."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium):
    context = chromium.new_context()
    page = context.new_page()
    yield page
    context.close()


def database_url(settings_dict: dict) -> str:
    """A DATABASE_URL (as config.settings.base reads it) for the database behind `settings_dict` — under pytest, the
    test database of this xdist worker. HOST may be a socket directory; it then goes in `?host=` like OPTIONS."""
    user = quote(settings_dict.get("USER") or "", safe="")
    password = quote(str(settings_dict.get("PASSWORD") or ""), safe="")
    auth = f"{user}:{password}@" if password else f"{user}@" if user else ""
    query = {k: v for k, v in (settings_dict.get("OPTIONS") or {}).items() if isinstance(v, str | int)}
    host = settings_dict.get("HOST") or ""
    if host.startswith("/"):
        query["host"], host = host, ""
    elif ":" in host:
        host = f"[{host}]"
    port = f":{settings_dict['PORT']}" if settings_dict.get("PORT") else ""
    url = f"postgres://{auth}{host}{port}/{quote(settings_dict['NAME'], safe='')}"
    return f"{url}?{urlencode(query)}" if query else url


@dataclass
class AsgiServer:
    url: str
    log: Path
    log_from: int = 0  # where this test's part of the log starts

    def errors(self) -> list[str]:
        """Server-side failures during this test: tracebacks and ERROR lines in daphne's output."""
        with self.log.open("rb") as log:
            log.seek(self.log_from)
            lines = log.read().decode(errors="replace").splitlines()
        return [line for line in lines if "Traceback" in line or " ERROR " in line]


@pytest.fixture(scope="module")
def _daphne(django_db_setup, tmp_path_factory):
    """daphne serving config.asgi (HTTP and the /ws/events/ websocket) on this worker's test database, for this
    module. It gets the same PYTEST_XDIST_WORKER, so config.settings.test gives it the same Redis database and
    prefixes (channel layer, cache) as this process; its Celery tasks run eagerly, in the server. It listens on a
    socket bound here to a free port and handed over by file descriptor, so two workers never race for a port."""
    from django.db import connection

    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.e2e",
        "DATABASE_URL": database_url(connection.settings_dict),
        "PYTEST_XDIST_WORKER": os.environ.get("PYTEST_XDIST_WORKER", "gw0"),
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # set above for Playwright in this process; the server keeps the checks
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(128)
    port = listener.getsockname()[1]
    log = tmp_path_factory.mktemp("daphne") / "daphne.log"
    with log.open("wb") as out:
        command = [str(DAPHNE), "--fd", str(listener.fileno()), "--application-close-timeout", "5"]
        process = subprocess.Popen(
            [*command, "config.asgi:application"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            pass_fds=[listener.fileno()],
            start_new_session=True,  # its own process group, ended as a whole below
        )
    listener.close()  # the server has its own copy
    try:
        _wait_until_healthy(port, process, log)
        yield AsgiServer(url=f"http://127.0.0.1:{port}", log=log)
    finally:
        _stop(process)


@pytest.fixture
def asgi_server(_daphne):
    """The module's daphne (see _daphne), for a test marked django_db(transaction=True): what the test writes is
    committed, so the server sees it, and the reverse. Django's live_server speaks WSGI only (no websocket)."""
    return AsgiServer(url=_daphne.url, log=_daphne.log, log_from=_daphne.log.stat().st_size)


def _wait_until_healthy(port: int, process: subprocess.Popen, log: Path, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"daphne exited with {process.returncode}:\n{log.read_text(errors='replace')}")
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        try:
            connection.request("GET", "/health")
            if connection.getresponse().status == 200:
                return
        except OSError:
            pass
        finally:
            connection.close()
        time.sleep(0.2)
    raise RuntimeError(f"daphne did not answer /health in {timeout:.0f} s:\n{log.read_text(errors='replace')}")


def _stop(process: subprocess.Popen) -> None:
    """End the server's process group (its id is the server's pid: start_new_session)."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(15)
    except ProcessLookupError:
        pass
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(15)


@pytest.fixture
def new_page(chromium):
    """`new_page()` → a page in a fresh browser context (its own cookies: a second person at another computer).
    Console errors and uncaught script errors of every page are collected in `page.console_errors`."""
    contexts = []

    def make():
        context = chromium.new_context(viewport={"width": 1280, "height": 900})
        contexts.append(context)
        page = context.new_page()
        errors: list[str] = []
        page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
        page.on("pageerror", lambda error: errors.append(f"uncaught: {error}"))
        page.console_errors = errors
        return page

    yield make
    for context in contexts:
        context.close()
