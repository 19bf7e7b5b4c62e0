"""Durable alerts in one process, against real local servers: the sweep, back-off,
give-up after ALERT_RETRY_FOR_SECONDS, failover to the next person, stale claims
(at most once for email, at least once for webhooks) and the row lock."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from crisisroom.choices import AlertStatus
from crisisroom.embedded import run_due
from crisisroom.models import Alert, OnCallEntry, TimelineEvent, Webhook
from crisisroom.services.alert_delivery import alert_claim, alerts_sweep, retry_delay
from crisisroom.services.incidents import incident_open
from monitoring.models import Brand
from tests.conftest import free_port
from tests.test_alert_delivery import Receiver

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def smtp_down(settings):  # type: ignore[no-untyped-def]
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", free_port(), 2
    return settings


def smtp_up(settings, server) -> None:  # type: ignore[no-untyped-def]
    settings.EMAIL_HOST, settings.EMAIL_PORT = server.host, server.port


def open_incident(title: str = "Outage"):  # type: ignore[no-untyped-def]
    brand, _ = Brand.objects.get_or_create(slug="acme", defaults={"name": "Acme"})
    return incident_open(brand=brand, title=title)


def test_a_failed_email_waits_for_its_back_off_then_the_sweep_sends_it_once(
    alice, smtp_down, smtp_server
):
    incident = open_incident()
    alert = Alert.objects.get(incident=incident)
    assert (alert.status, alert.attempts) == (AlertStatus.FAILED, 1)
    assert alert.next_attempt_at > timezone.now()
    assert alerts_sweep() == 0  # not due yet: nothing is tried
    assert Alert.objects.get(pk=alert.pk).attempts == 1
    smtp_up(smtp_down, smtp_server)
    later = alert.next_attempt_at + timedelta(seconds=1)
    assert alerts_sweep(now=later) == 1
    assert alerts_sweep(now=later + timedelta(hours=1)) == 0
    messages = smtp_server.inbox.wait_for(1, timeout=5)
    assert len(messages) == 1
    alert.refresh_from_db()
    assert (alert.status, alert.attempts, alert.next_attempt_at) == (AlertStatus.SENT, 2, None)
    assert messages[0]["Message-ID"] == alert.message_id
    assert (
        TimelineEvent.objects.filter(incident=incident, message__contains="retrying").count() == 1
    )


def test_back_off_doubles_up_to_its_cap(settings):
    settings.ALERT_RETRY_BASE_SECONDS, settings.ALERT_RETRY_MAX_SECONDS = 30, 900
    seconds = [retry_delay(n).total_seconds() for n in (1, 2, 3, 6, 50)]
    assert 27 <= seconds[0] <= 33 and 54 <= seconds[1] <= 66 and 108 <= seconds[2] <= 132
    assert 810 <= seconds[3] <= 990 and 810 <= seconds[4] <= 990


def test_an_alert_failing_for_a_day_is_given_up_and_says_so(alice, smtp_down):
    incident = open_incident()
    alert = Alert.objects.get(incident=incident)
    Alert.objects.filter(pk=alert.pk).update(created_at=timezone.now() - timedelta(hours=23))
    assert alerts_sweep(now=timezone.now() + timedelta(hours=2)) == 0
    alert.refresh_from_db()
    assert alert.status == AlertStatus.FAILED and alert.next_attempt_at is None
    assert TimelineEvent.objects.filter(incident=incident, message__contains="given up").exists()
    assert alerts_sweep(now=timezone.now() + timedelta(hours=3)) == 0
    assert Alert.objects.get(pk=alert.pk).attempts == alert.attempts


def test_an_email_that_keeps_failing_pages_the_next_person_on_call(
    alice, bob, smtp_down, smtp_server
):
    smtp_down.ALERT_FAILOVER_AFTER_ATTEMPTS = 2
    OnCallEntry.objects.create(user=bob, position=0)
    OnCallEntry.objects.create(user=alice, position=1)
    incident = open_incident()
    first = Alert.objects.get(incident=incident, recipient=bob)
    alerts_sweep(now=first.next_attempt_at + timedelta(seconds=1))  # second failure
    first.refresh_from_db()
    assert first.attempts == 2 and first.escalated_at is not None
    failover = Alert.objects.get(incident=incident, recipient=alice)
    assert (failover.reason, failover.level) == (f"failover-{first.pk}", 1)
    assert TimelineEvent.objects.filter(
        incident=incident, message__contains="keeps failing"
    ).exists()
    smtp_up(smtp_down, smtp_server)
    alerts_sweep(now=timezone.now() + timedelta(hours=1))
    messages = smtp_server.inbox.wait_for(2, timeout=5)
    assert sorted(m["To"] for m in messages) == ["alice@example.com", "bob@example.com"]
    assert Alert.objects.filter(incident=incident, recipient=alice).count() == 1


def test_a_stale_email_claim_is_never_sent_again_and_the_next_person_is_paged(
    alice, bob, settings, smtp_server
):
    OnCallEntry.objects.create(user=bob, position=0)
    OnCallEntry.objects.create(user=alice, position=1)
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    incident = open_incident()
    alert = Alert.objects.get(incident=incident, recipient=bob)
    # Say a worker claimed it and died before recording the result: it may have been sent.
    Alert.objects.filter(pk=alert.pk).update(
        status=AlertStatus.SENDING, claimed_at=timezone.now(), message_id="<x@acme>"
    )
    mail.outbox.clear()
    assert alerts_sweep() == 0  # not stale yet: left alone
    assert alerts_sweep(now=timezone.now() + timedelta(hours=1)) == 1
    alert.refresh_from_db()
    assert alert.status == AlertStatus.UNCONFIRMED and "<x@acme>" in alert.error
    assert [m.to for m in mail.outbox] == [["alice@example.com"]]


def test_a_stale_webhook_claim_is_tried_again(alice, settings, local_targets):
    receiver = Receiver()
    thread = threading.Thread(target=receiver.server.serve_forever, daemon=True)
    thread.start()
    try:
        Webhook.objects.create(name="PR", kind="slack", url=f"{receiver.url}/slack")
        incident = open_incident()
        alert = Alert.objects.get(incident=incident, webhook__isnull=False)
        assert len(receiver.bodies) == 1
        # Say the worker died before recording that: the row still says "sending".
        Alert.objects.filter(pk=alert.pk).update(
            status=AlertStatus.SENDING, claimed_at=timezone.now() - timedelta(hours=1)
        )
        alerts_sweep()
        assert Alert.objects.get(pk=alert.pk).status == AlertStatus.SENT
        assert len(receiver.bodies) == 2  # at least once: a repeat rather than a miss
    finally:
        receiver.server.shutdown()
        receiver.server.server_close()


def test_an_alert_locked_by_another_worker_is_skipped_and_a_claimed_one_not_claimed_again(
    alice, settings
):
    incident = open_incident()
    alert = Alert.objects.get(incident=incident)
    Alert.objects.filter(pk=alert.pk).update(
        status=AlertStatus.PENDING, attempts=0, next_attempt_at=timezone.now()
    )
    locked, release = threading.Event(), threading.Event()

    def other_worker() -> None:
        from django.db import connection

        with transaction.atomic():
            Alert.objects.select_for_update().get(pk=alert.pk)
            locked.set()
            release.wait(10)
        connection.close()

    thread = threading.Thread(target=other_worker)
    thread.start()
    assert locked.wait(10)
    try:
        assert alert_claim(alert_id=alert.pk) is None
        assert alert_claim() is None
    finally:
        release.set()
        thread.join()
    claimed = alert_claim(alert_id=alert.pk)
    assert claimed is not None and claimed.status == AlertStatus.SENDING
    assert alert_claim(alert_id=alert.pk) is None


def test_the_sweep_runs_from_beat_and_from_the_embedded_scheduler(alice, settings):
    entry = settings.CELERY_BEAT_SCHEDULE["sweep-alerts"]
    assert entry["task"] == "crisisroom.tasks.alerts_sweep_task"
    assert entry["schedule"] == 60.0
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    incident = open_incident()
    alert = Alert.objects.get(incident=incident)
    # Say the queued send was lost (Redis lost it): the alert is still pending.
    Alert.objects.filter(pk=alert.pk).update(
        status=AlertStatus.PENDING, attempts=0, next_attempt_at=timezone.now()
    )
    mail.outbox.clear()
    assert "sweep-alerts" in run_due({}, 0.0)
    assert [m.to for m in mail.outbox] == [["alice@example.com"]]


def test_the_alerts_page_shows_the_next_attempt_and_the_message_id(alice, smtp_down, client):
    incident = open_incident()
    client.force_login(alice)
    page = client.get(f"/incidents/{incident.pk}/alerts/").content.decode()
    alert = Alert.objects.get(incident=incident)
    assert "Failed" in page and "Next attempt" in page
    assert alert.message_id.replace("<", "&lt;").replace(">", "&gt;") in page
    assert timezone.localtime(alert.next_attempt_at).strftime("%Y-%m-%d %H:%M:%S") in page


@pytest.mark.browser
@pytest.mark.parametrize("language", ["en", "zh-hant"])
def test_the_alerts_page_reads_at_desktop_and_phone_width(
    live_server, alice, bob, smtp_down, language, tmp_path, monkeypatch
):
    from playwright.sync_api import sync_playwright

    from tests import chromium

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    alice.language = language
    alice.save(update_fields=["language"])
    smtp_down.ALERT_FAILOVER_AFTER_ATTEMPTS = 1
    OnCallEntry.objects.create(user=alice, position=0)
    OnCallEntry.objects.create(user=bob, position=1)
    incident = open_incident("Acme: Volume spike")  # alice's email fails, bob is paged
    Alert.objects.filter(recipient=bob).update(
        status=AlertStatus.UNCONFIRMED, error="The worker stopped while handing this email"
    )
    words = {"en": ("Failed", "Next attempt"), "zh-hant": ("失敗", "下次嘗試")}[language]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium.EXECUTABLE, args=chromium.ARGS)
        for width in (1400, 390):
            page = browser.new_page(viewport={"width": width, "height": 800})
            chromium.sign_in(page, live_server.url, "alice", language=None)
            page.goto(f"{live_server.url}/incidents/{incident.pk}/alerts/")
            table = page.locator("table")
            assert words[0] in table.inner_text()  # the status, in the reader's language
            # Each cell names its column (the header at desktop width, a label on a phone).
            assert page.locator(f'td[data-label="{words[1]}"]').count() == 2
            assert "Message-ID" in table.inner_text()
            assert page.locator("tr.alert-unconfirmed").count() == 1
            page.screenshot(path=str(tmp_path / f"alerts-{language}-{width}.png"), full_page=True)
            # Nothing is cut off: no sideways scrolling, every cell inside the window.
            assert page.evaluate("document.documentElement.scrollWidth") <= width
            for cell in page.locator("tr.alert-failed td").all():
                box = cell.bounding_box()
                assert box is not None and box["x"] + box["width"] <= width + 1
            page.close()
        browser.close()
