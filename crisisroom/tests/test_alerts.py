from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail

from crisisroom.choices import AlertStatus, IncidentStatus
from crisisroom.models import Alert, Incident, OnCallEntry
from crisisroom.services.alert_delivery import alert_send
from crisisroom.services.alerts import alerts_escalate
from crisisroom.services.incidents import incident_acknowledge, incident_open, incident_take_signal
from crisisroom.services.signals import severity_for, signal_value
from crisisroom.tasks import alert_send_task, alerts_escalate_task
from monitoring.models import Brand, Signal

pytestmark = pytest.mark.django_db(transaction=True)


def volume_signal(brand, magnitude=3.5, at="2026-03-01T10:00:00Z"):  # type: ignore[no-untyped-def]
    return Signal.objects.create(
        brand=brand,
        kind="volume",
        at=datetime.fromisoformat(at) if isinstance(at, str) else at,
        baseline=12.5,
        threshold=40,
        observed=180,
        magnitude=magnitude,
    )


def promote(user):  # type: ignore[no-untyped-def]
    """Only people who can acknowledge are paged: make the viewer a responder."""
    user.org_role = "responder"
    user.save(update_fields=["org_role"])


def test_an_opened_incident_pages_the_first_on_call_person_once(alice, bob):
    OnCallEntry.objects.create(user=bob, position=0)
    OnCallEntry.objects.create(user=alice, position=1)
    brand = Brand.objects.create(name="Acme", slug="acme")
    signal = volume_signal(brand)
    incident = incident_open(brand=brand, title="Acme: Volume spike", signals=[signal])
    assert [m.to for m in mail.outbox] == [["bob@example.com"]]
    message = mail.outbox[0]
    assert "Acme: Volume spike" in message.subject
    assert "observed 180 against a baseline of 12.5 (threshold 40)" in message.body
    assert f"/incidents/{incident.pk}/" in message.body
    html, mime = message.alternatives[0]
    assert mime == "text/html"
    assert "observed 180" in html
    alert = Alert.objects.get(incident=incident)
    assert alert.status == AlertStatus.SENT
    # Sending again, as a retried task would, sends nothing.
    assert alert_send_task(alert.pk) is False
    assert len(mail.outbox) == 1


def test_without_an_on_call_list_admins_with_email_are_paged(alice, bob):
    brand = Brand.objects.create(name="Acme", slug="acme")
    incident_open(brand=brand, title="Outage")
    assert [m.to for m in mail.outbox] == [["alice@example.com"]]


