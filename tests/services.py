"""What `make test` needs from the machine, made true before the suite runs.

    python3.11 tests/services.py install        # Debian packages the tests use
    python3.11 tests/services.py run -- CMD …   # CMD with PostgreSQL and Redis reachable

`install` installs what is missing with apt-get (chromium, fonts-noto-cjk, gettext,
python3.11-venv, and the PostgreSQL and Redis servers when nothing answers at the
configured URLs). Without root or apt-get it stops at once with one line naming the
command to run.

`run` checks DATABASE_URL and REDIS_URL (the Makefile's test defaults when unset). A
local address where nothing answers gets a throw-away server on a spare port: a
PostgreSQL cluster initialised into a temporary directory, or a Redis without
persistence. CMD then runs with the URLs pointing at them; afterwards they are stopped
and their directories removed. Servers that already answer are used as they are and
never touched. Standard library only: it runs before the virtualenv exists.
"""

from __future__ import annotations

import contextlib
import glob
import importlib.util
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/test"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
NOTO_CJK = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", ""}


def install_hint(packages: list[str]) -> str:
    """The one line a test or this script prints when a tool is missing."""
    names = " ".join(packages)
    return (
        f"missing Debian packages: run `sudo apt-get install -y {names}` (or `make test` as root)"
    )


def _reachable(host: str, port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection((host or "127.0.0.1", port), 2):
        return True
    return False


def _url_target(url: str, default_port: int) -> tuple[str, int]:
    parts = urlsplit(url)
    return parts.hostname or "127.0.0.1", parts.port or default_port


def pg_bindir() -> Path | None:
    """Debian keeps the server binaries out of PATH, one directory per major version."""
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4])
    )
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def missing_packages(database_url: str, redis_url: str) -> list[str]:
    need = []
    if not (shutil.which("chromium") or Path("/usr/bin/chromium").exists()):
        need.append("chromium")
    if not Path(NOTO_CJK).exists():
        need.append("fonts-noto-cjk")
    if not shutil.which("msgfmt"):
        need.append("gettext")
    # The report tests read the PDFs back (pdftotext) and render pages (pdftoppm).
    if not shutil.which("pdftotext"):
        need.append("poppler-utils")
    if importlib.util.find_spec("ensurepip") is None:
        need.append(f"python3.{sys.version_info.minor}-venv")
    # The backup test dumps and restores with the client programs.
    if not (shutil.which("pg_dump") and shutil.which("pg_restore") and shutil.which("psql")):
        need.append("postgresql-client")
    if not _reachable(*_url_target(database_url, 5432)) and pg_bindir() is None:
        need.append("postgresql")
    if not _reachable(*_url_target(redis_url, 6379)) and not shutil.which("redis-server"):
        need.append("redis-server")
    return need


def install(database_url: str, redis_url: str) -> int:
    need = missing_packages(database_url, redis_url)
    if not need:
        return 0
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        print(install_hint(need), file=sys.stderr)
        return 1
    print(f"== installing {' '.join(need)}", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *need],
        check=True,
        env=env,
        stdout=subprocess.DEVNULL,
    )
    # The Debian packages start their own servers on the default ports; those are
    # then simply used (reachable), like any server that was already running.
    return 0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait(check, what: str, timeout: float = 30) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise SystemExit(f"tests/services.py: {what} did not start within {timeout:.0f} s")


def _with_port(url: str, port: int) -> str:
    parts = urlsplit(url)
    auth = f"{parts.username}@" if parts.username else ""
    return urlunsplit((parts.scheme, f"{auth}127.0.0.1:{port}", parts.path, parts.query, ""))


