"""Every celery beat job (CELERY_BEAT_SCHEDULE) run once at the data set's scale, timed, with rows per second.

Each run happens inside a transaction that is rolled back afterwards, so the data set stays the same for the next
run (and the next `make bench`): the on-commit work (events, notification tasks) is run before the rollback, so it
is part of the time. A run that is still going after `limit` seconds is interrupted and reported as such."""

import signal
import time

from django.conf import settings
from django.db import transaction
from django.test import TestCase


class _Rollback(Exception):
    pass


class _Overtime(Exception):
    pass


def _rows(result) -> int | None:
    if isinstance(result, bool):
        return None
    if isinstance(result, int):
        return result
    if isinstance(result, dict):
        numbers = [v for v in result.values() if isinstance(v, int) and not isinstance(v, bool)]
        return sum(numbers) if numbers else None
    return None


def _on_alarm(signum, frame):
    raise _Overtime


def run_jobs(*, limit: int = 300, only: str = "", stdout=None) -> list[dict]:
    from config.celery import app

    app.loader.import_default_modules()
    results = []
    for spec in settings.CELERY_BEAT_SCHEDULE.values():
        name = spec["task"]
        if only.lower() not in name.lower():
            continue
        task = app.tasks[name]
        result: dict = {"job": name, "schedule_s": spec["schedule"]}
        previous = signal.signal(signal.SIGALRM, _on_alarm)
        started = time.perf_counter()
        try:
            with transaction.atomic():
                with TestCase.captureOnCommitCallbacks(execute=True):
                    signal.alarm(limit)
                    try:
                        value = task()
                    finally:
                        signal.alarm(0)
                seconds = time.perf_counter() - started
                rows = _rows(value)
                result.update(
                    seconds=round(seconds, 2),
                    result=value if isinstance(value, int | dict | str | None) else str(value),
                    rows=rows,
                    rows_per_s=round(rows / seconds) if rows and seconds else None,
                )
                raise _Rollback
        except _Rollback:
            pass
        except _Overtime:
            result.update(seconds=None, overtime_s=limit, result=f"still running after {limit} s (interrupted)")
        finally:
            signal.signal(signal.SIGALRM, previous)
        results.append(result)
        if stdout is not None:
            took = f"{result['seconds']:>8.2f} s" if result.get("seconds") is not None else f"  > {limit} s"
            rate = f"{result['rows_per_s']}/s" if result.get("rows_per_s") else "-"
            stdout.write(f"job {name:34s} {took}  rows {result.get('rows')!s:>8}  {rate}  {result['result']}")
    return results
