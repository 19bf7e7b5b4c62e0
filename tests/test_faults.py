"""Faults, for real: a Redis, an SMTP server and (for the database outage) a
PostgreSQL cluster of this suite's own, stopped, killed and started again under a
running Daphne, Celery worker and beat.

- an alert always reaches a person: SMTP down then up, a worker killed with -9
  during the retry wait, Redis down while the incident is raised → exactly one email;
- the API never lies about what it stored: Redis down during POST /api/v1/mentions
  → 200 with the true counts, and detection runs once Redis is back; a database
  outage → JSON 503 with Retry-After;
- the war room never silently misses events: after a Redis outage and after a
  database outage the open page equals a fresh load.

Back-off, sweep and heartbeat intervals are shortened through the environment so
the suite takes a few minutes. The machine's shared PostgreSQL and Redis are never
touched: every server here listens on a spare port of its own.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.conf import settings

from crisisroom.choices import AlertStatus
from crisisroom.models import Alert, Incident
from crisisroom.services.users import api_token_create
from monitoring.models import Brand, DetectorState, Mention
from tests.conftest import _Inbox, _test_database_url, end_sessions, free_port

pytestmark = [pytest.mark.flow, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parent.parent
PG_BIN = Path("/usr/lib/postgresql/15/bin")


def wait_until(check, timeout: float, what: str, every: float = 0.25) -> Any:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    last: BaseException | None = None
    while time.monotonic() < deadline:
        try:
            value = check()
            if value:
                return value
        except Exception as exc:  # a server still starting
            last = exc
        time.sleep(every)
    raise TimeoutError(f"timed out waiting for {what} (last error: {last!r})")


# --- servers of our own ---------------------------------------------------------------


class RedisServer:
    """redis-server on a spare port, no persistence: stopping it loses what it held,
    as a crashed Redis would."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.workdir = workdir
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def ping(self) -> bool:
        with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")

    def start(self) -> None:
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1"]
        command += ["--save", "", "--appendonly", "no", "--dir", str(self.workdir)]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
        wait_until(self.ping, 20, "redis-server")

    def stop(self) -> None:
        assert self.process is not None
        self.process.kill()
        self.process.wait(timeout=10)
        self.process = None


class SmtpSink:
    """aiosmtpd on a fixed spare port that can be taken down and brought back."""

    def __init__(self) -> None:
        self.port = free_port()
        self.inbox = _Inbox()
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def count_for(self, address: str) -> int:
        return sum(1 for m in self.inbox.messages if address in m["To"])