def _server_user() -> tuple[int, int] | None:
    """PostgreSQL refuses to run as root: use the `postgres` account (or nobody)."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            entry = pwd.getpwnam(name)
            return entry.pw_uid, entry.pw_gid
    raise SystemExit("tests/services.py: running as root and no `postgres` user to run PostgreSQL")


@contextlib.contextmanager
def throwaway_postgres(url: str) -> Iterator[str]:
    bindir = pg_bindir()
    if bindir is None:
        raise SystemExit(install_hint(["postgresql"]))
    parts = urlsplit(url)
    user = parts.username or "postgres"
    dbname = parts.path.lstrip("/") or "test"
    port = _free_port()
    tmp = Path(tempfile.mkdtemp(prefix="crisisroom-pg-"))
    ids = _server_user()
    if ids:
        os.chown(tmp, *ids)
    run_as = {"user": ids[0], "group": ids[1]} if ids else {}
    data = tmp / "data"
    log = tmp / "server.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    subprocess.run(
        [bindir / "initdb", "-D", data, "-U", user, "--auth=trust", "-E", "UTF8", "--no-sync"],
        check=True,
        stdout=subprocess.DEVNULL,
        env=env,
        cwd=tmp,
        **run_as,
    )
    options = (
        f"-p {port} -k {tmp} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off"
    )
    subprocess.run(
        [bindir / "pg_ctl", "-D", data, "-l", log, "-o", options, "-w", "start"],
        check=True,
        stdout=subprocess.DEVNULL,
        env=env,
        cwd=tmp,
        **run_as,
    )
    try:
        subprocess.run(
            [bindir / "createdb", "-h", "127.0.0.1", "-p", str(port), "-U", user, dbname],
            check=True,
            env=env,
        )
        print(f"== throw-away PostgreSQL on 127.0.0.1:{port} ({tmp})", flush=True)
        yield _with_port(url, port)
    finally:
        subprocess.run(
            [bindir / "pg_ctl", "-D", data, "-m", "fast", "-w", "stop"],
            stdout=subprocess.DEVNULL,
            env=env,
            cwd=tmp,
            **run_as,
        )
        shutil.rmtree(tmp, ignore_errors=True)


@contextlib.contextmanager
def throwaway_redis(url: str) -> Iterator[str]:
    server = shutil.which("redis-server")
    if server is None:
        raise SystemExit(install_hint(["redis-server"]))
    port = _free_port()
    tmp = Path(tempfile.mkdtemp(prefix="crisisroom-redis-"))
    process = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        + ["--dir", str(tmp), "--logfile", str(tmp / "redis.log")],
        stdout=subprocess.DEVNULL,
    )
    try:
        _wait(lambda: _reachable("127.0.0.1", port), "Redis")
        print(f"== throw-away Redis on 127.0.0.1:{port}", flush=True)
        yield _with_port(url, port)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        shutil.rmtree(tmp, ignore_errors=True)


def run(command: list[str], database_url: str, redis_url: str) -> int:
    with contextlib.ExitStack() as stack:
        db_host, db_port = _url_target(database_url, 5432)
        if not _reachable(db_host, db_port):
            if db_host not in LOCAL_HOSTS:
                raise SystemExit(f"tests/services.py: nothing answers at {db_host}:{db_port}")
            database_url = stack.enter_context(throwaway_postgres(database_url))
        redis_host, redis_port = _url_target(redis_url, 6379)
        if not _reachable(redis_host, redis_port):
            if redis_host not in LOCAL_HOSTS:
                raise SystemExit(f"tests/services.py: nothing answers at {redis_host}:{redis_port}")
            redis_url = stack.enter_context(throwaway_redis(redis_url))
        env = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": redis_url}
        child = subprocess.Popen(command, env=env)

        def forward(signum, _frame):  # type: ignore[no-untyped-def]
            child.send_signal(signum)

        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, forward)
        return child.wait()
    return 1  # pragma: no cover (ExitStack does not swallow)


def main(argv: list[str]) -> int:
    database_url = os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    redis_url = os.environ.get("REDIS_URL") or DEFAULT_REDIS_URL
    if argv[:1] == ["install"]:
        return install(database_url, redis_url)
    if argv[:1] == ["run"] and "--" in argv:
        return run(argv[argv.index("--") + 1 :], database_url, redis_url)
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
