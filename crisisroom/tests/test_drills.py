from __future__ import annotations

import json
import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from django.core import mail
from django.utils import timezone

from crisisroom import drills
from crisisroom.models import Drill, Incident, OnCallEntry
from monitoring.models import Mention

MINI = Path(__file__).parent / "data" / "mini-drill.json"
SCENARIOS = sorted(p for p in drills.SCENARIO_DIR.glob("*.json") if p.name != "schema.json")


@pytest.fixture
def mini(tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    shutil.copy(drills.SCENARIO_DIR / "schema.json", tmp_path / "schema.json")
    shutil.copy(MINI, tmp_path / "mini-drill.json")
    monkeypatch.setattr(drills, "SCENARIO_DIR", tmp_path)
    drills._load_validated.cache_clear()
    drills._plan_for.cache_clear()
    yield tmp_path
    drills._load_validated.cache_clear()
    drills._plan_for.cache_clear()


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_each_shipped_scenario_validates_and_plays_a_storm(path):
    data = drills.scenario_validate(json.loads(path.read_text()))
    assert data["id"] == path.stem
    plan = drills.scenario_plan(data, run="t")
    assert plan.baseline and all(e.offset < 0 for e in plan.baseline)
    assert all(0 <= e.offset <= data["duration_minutes"] * 60 for e in plan.live)
    assert sum(e.curveball is not None for e in plan.live) == len(data["curveballs"]) >= 2
    langs = {e.item["lang"] for e in plan.live}
    assert langs == {"en", "zh-hant"}
    terms = [t.casefold() for t in data["brand"]["terms"]] + [data["brand"]["name"].casefold()]
    unmatched = [
        e.item["text"]
        for e in plan.live + plan.baseline
        if not any(t in e.item["text"].casefold() for t in terms)
    ]
    assert unmatched == []


def test_there_are_six_scenarios_at_least():
    assert {
        "policy-backlash",
        "service-outage",
        "ai-data-consent",
        "employee-misconduct",
        "food-safety",
        "insensitive-post",
    } <= {p.stem for p in SCENARIOS}


def test_a_scenario_with_an_unknown_author_or_a_late_phase_is_refused():
    data = json.loads(MINI.read_text())
    data["posts"][0]["author"] = "@ghost"
    with pytest.raises(drills.ScenarioError, match="posts/0: author '@ghost'"):
        drills.scenario_validate(data)
    data = json.loads(MINI.read_text())
    data["phases"][0]["end_minute"] = 99
    with pytest.raises(drills.ScenarioError, match="phases/0"):
        drills.scenario_validate(data)
    data = json.loads(MINI.read_text())
    del data["curveballs"]
    with pytest.raises(drills.ScenarioError, match="curveballs"):
        drills.scenario_validate(data)


def test_the_plan_is_the_same_for_a_seed_and_differs_between_runs():
    data = json.loads(MINI.read_text())
    one, two = drills.scenario_plan(data, run="a"), drills.scenario_plan(data, run="a")
    assert [e.item for e in one.live] == [e.item for e in two.live]
    other = drills.scenario_plan(data, run="b")
    assert {e.item["external_id"] for e in one.live}.isdisjoint(
        {e.item["external_id"] for e in other.live}
    )


@pytest.mark.django_db
def test_a_drill_backfills_then_delivers_each_event_exactly_once(
    mini, bob, django_capture_on_commit_callbacks
):
    drill = drills.drill_start(scenario_id="mini-drill", speed=60, user=bob)
    baseline = Mention.objects.filter(brand=drill.brand).count()
    assert baseline > 0
    assert not Mention.objects.filter(brand=drill.brand, published_at__gt=drill.started_at).exists()
    later = drill.started_at + timedelta(seconds=10)  # ×60: scenario minute 10
    first = drills.drill_tick(drill_id=drill.pk, now=later)
    assert first > 20
    assert (
        drills.drill_tick(drill_id=drill.pk, now=later) == 0
    )  # the same moment again delivers nothing
    drill.refresh_from_db()
    assert drill.cursor == pytest.approx(600)
    assert drills.drill_tick(drill_id=drill.pk, now=drill.started_at + timedelta(seconds=31)) > 0
    drill.refresh_from_db()
    assert drill.status == Drill.Status.FINISHED
    assert drill.delivered == Mention.objects.filter(brand=drill.brand).count() - baseline
    with pytest.raises(drills.ScenarioError):
        drills.drill_start(scenario_id="nope", speed=10)


def _age(drill: Drill, seconds: float) -> None:
    """Pretend the drill started ``seconds`` ago (detection reads the real clock)."""
    Drill.objects.filter(pk=drill.pk).update(started_at=timezone.now() - timedelta(seconds=seconds))


@pytest.mark.django_db(transaction=True)
def test_a_drill_opens_a_drill_incident_pages_on_call_and_notes_curveballs(mini, bob):
    OnCallEntry.objects.create(user=bob)
    drill = drills.drill_start(scenario_id="mini-drill", speed=60, user=bob)
    _age(drill, 8)
    drills.drill_tick(drill_id=drill.pk)
    incident = Incident.objects.get(brand=drill.brand)
    assert incident.is_drill
    assert incident.title.startswith("[Drill]")
    assert [m.to for m in mail.outbox] == [["bob@example.com"]]
    _age(drill, 13)
    drills.drill_tick(drill_id=drill.pk)
    notes = list(incident.timeline.filter(kind="curveball").values_list("message", flat=True))
    assert notes == [
        "Curveball: A reporter asks when points come back",
        "Curveball: A memo says the change saves millions",
    ]
    # Stopping it: later ticks deliver nothing.
    drills.drill_stop(drill=drill, user=bob)
    _age(drill, 25)
    assert drills.drill_tick(drill_id=drill.pk) == 0


@pytest.mark.django_db
def test_a_viewer_cannot_start_a_drill(mini, charlie):
    from foundation.permissions import PermissionDenied

    with pytest.raises(PermissionDenied):
        drills.drill_start(scenario_id="mini-drill", speed=10, user=charlie)


@pytest.mark.django_db
def test_the_drills_page_starts_and_stops_a_drill(mini, client, bob, charlie):
    client.force_login(charlie)
    page = client.get("/drills/").content.decode()
    assert "Mini drill" in page and "Start a drill" not in page
    client.force_login(bob)
    response = client.post("/drills/", {"scenario": "mini-drill", "speed": "10.0"})
    assert response.status_code == 302
    drill = Drill.objects.get()
    assert drill.status == "running" and drill.speed == 10
    again = client.post("/drills/", {"scenario": "mini-drill", "speed": "10.0"})
    assert "already running" in again.content.decode()
    client.post(f"/drills/{drill.pk}/stop/")
    drill.refresh_from_db()
    assert drill.status == "stopped"


def test_a_scenario_is_validated_once_until_its_file_changes(mini, monkeypatch):
    calls = []
    validate = drills.jsonschema.validate
    monkeypatch.setattr(
        drills.jsonschema, "validate", lambda *a, **k: calls.append(1) or validate(*a, **k)
    )
    first = drills.scenario_load("mini-drill")
    assert drills.scenario_load("mini-drill") is first
    drills.scenarios_list()
    assert len(calls) == 1
    path = mini / "mini-drill.json"
    data = json.loads(path.read_text())
    data["duration_minutes"] += 1
    path.write_text(json.dumps(data))
    assert drills.scenario_load("mini-drill")["duration_minutes"] == first["duration_minutes"] + 1
    assert len(calls) == 2


@pytest.mark.django_db(transaction=True)
def test_a_drill_incident_belongs_to_the_drill_whose_signals_opened_it(mini, bob):
    quiet = drills.drill_start(scenario_id="mini-drill", speed=60, user=bob)
    drills.drill_stop(drill=quiet)  # stopped before anything fired: no incident
    loud = drills.drill_start(scenario_id="mini-drill", speed=60, user=bob)
    _age(loud, 8)
    drills.drill_tick(drill_id=loud.pk)
    incident = Incident.objects.get(brand=loud.brand, is_drill=True)
    quiet.refresh_from_db()
    loud.refresh_from_db()
    assert drills.drill_incident(quiet) is None
    assert drills.drill_incident(loud) == incident