class Postgres:
    """A throwaway PostgreSQL 15 cluster (initdb + pg_ctl) on a spare port. The server
    refuses to run as root: as root, it runs as the system's postgres user, in a
    directory of its own."""

    def __init__(self) -> None:
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="crisisroom-faults-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "postgres.log"
        self.as_owner: list[str] = []
        if os.geteuid() == 0:
            shutil.chown(self.root, user="postgres", group="postgres")
            self.as_owner = ["runuser", "-u", "postgres", "--"]

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/crisisroom"

    def _run(self, *command: str) -> None:
        subprocess.run([*self.as_owner, *command], check=True, stdout=subprocess.DEVNULL)

    def _ctl(self, *args: str) -> None:
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), *args)

    def create(self) -> None:
        self._run(str(PG_BIN / "initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust")
        self.start()
        self._run(
            str(PG_BIN / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres",
            "crisisroom",
        )  # fmt: skip

    def start(self) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._ctl("-o", options, "-w", "start")

    def stop(self) -> None:
        self._ctl("-m", "immediate", "-w", "stop")

    def destroy(self) -> None:
        subprocess.run(
            [*self.as_owner, str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "immediate",
             "stop"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        shutil.rmtree(self.root, ignore_errors=True)


# --- the application's processes ------------------------------------------------------


@dataclass
class Services:
    env: dict[str, str]
    logdir: Path
    web_port: int
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    def command(self, name: str) -> list[str]:
        celery = [sys.executable, "-m", "celery", "-A", "crisisroom"]
        if name == "worker":
            return [
                *celery, "worker", "-P", "solo", "--queues", self.env["CELERY_QUEUE"],
                "-n", f"{self.env['CELERY_QUEUE']}@%h", "--loglevel", "INFO",
                "--without-gossip", "--without-mingle", "--without-heartbeat",
            ]  # fmt: skip
        if name == "beat":
            return [*celery, "beat", "--loglevel", "INFO", "--pidfile="]
        return [
            sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(self.web_port),
            "crisisroom.asgi:application",
        ]  # fmt: skip

    def start(self, name: str) -> None:
        path = self.logdir / f"{name}.log"
        offset = path.stat().st_size if path.exists() else 0
        with path.open("ab") as log:
            self.processes[name] = subprocess.Popen(
                self.command(name), cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT
            )
        if name == "web":
            wait_until(
                lambda: urllib.request.urlopen(f"{self.base_url}/healthz", timeout=2).status,
                60,
                "daphne",
            )
        if name == "worker":
            wait_until(lambda: b"ready." in path.read_bytes()[offset:], 60, "the worker")

    def log(self, name: str) -> str:
        path = self.logdir / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def kill(self, name: str) -> None:
        process = self.processes.pop(name)
        process.kill()
        process.wait(timeout=10)

    def stop_all(self) -> None:
        for process in self.processes.values():
            process.terminate()
        for process in self.processes.values():
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
        self.processes = {}

    def tail(self) -> str:
        return "\n".join(
            f"--- {name}\n{self.log(name)[-4000:]}" for name in ("web", "worker", "beat")
        )


def services_env(*, database_url: str, redis: RedisServer, smtp: SmtpSink, web_port: int) -> dict:
    run_id = uuid.uuid4().hex[:8]
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis.url,
        "CELERY_QUEUE": f"faults-{run_id}",
        "CHANNEL_LAYER_PREFIX": f"faults-{run_id}",
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp.port),
        "EMAIL_TIMEOUT": "3",
        "SITE_URL": f"http://127.0.0.1:{web_port}",
        "SECRET_KEY": settings.SECRET_KEY,
        "PYTHONUNBUFFERED": "1",
        "PGAPPNAME": f"crisisroom-faults-{run_id}",  # teardown ends just these sessions
        # Short clocks: the same code paths, minutes become seconds.
        "ALERT_SWEEP_SECONDS": "2",
        "ALERT_RETRY_BASE_SECONDS": "1",
        "ALERT_RETRY_MAX_SECONDS": "4",
        "ALERT_SENDING_STALE_SECONDS": "30",
        "DETECT_INTERVAL_SECONDS": "3",
        "ESCALATE_CHECK_SECONDS": "3600",
        "SOURCES_POLL_TICK_SECONDS": "3600",
        "DRILL_TICK_SECONDS": "3600",
        "WAR_ROOM_HEARTBEAT_SECONDS": "1",
        "WAR_ROOM_HEARTBEAT_MISSED_SECONDS": "3",
        "API_RETRY_AFTER_SECONDS": "7",
    }


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path)
    server.start()
    yield server
    if server.process is not None:
        server.stop()


@pytest.fixture
def smtp() -> Iterator[SmtpSink]:
    sink = SmtpSink()
    yield sink
    sink.stop()


@pytest.fixture
def stack(transactional_db, redis_server, smtp, tmp_path) -> Iterator[Services]:  # type: ignore[no-untyped-def]
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.fail("the fault suite runs in services mode: set DATABASE_URL (PostgreSQL)")
    port = free_port()
    env = services_env(
        database_url=_test_database_url(), redis=redis_server, smtp=smtp, web_port=port
    )
    services = Services(env=env, logdir=tmp_path, web_port=port)
    try:
        for name in ("web", "worker", "beat"):
            services.start(name)
        yield services
    except Exception:
        print(services.tail())
        raise
    finally:
        services.stop_all()
        end_sessions(env["PGAPPNAME"])


def api(base: str, token: str, method: str, path: str, body: Any = None, **headers: str):  # type: ignore[no-untyped-def]
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        f"{base}{path}",
        data=data,
        method=method,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json", **headers},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), json.loads(exc.read())


# How long the mail server stays down in the first test (the case is 300 s:
# FAULTS_SMTP_DOWN_SECONDS=300 make test PYTEST_ARGS=tests/test_faults.py).
SMTP_DOWN_SECONDS = int(os.environ.get("FAULTS_SMTP_DOWN_SECONDS", "45"))


def figure(what: str, seconds: float) -> None:
    """A measured figure, printed for the README (run with -s to see them)."""
    print(f"\nFAULTS {what}: {seconds:.1f} s", flush=True)


def now_iso() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def alert_of(incident_id: int) -> Alert:
    return Alert.objects.get(incident_id=incident_id, recipient__isnull=False)


# --- an alert always reaches a person -------------------------------------------------


@pytest.mark.timeout(200 + SMTP_DOWN_SECONDS)
def test_an_alert_raised_while_smtp_is_down_is_sent_exactly_once_when_it_returns(
    stack, smtp, alice
):
    token = api_token_create(user=alice)
    status, _, body = api(
        stack.base_url, token, "POST", "/api/v1/incidents", {"title": "Outage", "brand": "acme"}
    )
    assert status == 201, body
    down_since = time.monotonic()
    # The mail server stays down well past the old task's whole retry budget (~30 s).
    wait_until(lambda: alert_of(body["id"]).attempts >= 4, 60, "several failed tries")
    time.sleep(max(0.0, SMTP_DOWN_SECONDS - (time.monotonic() - down_since)))
    alert = alert_of(body["id"])
    assert alert.status in (AlertStatus.FAILED, AlertStatus.SENDING)
    assert alert.next_attempt_at is not None, "never given up while within 24 h"
    tries_while_down = alert.attempts
    figure(f"SMTP down, {tries_while_down} tries", time.monotonic() - down_since)
    smtp.start()
    up = time.monotonic()
    messages = smtp.inbox.wait_for(1, timeout=60)
    assert len(messages) == 1, stack.tail()
    figure("SMTP back -> the one email", time.monotonic() - up)
    time.sleep(8)  # several more sweeps: nothing is sent again
    assert len(smtp.inbox.messages) == 1
    alert = alert_of(body["id"])
    assert alert.status == AlertStatus.SENT
    assert alert.attempts > tries_while_down
    assert messages[0]["Message-ID"] == alert.message_id
    assert "Outage" in messages[0]["Subject"]


@pytest.mark.timeout(240)
def test_a_worker_killed_during_the_retry_wait_sends_exactly_one_email_after_restart(
    stack, smtp, alice
):
    token = api_token_create(user=alice)
    status, _, body = api(
        stack.base_url, token, "POST", "/api/v1/incidents", {"title": "Recall", "brand": "acme"}
    )
    assert status == 201, body
    wait_until(lambda: alert_of(body["id"]).status == AlertStatus.FAILED, 60, "a failed first try")
    stack.kill("worker")  # -9, between two tries
    smtp.start()
    time.sleep(5)  # beat keeps queueing sweeps; nobody runs them
    assert smtp.inbox.messages == []
    restarted = time.monotonic()
    stack.start("worker")
    smtp.inbox.wait_for(1, timeout=120)
    assert time.monotonic() - restarted < 120
    figure("worker restarted (incl. its start-up) -> the one email", time.monotonic() - restarted)
    time.sleep(8)
    assert len(smtp.inbox.messages) == 1
    assert alert_of(body["id"]).status == AlertStatus.SENT


@pytest.mark.timeout(240)
def test_an_incident_raised_while_redis_is_down_is_stored_and_its_alert_sent_after(
    stack, smtp, redis_server, alice
):
    smtp.start()
    token = api_token_create(user=alice)
    redis_server.stop()
    started = time.monotonic()
    status, _, body = api(
        stack.base_url, token, "POST", "/api/v1/incidents", {"title": "Breach", "brand": "acme"}
    )
    figure("POST /api/v1/incidents with Redis down", time.monotonic() - started)
    assert status == 201, body  # the database committed: the answer says so
    assert Incident.objects.filter(pk=body["id"], title="Breach").exists()
    assert alert_of(body["id"]).status == AlertStatus.PENDING
    time.sleep(3)
    assert smtp.inbox.messages == []
    redis_server.start()  # empty: the queued send is gone for good
    up = time.monotonic()
    smtp.inbox.wait_for(1, timeout=90)
    figure("Redis back -> the alert email", time.monotonic() - up)
    time.sleep(6)
    assert len(smtp.inbox.messages) == 1, stack.tail()
    assert alert_of(body["id"]).status == AlertStatus.SENT


# --- the API never lies about what it stored ------------------------------------------


@pytest.mark.timeout(240)
def test_mentions_posted_while_redis_is_down_get_the_true_counts_and_are_detected_after(
    stack, redis_server, alice
):
    brand = Brand.objects.create(name="Acme Coffee", slug="acme-coffee")
    token = api_token_create(user=alice)
    items = [
        {
            "source": "faults",
            "external_id": f"m-{i}",
            "text": f"Acme Coffee outage report number {i} from store {i * 7}",
            "published_at": now_iso(),
            "brand": "acme-coffee",
        }
        for i in range(40)
    ]
    items += items[:5]  # five duplicates inside the batch
    wait_until(lambda: DetectorState.objects.filter(brand=brand).exists(), 30, "a first detection")
    DetectorState.objects.filter(brand=brand).delete()
    redis_server.stop()
    started = time.monotonic()
    status, _, body = api(stack.base_url, token, "POST", "/api/v1/mentions", items)
    figure("POST /api/v1/mentions (45 items) with Redis down", time.monotonic() - started)
    assert status == 200, body
    stored = Mention.objects.filter(source__key="faults").count()
    assert (body["accepted"], body["duplicates"], stored) == (40, 5, 40)
    time.sleep(4)
    assert not DetectorState.objects.filter(brand=brand).exists()  # nothing ran meanwhile
    redis_server.start()
    up = time.monotonic()
    wait_until(
        lambda: DetectorState.objects.filter(brand=brand).exists(), 90, "detection after Redis"
    )
    figure("Redis back -> detection ran", time.monotonic() - up)


# --- the war room never silently misses events --------------------------------------


def login(browser, base: str, username: str, password: str):  # type: ignore[no-untyped-def]
    page = browser.new_context().new_page()
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base}/")
    return page


