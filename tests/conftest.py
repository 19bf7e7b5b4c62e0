"""Fixtures for cross-process tests: a real SMTP server on loopback, a real Celery
worker and a real Daphne server, both pointed at the test database and Redis."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.arrived = threading.Condition()

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]  # noqa: N802
        with self.arrived:
            self.messages.append(message_from_bytes(envelope.content))
            self.arrived.notify_all()
        return "250 OK"

    def wait_for(self, count: int, timeout: float = 30) -> list[Message]:
        with self.arrived:
            self.arrived.wait_for(lambda: len(self.messages) >= count, timeout=timeout)
            return list(self.messages)


@dataclass
class SmtpServer:
    host: str
    port: int
    inbox: _Inbox


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    inbox = _Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield SmtpServer("127.0.0.1", port, inbox)
    finally:
        controller.stop()


def _wait_until(check, timeout: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except Exception:
            pass
        time.sleep(0.2)
    raise TimeoutError(f"timed out waiting for {what}")


@dataclass
class Stack:
    base_url: str
    env: dict[str, str]
    processes: list[subprocess.Popen] = field(default_factory=list)
    logs: list[Path] = field(default_factory=list)

    commands: dict[str, list[str]] = field(default_factory=dict)

    def stop(self, name: str) -> None:
        process = self.processes[list(self.commands).index(name)]
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            # Daphne drains open sockets on SIGTERM; on a loaded machine that can take
            # longer than the test wants to wait for the server to be gone.
            process.kill()
            process.wait(timeout=15)

    def start(self, name: str) -> None:
        log = self.logs[list(self.commands).index(name)]
        handle = log.open("ab")
        process = subprocess.Popen(
            self.commands[name], cwd=ROOT, env=self.env, stdout=handle, stderr=subprocess.STDOUT
        )
        self.processes[list(self.commands).index(name)] = process
        if name == "web":
            _wait_until(
                lambda: urllib.request.urlopen(f"{self.base_url}/healthz", timeout=2).status == 200,
                60,
                "daphne",
            )

    def log_tail(self) -> str:
        return "\n".join(
            f"--- {p.name}\n{p.read_text(errors='replace')[-3000:]}" for p in self.logs
        )


def _test_database_url() -> str:
    db = connection.settings_dict
    user = db.get("USER") or "postgres"
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{user}{password}@{host}:{port}/{db['NAME']}"


def end_sessions(application_name: str) -> None:
    """End the test database's sessions of one set of server processes."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND application_name = %s",
            [application_name],
        )


@pytest.fixture(scope="session", autouse=True)
def _droppable_test_database(django_db_setup, django_db_blocker) -> Iterator[None]:  # type: ignore[no-untyped-def]
    """At the very end, before the test database is dropped: any session still on it
    (a server process's that outlived it, a thread's of this one) is ended."""
    yield
    if connection.vendor != "postgresql":
        return
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


@pytest.fixture
def live_stack(transactional_db, smtp_server: SmtpServer, tmp_path: Path) -> Iterator[Stack]:  # type: ignore[no-untyped-def]
    """Daphne and a Celery worker as separate processes, in services mode."""
    if connection.vendor != "postgresql" or not settings.REDIS_URL:
        pytest.fail(
            "flow and browser tests run in services mode: set DATABASE_URL (PostgreSQL) and REDIS_URL"
        )
    run_id = uuid.uuid4().hex[:8]
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": _test_database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "CELERY_QUEUE": f"test-{run_id}",
        "CHANNEL_LAYER_PREFIX": f"test-{run_id}",
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": smtp_server.host,
        "EMAIL_PORT": str(smtp_server.port),
        "SITE_URL": f"http://127.0.0.1:{port}",
        "SECRET_KEY": settings.SECRET_KEY,
        "DETECT_INTERVAL_SECONDS": "3600",
        # Webhooks, publishing and sources reach this machine's test servers.
        "SOURCES_ALLOW_PRIVATE_ADDRESSES": "true",
        "PYTHONUNBUFFERED": "1",
        # libpq names the stack's database sessions, so teardown ends just those.
        "PGAPPNAME": f"crisisroom-test-{run_id}",
    }
    stack = Stack(base_url=f"http://127.0.0.1:{port}", env=env)
    commands = {
        "worker": [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "crisisroom",
            "worker",
            "-P",
            "solo",
            "--queues",
            env["CELERY_QUEUE"],
            "-n",
            f"test-{run_id}@%h",
            "--loglevel",
            "INFO",
            "--without-gossip",
            "--without-mingle",
        ],
        "web": [
            sys.executable,
            "-m",
            "daphne",
            "-b",
            "127.0.0.1",
            "-p",
            str(port),
            "crisisroom.asgi:application",
        ],
    }
    stack.commands = commands
    for name, command in commands.items():
        log = tmp_path / f"{name}.log"
        stack.logs.append(log)
        handle = log.open("wb")
        stack.processes.append(
            subprocess.Popen(command, cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT)
        )
    try:
        _wait_until(
            lambda: urllib.request.urlopen(f"{stack.base_url}/healthz", timeout=2).status == 200,
            60,
            "daphne",
        )
        _wait_until(
            lambda: "ready." in (tmp_path / "worker.log").read_text(errors="replace"),
            60,
            "the worker",
        )
        yield stack
    except Exception:
        print(stack.log_tail())
        raise
    finally:
        for process in stack.processes:
            process.terminate()
        for process in stack.processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
        # A killed process's sessions can outlive it briefly; the test database must
        # be droppable at the end of the run. Only the stack's own sessions (tagged by
        # PGAPPNAME): this process's other threads keep theirs, which a later test may
        # still use (ending them made that test fail with "server closed the connection").
        end_sessions(env["PGAPPNAME"])
