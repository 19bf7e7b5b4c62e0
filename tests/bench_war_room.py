"""War-room load benchmark: N websocket clients on one incident while mentions arrive
through the HTTP API at a steady rate. Reports p50/p95/max latency from the commit
(the event's sent_at, stamped right after the ingest transaction commits) to client
receipt, events lost, and the server's memory.

    python tests/bench_war_room.py [--clients 200] [--rate 100] [--seconds 30]
                                   [--servers 1] [--client-procs 1] [--json]

--servers N starts N Daphne processes sharing PostgreSQL and Redis (as several
processes or hosts behind one address would): sockets are spread over them round
robin and the poster sends to them in turn, so every delivery to a socket on another
process crosses the Redis channel layer. "achieved_rate_per_s" is what the poster
got accepted; when the servers starve the API, it falls below the requested rate.
--client-procs K runs the websocket clients in K processes (one Python process
reading 1,000 sockets is itself a bottleneck). CPU is counted per side from the
first post to the last delivery: "server_cpu_us_per_delivery" (one mention reaching
one socket) does not depend on what else shares the machine.

Services mode: DATABASE_URL (default postgres://postgres@127.0.0.1:5432/crisisroom_bench,
created if missing) and REDIS_URL (default redis://127.0.0.1:6379/6). Starts its own
Daphne on a free loopback port; everything stays on 127.0.0.1 and stops by itself.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


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


def client_process(pipe: Any, origin: str, sockets: list[tuple[str, str]]) -> None:
    """One process of clients: connect them all, say how many, wait for the list of
    what was sent, wait (at most 15 s) until every socket saw all of it, report."""
    started = cpu_seconds(os.getpid())

    async def main() -> dict:
        done = asyncio.Event()
        connected: list[int] = []
        per_client: list[tuple[list[float], set[str]]] = [([], set()) for _ in sockets]
        tasks = []
        for (url, session), (lat, seen) in zip(sockets, per_client, strict=True):
            ready = asyncio.Event()
            tasks.append(
                asyncio.create_task(client(url, origin, session, lat, seen, ready, done, connected))
            )
            await asyncio.wait_for(ready.wait(), timeout=60)
        loop = asyncio.get_running_loop()
        pipe.send(len(connected))
        expected = set(await loop.run_in_executor(None, pipe.recv))
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and any(not expected <= seen for _, seen in per_client):
            await asyncio.sleep(0.2)
        done.set()
        await asyncio.gather(*tasks, return_exceptions=True)
        return {
            "latencies": [x for lat, _ in per_client for x in lat],
            "lost": sum(len(expected - seen) for _, seen in per_client),
        }

    result = asyncio.run(main())
    result["cpu_s"] = cpu_seconds(os.getpid()) - started
    pipe.send(result)


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
        # The sockets in --client-procs processes (1,000 people are 1,000 browsers, not
        # one Python process); socket n goes to server n mod --servers.
        context = multiprocessing.get_context("spawn")
        pipes, children = [], []
        for k in range(args.client_procs):
            mine = [
                (ws_urls[n % len(ws_urls)], session)
                for n, session in enumerate(sessions)
                if n % args.client_procs == k
            ]
            parent_end, child_end = context.Pipe()
            child = context.Process(target=client_process, args=(child_end, base, mine))
            child.start()
            pipes.append(parent_end)
            children.append(child)
        loop = asyncio.get_running_loop()
        connected = sum([await loop.run_in_executor(None, pipe.recv) for pipe in pipes])
        memory = [sum(rss_mb(server.pid) for server in servers)]
        cpu_start = [cpu_seconds(server.pid) for server in servers], cpu_seconds(os.getpid())
        sent: list[str] = []
        stop = threading.Event()
        thread = threading.Thread(
            target=poster, args=(bases, token, args.rate, args.seconds, sent, stop)
        )
        thread.start()
        while thread.is_alive():
            await asyncio.sleep(1)
            memory.append(sum(rss_mb(server.pid) for server in servers))
        # Each client process waits (bounded) for the last pushes, then reports.
        for pipe in pipes:
            pipe.send(sent)
        results = [await loop.run_in_executor(None, pipe.recv) for pipe in pipes]
        memory.append(sum(rss_mb(server.pid) for server in servers))
        server_cpu = sum(
            cpu_seconds(server.pid) - before
            for server, before in zip(servers, cpu_start[0], strict=True)
        )
        client_cpu = cpu_seconds(os.getpid()) - cpu_start[1] + sum(r["cpu_s"] for r in results)
        for child in children:
            child.join(timeout=30)
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
    latencies = sorted(x for r in results for x in r["latencies"])
    lost = sum(r["lost"] for r in results)
    q = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [0.0] * 99
    return {
        "clients": args.clients,
        "connected": connected,
        "client_procs": args.client_procs,
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
        # CPU from the first post to the last delivery: the servers' (all together)
        # per delivery is the figure that does not depend on what else shares the
        # machine; the clients' (this process, poster included) is what they took.
        "server_cpu_s": round(server_cpu, 1),
        "client_cpu_s": round(client_cpu, 1),
        "server_cpu_us_per_delivery": round(server_cpu / len(latencies) * 1e6, 1)
        if latencies
        else None,
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
    parser.add_argument(
        "--client-procs", type=int, default=1, help="processes the websocket clients run in"
    )
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
