"""The one-click acknowledge link in an alert email: signed, expiring, GET is safe."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.core.signing import TimestampSigner

from crisisroom.choices import IncidentStatus
from crisisroom.models import Alert, Incident, OnCallEntry
from crisisroom.services.alerts import ACK_SALT
from crisisroom.services.incidents import incident_open
from monitoring.models import Brand

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def paged(bob):  # type: ignore[no-untyped-def]
    OnCallEntry.objects.create(user=bob)
    incident = incident_open(brand=Brand.objects.create(name="Acme", slug="acme"), title="Outage")
    [link] = re.findall(r"http://\S+/alerts/ack/\S+/", mail.outbox[0].body)
    return incident, link.split("127.0.0.1:8000", 1)[1]


def test_opening_the_link_asks_before_acknowledging(client, paged):
    incident, path = paged
    page = client.get(path)
    assert page.status_code == 200
    assert "Acknowledge this incident as bob?" in page.content.decode()
    assert Incident.objects.get(pk=incident.pk).status == IncidentStatus.OPEN


def test_one_tap_acknowledges_without_signing_in(client, paged):
    incident, path = paged
    client.get(path)  # the confirm page sets the CSRF cookie the form posts back
    page = client.post(path, {"csrfmiddlewaretoken": client.cookies["csrftoken"].value})
    assert page.status_code == 200
    assert "Acknowledged" in page.content.decode()
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.ACKNOWLEDGED
    event = incident.timeline.get(kind="acknowledged")
    assert event.actor.username == "bob"
    assert "link in the alert" in event.message
    # a second tap changes nothing
    client.post(path, {"csrfmiddlewaretoken": client.cookies["csrftoken"].value})
    assert incident.timeline.filter(kind="acknowledged").count() == 1


def test_an_expired_link_is_refused(client, paged, settings):
    incident, path = paged
    settings.ALERT_ACK_LINK_MAX_AGE_MINUTES = 0
    page = client.post(path)
    assert page.status_code == 410
    assert "expired" in page.content.decode()
    assert Incident.objects.get(pk=incident.pk).status == IncidentStatus.OPEN


def test_a_tampered_link_is_refused(client, paged):
    incident, path = paged
    token = path.rstrip("/").rsplit("/", 1)[1]
    alert_id, rest = token.split(":", 1)
    page = client.post(f"/alerts/ack/{int(alert_id) + 1}:{rest}/")
    assert page.status_code == 400
    assert client.get("/alerts/ack/nonsense/").status_code == 400
    assert Incident.objects.get(pk=incident.pk).status == IncidentStatus.OPEN


def test_a_link_signed_with_another_salt_is_refused(client, paged):
    incident, _path = paged
    alert = Alert.objects.get(incident=incident)
    forged = TimestampSigner(salt="something-else").sign(str(alert.pk))
    assert client.post(f"/alerts/ack/{forged}/").status_code == 400
    assert TimestampSigner(salt=ACK_SALT).unsign(
        TimestampSigner(salt=ACK_SALT).sign(str(alert.pk))
    ) == str(alert.pk)


def test_a_link_for_a_recipient_who_lost_their_role_is_refused(client, paged, bob):
    incident, path = paged
    bob.org_role = "viewer"
    bob.save()
    assert client.post(path).status_code == 403
    assert Incident.objects.get(pk=incident.pk).status == IncidentStatus.OPEN


def test_the_link_expires_after_the_configured_time(paged, settings, monkeypatch):
    from crisisroom.services.alerts import AckLinkError, alert_from_ack_token

    _incident, path = paged
    token = path.rstrip("/").rsplit("/", 1)[1]
    settings.ALERT_ACK_LINK_MAX_AGE_MINUTES = 60
    assert alert_from_ack_token(token=token)
    later = datetime.now(UTC) + timedelta(minutes=61)
    monkeypatch.setattr("django.core.signing.time.time", lambda: later.timestamp())
    with pytest.raises(AckLinkError) as refused:
        alert_from_ack_token(token=token)
    assert refused.value.expired
