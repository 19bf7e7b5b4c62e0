"""Alert delivery against real local servers: SMTP (aiosmtpd) and a webhook receiver
that answers like Slack and Teams do."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from crisisroom.choices import AlertStatus
from crisisroom.models import Alert, OnCallEntry, Webhook
from crisisroom.services.alert_delivery import alert_send
from crisisroom.services.incidents import incident_open
from crisisroom.tasks import alert_send_task
from monitoring.models import Brand, Mention, Rollup, Signal, Source, bucket_start

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("local_targets")]


class Receiver:
    """A local incoming-webhook endpoint: records JSON bodies, answers ``status``."""

    def __init__(self) -> None:
        self.bodies: list[dict] = []
        self.status = 200
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers["Content-Length"])
                receiver.bodies.append(
                    {
                        "path": self.path,
                        "content_type": self.headers["Content-Type"],
                        "json": json.loads(self.rfile.read(length)),
                    }
                )
                self.send_response(receiver.status)
                self.end_headers()
                self.wfile.write(b"ok" if receiver.status == 200 else b"no")

            def log_message(self, *args) -> None:  # type: ignore[no-untyped-def]
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    thread = threading.Thread(target=r.server.serve_forever, daemon=True)
    thread.start()
    yield r
    r.server.shutdown()
    r.server.server_close()


def volume_signal(brand, at):  # type: ignore[no-untyped-def]
    return Signal.objects.create(
        brand=brand,
        kind="volume",
        at=at,
        baseline=12.5,
        threshold=40,
        observed=180,
        magnitude=3.5,
    )


def test_the_email_explains_the_spike_and_is_sent_over_real_smtp(alice, bob, smtp_server, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = smtp_server.host, smtp_server.port
    OnCallEntry.objects.create(user=bob)
    brand = Brand.objects.create(name="Acme", slug="acme")
    source = Source.objects.create(kind="api", key="twitter", platform="twitter")
    now = datetime.now(UTC)
    for i, (followers, label, text) in enumerate(
        [
            (900_000, "negative", "Boycott Acme now"),
            (50, "neutral", "Acme opens at nine"),
            (120_000, "negative", "Acme lawsuit incoming"),
            (10, "positive", "Love Acme"),
            (5_000, "negative", "Acme data breach?"),
            (300, "negative", "Never Acme again"),
        ]
    ):
        Mention.objects.create(
            source=source,
            external_id=str(i),
            brand=brand,
            platform="twitter" if i % 2 else "weibo",
            text=text,
            url=f"https://example.com/{i}",
            author=f"author{i}",
            author_followers=followers,
            published_at=now - timedelta(minutes=i),
            sentiment_label=label,
            triggers="boycott" if i == 0 else ("lawsuit" if i == 2 else ""),
        )
    Rollup.objects.create(
        brand=brand,
        bucket=bucket_start(now),
        platform="twitter",
        count=40,
        negative=30,
        neutral=6,
        positive=4,
    )
    Rollup.objects.create(
        brand=brand,
        bucket=bucket_start(now) - timedelta(minutes=30),
        platform="weibo",
        count=4,
        neutral=4,
    )
    signal = volume_signal(brand, at=bucket_start(now))
    incident = incident_open(brand=brand, title="Acme: Volume spike", signals=[signal])

    [message] = smtp_server.inbox.wait_for(1)
    assert message["To"] == "bob@example.com"
    parts = {
        part.get_content_type(): part.get_payload(decode=True).decode()
        for part in message.walk()
        if not part.is_multipart()
    }
    text, html = parts["text/plain"], parts["text/html"]
    for body in (text, html):
        assert "observed 180 against a baseline of 12.5 (threshold 40)" in body
        assert "█" in body  # the sparkline's peak
        assert "boycott, lawsuit" in body
        assert "twitter 40, weibo 4" in body
        assert "68% negative, 23% neutral, 9% positive" in body
        assert "/alerts/ack/" in body
        assert f"/incidents/{incident.pk}/" in body
    # the top five by reach, most-followed first; the sixth is left out
    assert text.index("900,000") < text.index("120,000") < text.index("5,000 followers")
    assert "https://example.com/0" in html and "https://example.com/3" not in html
    assert 'name="viewport"' in html


def test_slack_and_teams_get_their_real_formats(alice, receiver):
    Webhook.objects.create(name="PR", kind="slack", url=f"{receiver.url}/slack")
    Webhook.objects.create(name="Legal", kind="teams", url=f"{receiver.url}/teams")
    brand = Brand.objects.create(name="Acme", slug="acme")
    incident = incident_open(
        brand=brand,
        title="Acme: Volume spike",
        signals=[volume_signal(brand, bucket_start(datetime.now(UTC)))],
    )
    by_path = {b["path"]: b for b in receiver.bodies}
    assert set(by_path) == {"/slack", "/teams"}
    slack = by_path["/slack"]["json"]
    assert by_path["/slack"]["content_type"] == "application/json"
    assert "Acme: Volume spike" in slack["text"]
    assert slack["blocks"][0] == {
        "type": "header",
        "text": {"type": "plain_text", "text": slack["blocks"][0]["text"]["text"]},
    }
    assert "observed 180" in slack["blocks"][2]["text"]["text"]
    button = slack["blocks"][-1]["elements"][0]
    assert button["url"].endswith(f"/incidents/{incident.pk}/")
    teams = by_path["/teams"]["json"]
    assert teams["@type"] == "MessageCard"
    assert teams["@context"] == "https://schema.org/extensions"
    assert {"name": "Brand", "value": "Acme"} in teams["sections"][0]["facts"]
    assert teams["potentialAction"][0]["targets"][0]["uri"].endswith(f"/incidents/{incident.pk}/")
    assert Alert.objects.filter(webhook__isnull=False, status=AlertStatus.SENT).count() == 2
    # an email went to alice too, and each alert is sent once
    assert Alert.objects.filter(recipient=alice, status=AlertStatus.SENT).count() == 1
    for alert in Alert.objects.all():
        assert alert_send_task(alert.pk) is False
    assert len(receiver.bodies) == 2


def test_a_webhook_that_fails_is_recorded_and_retried_then_sent(receiver):
    webhook = Webhook.objects.create(name="PR", kind="slack", url=f"{receiver.url}/slack")
    receiver.status = 503
    brand = Brand.objects.create(name="Acme", slug="acme")
    incident = incident_open(brand=brand, title="Outage")
    alert = Alert.objects.get(incident=incident, webhook=webhook)
    assert alert.status == AlertStatus.FAILED
    assert "HTTP 503" in alert.error
    assert alert.attempts == 1  # no Celery retries: the sweep retries from the row
    assert alert.next_attempt_at is not None
    assert alert_send(alert_id=alert.pk) is False
    receiver.status = 200
    assert alert_send(alert_id=alert.pk) is True
    alert.refresh_from_db()
    assert (alert.status, alert.error, alert.attempts) == (AlertStatus.SENT, "", 3)
    assert alert.next_attempt_at is None


def test_a_refused_webhook_is_not_retried(receiver):
    webhook = Webhook.objects.create(name="PR", kind="teams", url=f"{receiver.url}/gone")
    receiver.status = 404
    incident = incident_open(brand=Brand.objects.create(name="A", slug="a"), title="Outage")
    alert = Alert.objects.get(incident=incident, webhook=webhook)
    assert alert_send_task(alert.pk) is False
    alert.refresh_from_db()
    assert alert.status == AlertStatus.FAILED and "HTTP 404" in alert.error
    assert alert.next_attempt_at is None  # given up: the sweep leaves it alone
