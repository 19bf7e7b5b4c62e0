"""The post-crisis review and a drill's after-action report take each shared figure from
one function (playbook/metrics.py), from the incident's real milestones."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from crisisroom.models import Drill
from crisisroom.services.lifecycle import incident_resolve
from playbook import drill_report, exports, metrics, selectors


def test_time_to_resolve_comes_from_the_resolve_milestone(cast):
    incident = cast.incident
    assert selectors.review_metrics(incident)["time_to_resolve"] is None
    incident.opened_at = timezone.now() - timedelta(minutes=95)
    incident.save(update_fields=["opened_at"])
    incident_resolve(incident=incident, user=cast["incident_lead"], summary="Refunds out")
    incident.refresh_from_db()
    figure = selectors.review_metrics(incident)["time_to_resolve"]
    assert 95 * 60 <= figure < 96 * 60
    assert ("Time to resolve", "1 h 35 min") in exports.metrics_rows(incident)


def test_both_reports_use_the_same_functions(cast, monkeypatch, brand):
    drill = Drill.objects.create(scenario="food-safety", brand=brand, incident=cast.incident)
    monkeypatch.setattr(metrics, "time_to_resolve", lambda incident: 4242)
    monkeypatch.setattr(metrics, "time_to_acknowledge", lambda incident: 1212)
    monkeypatch.setattr(metrics, "time_to_first_response", lambda incident: 3434)
    monkeypatch.setattr(metrics, "checklist_progress", lambda incident: (7, 9))
    review = selectors.review_metrics(cast.incident)
    report = drill_report.drill_after_action(drill)
    assert review["time_to_resolve"] == report["time_to_resolve"] == 4242
    assert review["time_to_acknowledge"] == report["time_to_acknowledge"] == 1212
    assert review["time_to_first_response"] == report["time_to_first_statement"] == 3434
    assert review["checklist"] == (report["checklist_done"], report["checklist_total"]) == (7, 9)
