from __future__ import annotations

import pytest
from django.core import mail

from crisisroom.choices import AlertStatus
from crisisroom.models import Alert, OnCallEntry
from crisisroom.services import alert_send, incident_open
from crisisroom.tasks import alert_send_task
from monitoring.models import Brand, Signal

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_opened_incident_pages_the_first_on_call_person_once(alice, bob):
    OnCallEntry.objects.create(user=bob, position=0)
    OnCallEntry.objects.create(user=alice, position=1)
    brand = Brand.objects.create(name="Acme", slug="acme")
    signal = Signal.objects.create(
        brand=brand,
        kind="volume",
        at="2026-03-01T10:00:00Z",
        baseline=12.5,
        threshold=40,
        observed=180,
        magnitude=3.5,
    )
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


def test_a_failed_send_is_recorded_and_raised_for_retry(alice, settings):
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
    with pytest.raises(OSError):
        alert_send(alert_id=alert.pk)


def test_an_alert_that_is_gone_is_skipped():
    assert alert_send(alert_id=987654) is False