LIVE_IDS = "Array.from(document.querySelectorAll('#live [id]')).map(e => e.id)"


def assert_equals_a_fresh_load(page, room: str) -> None:  # type: ignore[no-untyped-def]
    """The live page shows what a fresh load of the room shows. The workers go on
    writing meanwhile (an on-call escalation adds a timeline entry at its own time),
    so an entry may land between the two reads: then the live page has a few
    seconds to receive it and a fresh load is compared again. A page that lost an
    event never matches, since every fresh load has it."""
    fresh = page.context.new_page()
    parts = ("#feed-items", "#timeline")
    for attempt in range(6):
        fresh.goto(room)
        live = [page.evaluate(LIVE_IDS)] + [page.locator(p).inner_text() for p in parts]
        loaded = [fresh.evaluate(LIVE_IDS)] + [fresh.locator(p).inner_text() for p in parts]
        if live == loaded or attempt == 5:
            break
        page.wait_for_timeout(2000)
    fresh.close()
    assert live[0] == loaded[0]
    for part, shown, expected in zip(parts, live[1:], loaded[1:], strict=True):
        assert shown == expected, part


def mentions_batch(prefix: str, n: int) -> list[dict]:
    return [
        {
            "source": "faults",
            "external_id": f"{prefix}-{i}",
            "text": f"Acme Coffee {prefix} report {i}: the store on street {i} is closed",
            "published_at": now_iso(),
            "brand": "acme-coffee",
        }
        for i in range(n)
    ]


