"""Operations: /metrics for Prometheus (who may read it, what it counts), JSON logs and
Sentry reports, each through the real settings."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from crisisroom.asgi import application
from crisisroom.models import Alert
from crisisroom.services.incidents import incident_open
from monitoring.detection_service import brand_detect
from monitoring.models import Source
from monitoring.polling import source_poll
from tests.conftest import ROOT, free_port


def scrape(client: Client | None = None, **headers: str) -> dict[tuple[str, tuple], float]:
    response = (client or Client()).get("/metrics", headers=headers)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain; version=")
    values = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            values[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return values


def value(metrics: dict, name: str, **labels: str) -> float:
    return metrics.get((name, tuple(sorted(labels.items()))), 0.0)


def test_metrics_answer_loopback_only_without_a_token(db):
    assert Client().get("/metrics").status_code == 200  # the test client is 127.0.0.1
    outside = Client(REMOTE_ADDR="203.0.113.9").get("/metrics")
    assert outside.status_code == 403
    assert b"METRICS_TOKEN" in outside.content
    # A proxy on the same host would make everyone loopback: forwarded requests are refused.
    proxied = Client().get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"})
    assert proxied.status_code == 403


def test_with_a_token_metrics_need_it_from_every_address(db, settings):
    settings.METRICS_TOKEN = "s3cret-scrape"
    assert Client().get("/metrics").status_code == 403
    wrong = Client().get("/metrics", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 403
    right = Client(REMOTE_ADDR="203.0.113.9").get(
        "/metrics", headers={"Authorization": "Bearer s3cret-scrape"}
    )
    assert right.status_code == 200
    assert b"django_http_requests_total_by_method_total" in right.content


def test_it_counts_mentions_by_source_and_brand_and_times_each_batch(
    bob, brand, api_for, django_capture_on_commit_callbacks
):
    before = scrape()
    items = [
        {
            "source": "twitter",
            "external_id": f"m{i}",
            "text": f"Acme Coffee burnt my order {i}",
            "published_at": timezone.now().isoformat(),
        }
        for i in range(3)
    ] + [
        {
            "source": "forum",
            "external_id": "f1",
            "text": "Nothing about brands here at all",
            "published_at": timezone.now().isoformat(),
        }
    ]
    with django_capture_on_commit_callbacks(execute=True):
        response = api_for(bob).post("/mentions", items)
    assert response.json()["accepted"] == 4
    after = scrape()
    name = "crisisroom_mentions_ingested_total"
    assert (
        value(after, name, source="twitter", brand="acme-coffee")
        - value(before, name, source="twitter", brand="acme-coffee")
        == 3
    )
    assert (
        value(after, name, source="forum", brand="") - value(before, name, source="forum", brand="")
        == 1
    )
    count = "crisisroom_ingest_seconds_count"
    assert value(after, count) - value(before, count) == 1
    assert value(after, "crisisroom_ingest_seconds_bucket", le="+Inf") == value(after, count)


def test_it_counts_detection_runs_and_poll_errors(brand, local_targets):
    before = scrape()
    brand_detect(brand_id=brand.pk)
    source = Source.objects.create(
        kind="rss",
        key="down-feed",
        platform="news",
        url=f"http://127.0.0.1:{free_port()}/feed.xml",  # nothing listens there
    )
    assert source_poll(source_id=source.pk, force=True).status == "failed"
    after = scrape()
    runs = "crisisroom_detection_runs_total"
    assert value(after, runs, outcome="quiet") - value(before, runs, outcome="quiet") == 1
    errors = "crisisroom_poll_errors_total"
    labels = {"source": "down-feed", "kind": "rss"}
    assert value(after, errors, **labels) - value(before, errors, **labels) == 1


def test_it_reports_alerts_by_state_from_the_database(brand):
    incident = incident_open(brand=brand, title="Outage")
    Alert.objects.create(incident=incident, email="a@example.com", reason="x1", status="failed")
    Alert.objects.create(
        incident=incident,
        email="b@example.com",
        reason="x2",
        status="sent",
        sent_at=timezone.now() - timedelta(minutes=1),
    )
    metrics = scrape()
    expected = {s: Alert.objects.filter(status=s).count() for s in ("pending", "sent", "failed")}
    assert expected["failed"] >= 1 and expected["sent"] >= 1
    for state, n in expected.items():
        assert value(metrics, "crisisroom_alerts", state=state) == n
    assert value(metrics, "crisisroom_incidents", status="open") >= 1


@pytest.mark.django_db(transaction=True)
def test_it_gauges_open_websockets(alice):
    client = Client()
    client.force_login(alice)
    headers = [
        (b"origin", b"http://127.0.0.1:8000"),
        (b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode()),
    ]
    gauge = ("crisisroom_open_websockets", (("consumer", "DashboardConsumer"),))

    async def walk() -> tuple[float, float, float]:
        read = sync_to_async(lambda: scrape().get(gauge, 0.0))
        start = await read()
        communicator = WebsocketCommunicator(application, "/ws/dashboard/", headers=headers)
        connected, _ = await communicator.connect()
        assert connected
        during = await read()
        await communicator.disconnect()
        return start, during, await read()

    start, during, end = async_to_sync(walk)()
    assert (during - start, end - start) == (1, 0)


class _Sentry(BaseHTTPRequestHandler):
    received: list[bytes] = []

    def do_POST(self) -> None:  # noqa: N802
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        self.received.append(body)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args: object) -> None:
        pass


def _django(code: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()\n" + code],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "crisisroom.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_with_sentry_dsn_errors_reach_sentry():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Sentry)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        dsn = f"http://publickey@127.0.0.1:{server.server_port}/42"
        done = _django(
            "import logging, sentry_sdk\n"
            "try:\n    1 / 0\nexcept ZeroDivisionError:\n"
            "    logging.getLogger('crisisroom.test').exception('poll crashed marker-7f3')\n"
            "sentry_sdk.flush(10)\n",
            SENTRY_DSN=dsn,
        )
        assert done.returncode == 0, done.stderr
    finally:
        server.shutdown()
    events = b"\n".join(_Sentry.received)
    assert b"marker-7f3" in events
    assert b"ZeroDivisionError" in events


def test_log_format_json_writes_one_object_per_line():
    done = _django(
        "import logging; logging.getLogger('crisisroom.test').warning('hello %s', 'there')",
        LOG_FORMAT="json",
    )
    assert done.returncode == 0, done.stderr
    record = json.loads(done.stderr.strip().splitlines()[-1])
    assert record["message"] == "hello there"
    assert record["level"] == "WARNING"
    assert record["logger"] == "crisisroom.test"


def test_an_unknown_log_format_is_refused():
    done = _django("", LOG_FORMAT="xml")
    assert done.returncode != 0
    assert "LOG_FORMAT must be plain or json" in done.stderr


def test_log_format_json_also_applies_to_the_celery_worker():
    queue = f"json-logs-{os.getpid()}"
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "crisisroom", "worker", "-P", "solo"]
        + ["--queues", queue, "-n", f"{queue}@%h", "--without-gossip", "--without-mingle"],
        cwd=ROOT,
        env={**os.environ, "LOG_FORMAT": "json", "CELERY_QUEUE": queue},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        for line in worker.stdout:  # type: ignore[union-attr]
            if line.startswith("{") and "ready." in line:
                record = json.loads(line)
                break
        else:
            pytest.fail("the worker ended without a JSON 'ready.' line")
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    assert record["logger"] == "celery.apps.worker" and record["level"] == "INFO"
