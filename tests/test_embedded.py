"""Embedded mode started the way the README's first command starts it
(`make demo` runs `manage.py demo` with no DATABASE_URL and no REDIS_URL)."""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

from websockets.sync.client import connect

from tests.conftest import ROOT, free_port


def _read_until(path: Path, pattern: str, timeout: float, process: subprocess.Popen) -> re.Match:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = re.search(pattern, path.read_text(errors="replace"))
        if found:
            return found
        if process.poll() is not None:
            break
        time.sleep(0.3)
    raise AssertionError(f"no {pattern!r} in output:\n{path.read_text(errors='replace')[-4000:]}")


def test_the_demo_serves_health_and_login_and_has_an_incident_to_open(tmp_path):
    port = free_port()
    env = {
        k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "SECRET_KEY"}
    }
    env["CRISISROOM_DATA_DIR"] = str(tmp_path / "var")
    log = tmp_path / "demo.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "manage.py", "demo", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        login = _read_until(log, r"username: (\S+)\s+password: (\S+)", 120, process)
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=3) as response:
                    health = json.loads(response.read())
                    break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise
                time.sleep(0.3)
        # the drill's clock starts once the server answers (migrating and loading
        # the demo data before that take longer on a busy machine)
        started = time.monotonic()
        assert health["status"] == "ok"
        assert health["mode"] == "embedded"
        assert (tmp_path / "var" / "crisisroom.sqlite3").exists()

        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        page = opener.open(f"{base}/accounts/login/").read().decode()
        assert 'name="username"' in page
        csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        form = urllib.parse.urlencode(
            {"username": login.group(1), "password": login.group(2), "csrfmiddlewaretoken": csrf}
        ).encode()
        request = urllib.request.Request(
            f"{base}/accounts/login/", data=form, headers={"Referer": base}
        )
        dashboard = opener.open(request).read().decode()
        assert "Acme Coffee" in dashboard
        room = re.search(r'href="(/incidents/\d+/)"', dashboard)
        assert room, "the demo should have an incident to open"
        assert "Boycott" in opener.open(base + room.group(1)).read().decode()

        # Live path in embedded mode: a mention posted with the printed token reaches
        # the war room's websocket (eager tasks, in-memory channel layer).
        token = _read_until(log, r"Bearer (cr_\S+)'", 5, process).group(1)
        session = next(c.value for c in jar if c.name == "sessionid")
        ws_url = f"ws://127.0.0.1:{port}/ws{room.group(1)}"
        with connect(
            ws_url, additional_headers={"Cookie": f"sessionid={session}", "Origin": base}
        ) as socket:
            assert json.loads(socket.recv(timeout=10))["type"] == "hello"
            body = json.dumps(
                [
                    {
                        "source": "twitter",
                        "external_id": "curl-1",
                        "text": "Acme Coffee, answer us!",
                        "published_at": datetime.now(UTC).isoformat(),
                    }
                ]
            ).encode()
            request = urllib.request.Request(
                f"{base}/api/v1/mentions",
                data=body,
                method="POST",
                headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
            )
            assert json.loads(urllib.request.urlopen(request, timeout=10).read())["accepted"] == 1
            while True:
                message = json.loads(socket.recv(timeout=10))
                if message["type"] == "mentions.new":
                    break
            assert message["mentions"][0]["text"] == "Acme Coffee, answer us!"

        # The drill under way opens its incident within a minute of starting.
        deadline = started + 60
        drill_incident = None
        while drill_incident is None and time.monotonic() < deadline:
            listing = urllib.request.Request(
                f"{base}/api/v1/incidents", headers={"Authorization": f"Bearer {token}"}
            )
            incidents = json.loads(urllib.request.urlopen(listing, timeout=10).read())["incidents"]
            drill_incident = next((i for i in incidents if i["is_drill"]), None)
            time.sleep(1)
        assert drill_incident is not None, log.read_text(errors="replace")[-3000:]
        print(f"drill incident after {time.monotonic() - started:.0f} s")
    finally:
        process.terminate()
        process.wait(timeout=15)