@pytest.mark.browser
@pytest.mark.timeout(240)
def test_the_war_room_catches_up_after_a_redis_outage(stack, redis_server, alice, monkeypatch):
    from playwright.sync_api import expect, sync_playwright

    from tests import chromium

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    token = api_token_create(user=alice)
    status, _, incident = api(
        stack.base_url, token, "POST", "/api/v1/incidents",
        {"title": "Store outage", "brand": "acme-coffee"},
    )  # fmt: skip
    assert status == 201, incident
    room = f"{stack.base_url}/incidents/{incident['id']}/"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium.EXECUTABLE, args=chromium.ARGS)
        page = login(browser, stack.base_url, "alice", "pw-alice")
        page.goto(room)
        live = page.locator(".war-room")
        expect(live).to_have_attribute("data-connected", "true", timeout=15000)
        page.evaluate("window.__notReloaded = true")
        # The dashboard, open beside it, catches up in the same way.
        board = page.context.new_page()
        board.goto(f"{stack.base_url}/")
        expect(board.locator(".dashboard")).to_have_attribute(
            "data-connected", "true", timeout=15000
        )
        board.evaluate("window.__notReloaded = true")
        # The playbook holds forms a person may be typing in: it says it may be out
        # of date and offers a reload instead of replacing the page.
        book = page.context.new_page()
        book.goto(f"{room}playbook/")
        expect(book.locator(".playbook")).to_have_attribute("data-connected", "true", timeout=15000)
        status, _, body = api(
            stack.base_url, token, "POST", "/api/v1/mentions", mentions_batch("before", 3)
        )
        expect(page.locator("#feed-items")).to_contain_text("before report 2", timeout=15000)

        redis_server.stop()  # the socket stays open; pushes are dropped
        status, _, body = api(
            stack.base_url, token, "POST", "/api/v1/mentions", mentions_batch("during", 4)
        )
        assert (status, body["accepted"]) == (200, 4), body
        expect(page.locator("#connection-banner")).to_be_visible(timeout=15000)
        expect(board.locator("#connection-banner")).to_be_visible(timeout=15000)
        time.sleep(3)
        redis_server.start()
        up = time.monotonic()
        # Heartbeats come back through the layer: the page resyncs and is live again.
        expect(live).not_to_have_class(re.compile(r"\boffline\b"), timeout=60000)
        figure("Redis back -> war room live again", time.monotonic() - up)
        expect(board.locator(".dashboard")).not_to_have_class(
            re.compile(r"\boffline\b"), timeout=60000
        )
        expect(board.locator("#connection-banner")).to_be_hidden(timeout=15000)
        stale = book.locator("#connection-banner")
        expect(stale).to_contain_text("Updates may have been missed", timeout=30000)
        stale.get_by_role("button", name="Reload the page").click()
        expect(book.locator(".playbook")).to_have_attribute("data-connected", "true", timeout=15000)
        expect(book.locator("#connection-banner")).to_be_hidden()
        book.close()
        fresh = page.context.new_page()
        fresh.goto(f"{stack.base_url}/")
        board_text = board.locator("#dashboard-live").inner_text()
        assert board_text == fresh.locator("#dashboard-live").inner_text()
        assert board.evaluate("window.__notReloaded") is True
        fresh.close()
        board.close()
        expect(page.locator("#feed-items")).to_contain_text("during report 3", timeout=15000)
        status, _, body = api(
            stack.base_url, token, "POST", "/api/v1/mentions", mentions_batch("after", 2)
        )
        expect(page.locator("#feed-items")).to_contain_text("after report 1", timeout=30000)
        assert page.evaluate("window.__notReloaded") is True
        page.wait_for_timeout(1500)
        assert_equals_a_fresh_load(page, room)
        browser.close()