def test_a_failed_send_is_recorded_with_its_next_attempt(alice, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = (
        "127.0.0.1",
        9,
        2,
    )  # nothing listens
    brand = Brand.objects.create(name="Acme", slug="acme")
    incident = incident_open(brand=brand, title="Outage")
    alert = Alert.objects.get(incident=incident)
    assert alert.status == AlertStatus.FAILED
    assert alert.error
    assert alert.attempts == 1
    assert alert.next_attempt_at > alert.created_at  # the sweep tries again then
    assert f".alert-{alert.pk}@" in alert.message_id
    # Trying now (a redelivered task) fails again and is counted, never raised.
    assert alert_send(alert_id=alert.pk) is False
    alert.refresh_from_db()
    assert (alert.status, alert.attempts) == (AlertStatus.FAILED, 2)


def test_an_alert_that_is_gone_is_skipped():
    assert alert_send(alert_id=987654) is False


def test_a_retried_task_never_sends_one_signal_twice(bob):
    OnCallEntry.objects.create(user=bob)
    brand = Brand.objects.create(name="Acme", slug="acme")
    incident = incident_take_signal(signal=volume_signal(brand))
    alert = Alert.objects.get(incident=incident)
    for _ in range(3):
        assert alert_send_task(alert.pk) is False
    assert len(mail.outbox) == 1


def test_a_new_signal_joins_the_open_incident_and_pages_again_only_when_more_severe(bob):
    OnCallEntry.objects.create(user=bob)
    brand = Brand.objects.create(name="Acme", slug="acme")
    first = incident_take_signal(signal=volume_signal(brand, magnitude=1.2))
    assert first.severity == "low"
    same = incident_take_signal(signal=volume_signal(brand, magnitude=1.1, at="2026-03-01T10:05Z"))
    assert same == first and len(mail.outbox) == 1
    worse = incident_take_signal(signal=volume_signal(brand, magnitude=7, at="2026-03-01T10:10Z"))
    assert worse == first
    assert Incident.objects.get(pk=first.pk).severity == "critical"
    assert len(mail.outbox) == 2
    assert first.signals.count() == 3


def test_severity_grows_with_magnitude_and_reach():
    assert severity_for(1.1) == "low"
    assert severity_for(2) == "medium"
    assert severity_for(4) == "high"
    assert severity_for(10) == "critical"
    assert severity_for(1.1, reach=5_000_000) == "medium"


class TestEscalation:
    def open_incident(self, alice, bob, charlie):  # type: ignore[no-untyped-def]
        promote(charlie)
        OnCallEntry.objects.create(user=bob, position=0)
        OnCallEntry.objects.create(user=alice, position=1)
        OnCallEntry.objects.create(user=charlie, position=2)
        brand = Brand.objects.create(name="Acme", slug="acme")
        return incident_open(brand=brand, title="Outage")

    def test_an_unacknowledged_alert_pages_the_next_person_once(
        self, alice, bob, charlie, settings
    ):
        settings.ALERT_ESCALATE_AFTER_MINUTES = 10
        incident = self.open_incident(alice, bob, charlie)
        now = datetime.now(UTC)
        assert alerts_escalate(now=now + timedelta(minutes=5)) == []
        [escalated] = alerts_escalate(now=now + timedelta(minutes=11))
        assert escalated.recipient == alice and escalated.level == 1
        # the periodic task running again at the same moment pages nobody else
        assert alerts_escalate(now=now + timedelta(minutes=11)) == []
        assert alerts_escalate_task() == 0
        assert [m.to for m in mail.outbox] == [["bob@example.com"], ["alice@example.com"]]
        assert [e.message for e in incident.timeline.filter(kind="alert")] == [
            "Alert sent to bob",
            "Not acknowledged after 10 minutes: paging alice",
            "Alert sent to alice",
        ]

    def test_the_whole_list_is_paged_in_turn_and_then_nobody_again(self, alice, bob, charlie):
        self.open_incident(alice, bob, charlie)
        later = datetime.now(UTC) + timedelta(hours=1)
        assert [a.recipient for a in alerts_escalate(now=later)] == [alice]
        Alert.objects.update(created_at=later - timedelta(hours=1))
        assert [a.recipient for a in alerts_escalate(now=later)] == [charlie]
        Alert.objects.update(created_at=later - timedelta(hours=1))
        assert alerts_escalate(now=later) == []
        assert len(mail.outbox) == 3

    def test_an_acknowledged_incident_is_not_escalated(self, alice, bob, charlie):
        incident = self.open_incident(alice, bob, charlie)
        incident_acknowledge(incident=incident, user=bob)
        assert alerts_escalate(now=datetime.now(UTC) + timedelta(hours=1)) == []

    def test_the_escalation_task_is_on_the_beat_schedule(self, settings):
        tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
        assert "crisisroom.tasks.alerts_escalate_task" in tasks


def test_a_weekly_rotation_moves_the_first_place_each_week(alice, bob, charlie, settings):
    from crisisroom.selectors import on_call_order

    promote(charlie)
    settings.ON_CALL_ROTATION = "weekly"
    settings.ON_CALL_ROTATION_START = "2026-01-05"
    for position, user in enumerate([alice, bob, charlie]):
        OnCallEntry.objects.create(user=user, position=position)
    week = timedelta(days=7)
    start = datetime(2026, 1, 5, 9, tzinfo=UTC)
    assert on_call_order(at=start) == [alice, bob, charlie]
    assert on_call_order(at=start + week) == [bob, charlie, alice]
    assert on_call_order(at=start + 2 * week + timedelta(days=6)) == [charlie, alice, bob]
    assert on_call_order(at=start + 3 * week) == [alice, bob, charlie]


def test_people_who_cannot_acknowledge_are_not_paged(alice, charlie, dave):
    from crisisroom.selectors import on_call_order

    OnCallEntry.objects.create(user=charlie, position=0)
    OnCallEntry.objects.create(user=dave, position=1)
    OnCallEntry.objects.create(user=alice, position=2)
    assert on_call_order() == [alice]


def test_the_incident_alerts_page_shows_a_failure(alice, bob, client):
    brand = Brand.objects.create(name="Acme", slug="acme")
    incident = Incident.objects.create(brand=brand, title="x", started_at=datetime.now(UTC))
    Alert.objects.create(
        incident=incident,
        recipient=alice,
        email=alice.email,
        status="failed",
        error="Connection refused",
        attempts=5,
    )
    client.force_login(bob)
    page = client.get(f"/incidents/{incident.pk}/alerts/")
    assert page.status_code == 200
    assert "Connection refused" in page.content.decode()


def test_the_on_call_page_says_who_is_on_call_now(alice, bob, client):
    OnCallEntry.objects.create(user=bob, position=0)
    OnCallEntry.objects.create(user=alice, position=1)
    client.force_login(alice)
    page = client.get("/on-call/").content.decode()
    assert "On call now: bob" in page
    assert page.index("bob@example.com") < page.index("alice@example.com")


def test_a_dismissed_incident_is_not_escalated(alice, bob):
    from crisisroom.services.incidents import incident_dismiss

    OnCallEntry.objects.create(user=bob, position=0)
    OnCallEntry.objects.create(user=alice, position=1)
    incident = incident_open(brand=Brand.objects.create(name="A", slug="a"), title="x")
    incident_dismiss(incident=incident, user=bob, reason="test")
    assert Incident.objects.get(pk=incident.pk).status == IncidentStatus.DISMISSED
    assert alerts_escalate(now=datetime.now(UTC) + timedelta(hours=1)) == []


def test_a_webhook_to_a_private_address_is_refused_not_retried(settings):
    from crisisroom.notifiers import Notifier, WebhookRejected

    class Plain(Notifier):
        def payload(self, summary):  # type: ignore[no-untyped-def]
            return {"text": summary["title"]}

    settings.SOURCES_ALLOW_PRIVATE_ADDRESSES = False
    with pytest.raises(WebhookRejected, match="refused"):
        Plain("http://127.0.0.1:9/hook").send({"title": "Outage"})


def test_a_negative_count_signal_reads_as_posts_not_as_a_share():
    # a small brand's negative-count window stores negative posts per bucket
    assert signal_value("negative_share", 0.35) == "35%"
    assert signal_value("negative_share", 1.5, negatives=True) == "1.5"
    assert signal_value("negative_share", 2.0, negatives=True) == "2"
