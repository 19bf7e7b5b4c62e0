"""War-room load benchmark: N websocket clients on one incident while mentions arrive
through the HTTP API at a steady rate. Reports p50/p95/max latency from the commit
(the event's sent_at, stamped right after the ingest transaction commits) to client
receipt, events lost, and the server's memory.

    python tests/bench_war_room.py [--clients 200] [--rate 100] [--seconds 30]
                                   [--servers 1] [--json]

--servers N starts N Daphne processes sharing PostgreSQL and Redis (as several
processes or hosts behind one address would): sockets are spread over them round
robin and the poster sends to them in turn, so every delivery to a socket on another
process crosses the Redis channel layer. "achieved_rate_per_s" is what the poster
got accepted; when the servers starve the API, it falls below the requested rate.

Services mode: DATABASE_URL (default postgres://postgres@127.0.0.1:5432/crisisroom_bench,
created if missing) and REDIS_URL (default redis://127.0.0.1:6379/6). Starts its own
Daphne on a free loopback port; everything stays on 127.0.0.1 and stops by itself.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def ensure_database(url: str) -> None:
    import psycopg2
    from psycopg2 import sql

    name = url.rsplit("/", 1)[1]
    admin = psycopg2.connect(url.rsplit("/", 1)[0] + "/postgres")
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if not cursor.fetchone():
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    admin.close()


def setup(clients: int) -> tuple[int, str, list[str]]:
    import django

    django.setup()
    from django.contrib.sessions.backends.db import SessionStore
    from django.core.management import call_command

    from crisisroom.models import Incident
    from crisisroom.services.incidents import incident_open
    from crisisroom.services.users import api_token_create, user_add
    from foundation.roles import OrgRole
    from monitoring.models import Brand, WatchTerm

    call_command("migrate", verbosity=0)
    brand, _ = Brand.objects.get_or_create(slug="bench", defaults={"name": "Bench Coffee"})
    WatchTerm.objects.get_or_create(brand=brand, query="Bench Coffee")
    Incident.objects.filter(brand=brand).delete()
    incident = incident_open(brand=brand, title="Benchmark storm")
    poster, _ = user_add(username="bench-poster", org_role=OrgRole.RESPONDER)
    token = api_token_create(user=poster, name="bench")
    cookies = []
    for i in range(clients):
        user, _ = user_add(username=f"bench-viewer-{i}", org_role=OrgRole.VIEWER)
        session = SessionStore()
        session["_auth_user_id"] = str(user.pk)
        session["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
        session["_auth_user_hash"] = user.get_session_auth_hash()
        session.create()
        cookies.append(session.session_key)
    return incident.pk, token, cookies


async def client(
    url: str,
    origin: str,
    session: str,
    latencies: list[float],
    seen: set[str],
    ready: asyncio.Event,
    done: asyncio.Event,
    connected: list[int],
) -> None:
    from websockets.asyncio.client import connect

    async with connect(
        url,
        additional_headers={"Cookie": f"sessionid={session}", "Origin": origin},
        max_size=None,
        open_timeout=60,
    ) as socket:
        connected.append(1)
        ready.set()
        while not done.is_set():
            try:
                raw = await asyncio.wait_for(socket.recv(), timeout=0.5)
            except TimeoutError:
                continue
            received = time.time()
            message = json.loads(raw)
            if message.get("type") != "mentions.new":
                continue
            for mention in message["mentions"]:
                seen.add(mention["text"])
                latencies.append(received - message["sent_at"])


def poster(
    bases: list[str],
    token: str,
    rate: int,
    seconds: float,
    sent: list[str],
    stop: threading.Event,
) -> None:
    """Ten requests a second, rate/10 mentions each, for the given time, to each
    server in turn."""
    per_request = max(1, rate // 10)
    start = time.monotonic()
    tick = 0
    while time.monotonic() - start < seconds and not stop.is_set():
        items = []
        for _ in range(per_request):
            marker = uuid.uuid4().hex
            items.append(
                {
                    "source": "bench",
                    "external_id": marker,
                    "text": f"Bench Coffee {marker}",
                    "published_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                    "author": "bench",
                    "author_followers": 10,
                }
            )
        request = urllib.request.Request(
            f"{bases[tick % len(bases)]}/api/v1/mentions",
            data=json.dumps(items).encode(),
            method="POST",
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            if json.loads(response.read())["accepted"] == len(items):
                sent.extend(item["text"] for item in items)
        tick += 1
        time.sleep(max(0.0, start + tick / 10 - time.monotonic()))


async def run(args: argparse.Namespace, incident_id: int, token: str, sessions: list[str]) -> dict:
    from tests.conftest import free_port

    ports = [free_port() for _ in range(args.servers)]
    bases = [f"http://127.0.0.1:{port}" for port in ports]
    base = bases[0]
    queue = f"bench-{uuid.uuid4().hex[:6]}"
    env = {**os.environ, "CELERY_QUEUE": queue, "SITE_URL": base}
    servers = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "daphne",
                "-b",
                "127.0.0.1",
                "-p",
                str(port),
                "crisisroom.asgi:application",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for port in ports
    ]
    try:
        for url in bases:
            for _ in range(100):
                try:
                    urllib.request.urlopen(f"{url}/healthz", timeout=2)
                    break
                except OSError:
                    await asyncio.sleep(0.3)
        ws_urls = [f"ws://127.0.0.1:{port}/ws/incidents/{incident_id}/" for port in ports]
        done = asyncio.Event()
        connected: list[int] = []
        per_client = [([], set()) for _ in sessions]
        tasks = []
        for n, (session, (lat, seen)) in enumerate(zip(sessions, per_client, strict=True)):
            ready = asyncio.Event()
            ws_url = ws_urls[n % len(ws_urls)]
            tasks.append(
                asyncio.create_task(
                    client(ws_url, base, session, lat, seen, ready, done, connected)
                )
            )
            await asyncio.wait_for(ready.wait(), timeout=60)
        memory = [sum(rss_mb(server.pid) for server in servers)]
        sent: list[str] = []
        stop = threading.Event()
        thread = threading.Thread(
            target=poster, args=(bases, token, args.rate, args.seconds, sent, stop)
        )
        thread.start()
        while thread.is_alive():
            await asyncio.sleep(1)
            memory.append(sum(rss_mb(server.pid) for server in servers))
        # Let the last pushes arrive (bounded).
        deadline = time.monotonic() + 15
        expected = set(sent)
        while time.monotonic() < deadline and any(not expected <= seen for _, seen in per_client):
            await asyncio.sleep(0.2)
        memory.append(sum(rss_mb(server.pid) for server in servers))
        done.set()
        await asyncio.gather(*tasks, return_exceptions=True)
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:  # open sockets can hold Daphne's graceful stop
                server.kill()
                server.wait()
        import redis

        redis.Redis.from_url(os.environ["REDIS_URL"]).delete(queue)
    latencies = sorted(x for lat, _ in per_client for x in lat)
    lost = sum(len(expected - seen) for _, seen in per_client)
    q = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [0.0] * 99
    return {
        "clients": args.clients,
        "connected": len(connected),
        "servers": args.servers,
        "rate_per_s": args.rate,
        "achieved_rate_per_s": round(len(sent) / args.seconds, 1),
        "seconds": args.seconds,
        "mentions_sent": len(sent),
        "deliveries": len(latencies),
        "events_lost": lost,
        "p50_ms": round(q[49] * 1000, 1),
        "p95_ms": round(q[94] * 1000, 1),
        "max_ms": round(latencies[-1] * 1000, 1) if latencies else None,
        "server_rss_mb": {  # all servers together
            "start": round(memory[0], 1),
            "peak": round(max(memory), 1),
            "end": round(memory[-1], 1),
        },
        # Flat memory: about the same at each quarter of the run once warm.
        "server_rss_mb_by_quarter": [
            round(memory[min(len(memory) - 1, len(memory) * q // 4)], 1) for q in (1, 2, 3, 4)
        ],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--rate", type=int, default=100, help="mentions per second through the API")
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--servers", type=int, default=1, help="Daphne processes")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/crisisroom_bench")
    os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/6")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crisisroom.settings")
    os.environ["LOG_LEVEL"] = "WARNING"
    ensure_database(os.environ["DATABASE_URL"])
    incident_id, token, sessions = setup(args.clients)  # the ORM, before any event loop runs
    result = asyncio.run(run(args, incident_id, token, sessions))
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:>16}: {value}")


if __name__ == "__main__":
    main()
