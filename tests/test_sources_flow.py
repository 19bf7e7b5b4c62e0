"""Polling through a real Celery worker: a worker killed with SIGKILL in the middle of a
poll loses nothing and duplicates nothing once a worker polls the source again."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection, transaction

from monitoring.models import Mention, Source
from monitoring.tasks import source_poll_task, sources_poll_due_task
from monitoring.tests.feedserver import FeedServer, Reply
from tests.conftest import ROOT, _test_database_url

pytestmark = pytest.mark.flow

ITEMS = 30
FEED = (
    '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Acme watch</title>'
    + "".join(
        f"<item><title>Acme Coffee story {n}</title><guid>story-{n}</guid>"
        f"<pubDate>Tue, 24 Nov 2026 09:{n:02d}:00 GMT</pubDate></item>"
        for n in range(ITEMS)
    )
    + "</channel></rss>"
)


def wait_until(check: Callable[[], bool], what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise TimeoutError(f"timed out waiting for {what}")


class Workers:
    """Starts Celery workers (solo pool) on a queue of their own, in services mode."""

    def __init__(self, tmp_path: Path) -> None:
        self.queue = f"test-sources-{uuid.uuid4().hex[:8]}"
        self.tmp_path = tmp_path
        self.env = {
            **os.environ,
            "DATABASE_URL": _test_database_url(),
            "REDIS_URL": settings.REDIS_URL,
            "CELERY_QUEUE": self.queue,
            "CACHE_KEY_PREFIX": self.queue,
            "SECRET_KEY": settings.SECRET_KEY,
            "SOURCES_ALLOW_PRIVATE_ADDRESSES": "true",
            "DETECT_INTERVAL_SECONDS": "3600",
            "PYTHONUNBUFFERED": "1",
        }
        self.processes: list[subprocess.Popen] = []

    def start(self) -> subprocess.Popen:
        n = len(self.processes)
        log = self.tmp_path / f"worker-{n}.log"
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "crisisroom",
                "worker",
                "-P",
                "solo",
                "--queues",
                self.queue,
                "-n",
                f"{self.queue}-{n}@%h",
                "--loglevel",
                "INFO",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
        )
        self.processes.append(process)
        wait_until(lambda: "ready." in log.read_text(errors="replace"), "the worker to start")
        return process

    def logs(self) -> str:
        return "\n".join(
            p.read_text(errors="replace")[-3000:]
            for p in sorted(self.tmp_path.glob("worker-*.log"))
        )

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()


@pytest.fixture
def workers(transactional_db, tmp_path: Path) -> Iterator[Workers]:  # type: ignore[no-untyped-def]
    if connection.vendor != "postgresql" or not settings.REDIS_URL:
        pytest.fail("flow tests run in services mode: set DATABASE_URL (PostgreSQL) and REDIS_URL")
    pool = Workers(tmp_path)
    try:
        yield pool
    except Exception:
        print(pool.logs())
        raise
    finally:
        pool.stop()


def poll_in_progress(source: Source) -> bool:
    """True while another connection holds the source's row (a poll is running)."""
    with transaction.atomic():
        return not Source.objects.select_for_update(skip_locked=True).filter(pk=source.pk).exists()


def test_a_worker_killed_mid_poll_loses_and_duplicates_nothing(workers: Workers):
    never = threading.Event()
    server = FeedServer().start()
    # The first request hangs until the worker is killed; later ones answer.
    server.routes["/feed.xml"] = [
        Reply(body=FEED, hold=never, hold_timeout=120),
        Reply(body=FEED, headers={"Content-Type": "application/rss+xml"}),
    ]
    try:
        source = Source.objects.create(kind="rss", key="acme-watch", url=server.url("/feed.xml"))
        first = workers.start()

        source_poll_task.apply_async(args=[source.pk], queue=workers.queue)
        server.wait_for_requests(1)
        assert poll_in_progress(source)

        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
        never.set()
        # PostgreSQL drops the dead worker's transaction and with it the row lock.
        wait_until(lambda: not poll_in_progress(source), "the killed poll's lock to go")
        source.refresh_from_db()
        assert Mention.objects.filter(source=source).count() == 0
        assert source.cursor == {} and source.etag == "" and source.last_success_at is None

        workers.start()
        # As beat would: the source is still due, since the killed poll stored nothing.
        sources_poll_due_task.apply_async(queue=workers.queue)
        wait_until(
            lambda: Source.objects.get(pk=source.pk).last_success_at is not None, "the re-poll"
        )
        assert Mention.objects.filter(source=source).count() == ITEMS

        # A late redelivery of the killed poll's message (acks_late) re-fetches the feed:
        # the duplicates are absorbed.
        first_success = Source.objects.get(pk=source.pk).last_success_at
        Source.objects.filter(pk=source.pk).update(next_poll_at=None)
        source_poll_task.apply_async(args=[source.pk], queue=workers.queue)
        wait_until(
            lambda: Source.objects.get(pk=source.pk).last_success_at != first_success,
            "the repeated poll",
        )
        ids = list(Mention.objects.filter(source=source).values_list("external_id", flat=True))
        assert sorted(ids) == sorted(f"story-{n}" for n in range(ITEMS))
        assert len(server.requests) == 3
    finally:
        never.set()
        server.stop()
