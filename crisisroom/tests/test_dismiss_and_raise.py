"""Dismiss as a false alarm (kept as labelled feedback) and the manual raise."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest
from django.core.management import call_command

from crisisroom.choices import IncidentStatus
from crisisroom.models import Incident
from crisisroom.services.incidents import incident_acknowledge
from monitoring.models import Brand, Signal

pytestmark = pytest.mark.django_db


def incident_with_signal(slug="acme"):  # type: ignore[no-untyped-def]
    brand = Brand.objects.create(name=slug.title(), slug=slug)
    incident = Incident.objects.create(brand=brand, title="Spike", started_at=datetime.now(UTC))
    Signal.objects.create(
        brand=brand,
        incident=incident,
        kind="volume",
        at=datetime(2026, 3, 1, 10, tzinfo=UTC),
        baseline=10,
        threshold=40,
        observed=90,
        magnitude=2.7,
    )
    return incident


def test_a_responder_dismisses_a_false_alarm_with_a_reason(client, bob):
    incident = incident_with_signal()
    client.force_login(bob)
    response = client.post(f"/incidents/{incident.pk}/dismiss/", {"reason": "A TV ad ran"})
    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.DISMISSED
    assert (incident.dismissed_by, incident.dismiss_reason) == (bob, "A TV ad ran")
    assert "A TV ad ran" in incident.timeline.get(kind="status").message


def test_a_viewer_cannot_dismiss(client, charlie):
    incident = incident_with_signal()
    client.force_login(charlie)
    assert client.post(f"/incidents/{incident.pk}/dismiss/").status_code == 403
    assert Incident.objects.get(pk=incident.pk).status == IncidentStatus.OPEN


def test_the_api_dismisses_and_refuses_a_second_dismissal(api_for, bob, charlie):
    incident = incident_with_signal()
    assert api_for(charlie).post(f"/incidents/{incident.pk}/dismiss", {}).status_code == 403
    api = api_for(bob)
    answer = api.post(f"/incidents/{incident.pk}/dismiss", {"reason": "duplicate"})
    assert answer.status_code == 200
    assert answer.json()["status"] == "dismissed"
    assert answer.json()["dismiss_reason"] == "duplicate"
    again = api.post(f"/incidents/{incident.pk}/dismiss", {})
    assert again.status_code == 409
    assert "dismissed" in again.json()["error"].lower()
    assert (
        api.post(
            f"/incidents/{incident.pk}/dismiss",
            [1],
        ).status_code
        == 400
    )


def test_the_api_acknowledges(api_for, bob, charlie):
    incident = incident_with_signal()
    assert api_for(charlie).post(f"/incidents/{incident.pk}/acknowledge", {}).status_code == 403
    answer = api_for(bob).post(f"/incidents/{incident.pk}/acknowledge", {})
    assert answer.status_code == 200 and answer.json()["status"] == "acknowledged"


def test_dismissed_signals_are_exported_as_false_alarms(bob):
    from crisisroom.services.incidents import incident_dismiss

    dismissed = incident_with_signal("acme")
    worked = incident_with_signal("globex")
    incident_dismiss(incident=dismissed, user=bob, reason="TV ad")
    incident_acknowledge(incident=worked, user=bob)
    out = io.StringIO()
    call_command("export_detector_feedback", stdout=out, stderr=io.StringIO())
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert [(r["brand"], r["label"], r["reason"]) for r in rows] == [
        ("acme", "false_alarm", "TV ad"),
        ("globex", "confirmed", ""),
    ]
    assert rows[0]["baseline"] == "10.0" and rows[0]["observed"] == "90.0"


def test_the_raise_form_opens_an_incident(client, bob):
    Brand.objects.create(name="Acme", slug="acme")
    client.force_login(bob)
    assert client.get("/incidents/new/").status_code == 200
    response = client.post(
        "/incidents/new/", {"title": "CEO video leak", "brand": "acme", "severity": "high"}
    )
    incident = Incident.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/incidents/{incident.pk}/"
    assert (incident.title, incident.brand.slug, incident.severity, incident.opened_by) == (
        "CEO video leak",
        "acme",
        "high",
        bob,
    )


def test_the_raise_form_refuses_viewers_and_bad_input(client, bob, charlie):
    client.force_login(charlie)
    assert client.get("/incidents/new/").status_code == 403
    client.force_login(bob)
    page = client.post("/incidents/new/", {"title": "", "brand": "acme", "severity": "huge"})
    assert page.status_code == 400
    assert not Incident.objects.exists()


def test_the_labelled_history_exports_as_a_nab_data_set(bob, tmp_path):
    import json
    from datetime import timedelta

    from crisisroom.services.incidents import incident_dismiss
    from monitoring.detection.evaluation import evaluate_dir
    from monitoring.models import Rollup

    dismissed = incident_with_signal("acme")
    worked = incident_with_signal("globex")
    start = datetime(2026, 2, 28, tzinfo=UTC)
    for brand in (dismissed.brand, worked.brand):
        Rollup.objects.bulk_create(
            Rollup(brand=brand, bucket=start + i * timedelta(minutes=5), platform="x", count=7)
            for i in range(2 * 288)
        )
    incident_dismiss(incident=dismissed, user=bob, reason="TV ad")
    incident_acknowledge(incident=worked, user=bob)
    call_command(
        "export_detector_feedback",
        str(tmp_path / "f.csv"),
        nab=str(tmp_path / "nab"),
        stderr=io.StringIO(),
    )
    windows = json.loads((tmp_path / "nab" / "windows.json").read_text())
    # the false alarm has no window; the confirmed one is centred on its signal (10:00)
    assert windows["acme.csv"] == []
    assert windows["globex.csv"] == [["2026-03-01 07:40:00", "2026-03-01 12:20:00"]]
    rows = (tmp_path / "nab" / "globex.csv").read_text().splitlines()
    assert rows[:2] == ["timestamp,value", "2026-02-28 00:00:00,7"] and len(rows) == 577
    # and the production detector runs over it like over NAB
    results = evaluate_dir(str(tmp_path / "nab"), str(tmp_path / "out"))
    assert [r["rows"] for r in results] == [576, 576]
