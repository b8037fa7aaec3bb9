"""Background work runs in a real Celery worker through the Redis broker."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from config.celery import app

ROOT = Path(__file__).resolve().parents[2]


def test_send_email_task_runs_eagerly_without_a_broker(mailoutbox):
    from apps.core.tasks import send_email

    send_email.delay(subject="Hi", body="Plain", html="<p>Rich</p>", to=["a@example.org"])

    assert [m.subject for m in mailoutbox] == ["Hi"]
    assert mailoutbox[0].alternatives[0].content == "<p>Rich</p>"


@pytest.mark.redis
def test_worker_consumes_a_task_from_redis(tmp_path):
    queue = f"test-{os.environ.get('PYTEST_XDIST_WORKER', 'gw0')}-{os.getpid()}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(tmp_path / "mail"),
    }
    (tmp_path / "mail").mkdir()
    log = (tmp_path / "worker.log").open("w")
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool=solo",
            "--concurrency=1",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
            "-Q",
            queue,
            "--loglevel=WARNING",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        app.send_task(
            "core.send_email", kwargs={"subject": "Via worker", "body": "Hello", "to": ["w@example.org"]}, queue=queue
        )
        deadline = time.monotonic() + 45

        def written() -> list:  # the file backend creates the file, then writes it: wait for the whole message
            return [f for f in (tmp_path / "mail").iterdir() if f.read_text().rstrip().endswith("-" * 79)]

        while time.monotonic() < deadline and not written():
            time.sleep(0.2)
        files = written()
        assert files, "the worker did not send the email in 45 s:\n" + (tmp_path / "worker.log").read_text()
        assert "Subject: Via worker" in files[0].read_text()
    finally:
        worker.terminate()
        worker.wait(20)
        log.close()
