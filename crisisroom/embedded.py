"""Embedded mode's in-process scheduler.

In embedded mode Celery runs tasks eagerly (CELERY_TASK_ALWAYS_EAGER), so a
task queued by a request runs right there. Periodic tasks, which beat runs in
services mode, run here from the same CELERY_BEAT_SCHEDULE on a daemon thread.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import timedelta

from django.conf import settings
from django.db import close_old_connections

logger = logging.getLogger(__name__)
_started = False
_lock = threading.Lock()


def _interval(schedule: object) -> float:
    if isinstance(schedule, timedelta):
        return schedule.total_seconds()
    if isinstance(schedule, int | float):
        return float(schedule)
    run_every = getattr(schedule, "run_every", None)
    if isinstance(run_every, timedelta):
        return run_every.total_seconds()
    raise TypeError(f"embedded scheduler cannot run schedule {schedule!r}")


def run_due(next_run: dict[str, float], now: float) -> list[str]:
    """Run every entry of the beat schedule that is due; return the names run."""
    from crisisroom.celery import app

    app.loader.import_default_modules()
    ran = []
    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        if next_run.get(name, 0.0) > now:
            continue
        next_run[name] = now + _interval(entry["schedule"])
        try:
            app.tasks[entry["task"]].apply(
                args=entry.get("args", ()), kwargs=entry.get("kwargs", {})
            )
            ran.append(name)
        except Exception:
            logger.exception("embedded periodic task %s failed", name)
        finally:
            close_old_connections()
    return ran


def _loop(tick: float) -> None:
    next_run: dict[str, float] = {}
    # Let the server finish starting before the first round.
    time.sleep(tick)
    while True:
        run_due(next_run, time.monotonic())
        time.sleep(tick)


def start_scheduler(tick: float = 5.0) -> bool:
    global _started
    with _lock:
        if _started:
            return False
        _started = True
    threading.Thread(target=_loop, args=(tick,), name="embedded-scheduler", daemon=True).start()
    logger.info("embedded scheduler started")
    return True