@pytest.fixture
def own_postgres_stack(redis_server, smtp, tmp_path) -> Iterator[tuple[Services, Postgres]]:  # type: ignore[no-untyped-def]
    """Daphne, a worker and beat on a PostgreSQL cluster of this test's own."""
    if not (PG_BIN / "initdb").exists():
        pytest.skip("the PostgreSQL 15 server binaries are not installed here")
    postgres = Postgres()
    postgres.create()
    port = free_port()
    env = services_env(database_url=postgres.url, redis=redis_server, smtp=smtp, web_port=port)
    services = Services(env=env, logdir=tmp_path, web_port=port)
    manage = [sys.executable, "manage.py"]
    try:
        subprocess.run([*manage, "migrate", "-v0"], cwd=ROOT, env=env, check=True)
        subprocess.run(
            [*manage, "add_user", "olivia", "--role", "admin", "--email", "olivia@example.com"],
            cwd=ROOT,
            env={**env, "CRISISROOM_PASSWORD": "pw-olivia-outage"},
            check=True,
            stdout=subprocess.DEVNULL,
        )
        token = subprocess.run(
            [*manage, "create_api_token", "olivia"],
            cwd=ROOT, env=env, check=True, capture_output=True, text=True,
        ).stdout.strip().splitlines()[-1]  # fmt: skip
        services.env["FAULTS_TOKEN"] = token
        for name in ("web", "worker", "beat"):
            services.start(name)
        yield services, postgres
    except Exception:
        print(services.tail())
        print(postgres.log.read_text(errors="replace")[-3000:] if postgres.log.exists() else "")
        raise
    finally:
        services.stop_all()
        postgres.destroy()


@pytest.mark.browser
@pytest.mark.timeout(280)
def test_a_database_outage_answers_json_503_and_the_war_room_catches_up(
    own_postgres_stack, monkeypatch
):
    from playwright.sync_api import expect, sync_playwright

    from tests import chromium

    stack, postgres = own_postgres_stack
    token = stack.env["FAULTS_TOKEN"]
    status, _, incident = api(
        stack.base_url, token, "POST", "/api/v1/incidents",
        {"title": "Store outage", "brand": "acme-coffee"},
    )  # fmt: skip
    assert status == 201, incident
    room = f"{stack.base_url}/incidents/{incident['id']}/"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium.EXECUTABLE, args=chromium.ARGS)
        page = login(browser, stack.base_url, "olivia", "pw-olivia-outage")
        page.goto(room)
        live = page.locator(".war-room")
        expect(live).to_have_attribute("data-connected", "true", timeout=15000)
        page.evaluate("window.__notReloaded = true")

        postgres.stop()
        down = time.monotonic()
        # The page notices (no heartbeat while the database does not answer) ...
        expect(page.locator("#connection-banner")).to_be_visible(timeout=20000)
        figure("database down -> the page says so", time.monotonic() - down)
        # ... and nothing can be stored: the API says so in JSON, with when to retry.
        for method, path, body in (
            ("POST", "/api/v1/mentions", mentions_batch("during", 3)),
            ("GET", "/api/v1/incidents", None),
        ):
            status, headers, answer = api(stack.base_url, token, method, path, body)
            assert status == 503, (path, status, answer)
            assert headers.get("Retry-After") == "7"
            assert "unavailable" in answer["error"]
        time.sleep(3)
        postgres.start()
        status, _, body = wait_until(
            lambda: (r := api(stack.base_url, token, "POST", "/api/v1/mentions",
                              mentions_batch("during", 3)))[0] == 200 and r,
            60,
            "the API after the database returned",
        )  # fmt: skip
        assert body["accepted"] == 3
        up = time.monotonic()
        expect(page.locator("#feed-items")).to_contain_text("during report 2", timeout=30000)
        figure("database back, batch stored -> on the page", time.monotonic() - up)
        expect(live).to_have_attribute("data-connected", "true", timeout=30000)
        expect(live).not_to_have_class(re.compile(r"\boffline\b"), timeout=30000)
        assert page.evaluate("window.__notReloaded") is True
        page.wait_for_timeout(1500)
        assert_equals_a_fresh_load(page, room)
        browser.close()
