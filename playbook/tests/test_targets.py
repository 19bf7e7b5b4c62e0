"""Response targets: each rule from states (met / missed / pending / does not apply), the
timeline's once-only outcome entries, the admins' page, the API and the review."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from crisisroom.choices import TimelineKind
from crisisroom.models import TimelineEvent
from crisisroom.services.incidents import incident_acknowledge
from playbook import exports, targets
from playbook.models import ResponseTarget
from playbook.services import publishing, statements
from playbook.targets import MET, MISSED, NOT_APPLICABLE, PENDING, Facts, evaluate

T0 = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)


def _target(kind: str, minutes: int) -> ResponseTarget:
    return ResponseTarget(
        response_level="statement",
        kind=kind,
        minutes=minutes,
        label_en=kind,
        label_zh_hant=kind,
        action_en=f"do {kind} within {{n}} min",
        action_zh_hant=kind,
    )


def _one(kind: str, minutes: int, facts: Facts, at_minute: float) -> targets.TargetRow:
    (row,) = evaluate([_target(kind, minutes)], facts, T0 + timedelta(minutes=at_minute))
    return row


def _m(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


# --- acknowledge within 10 min ---------------------------------------------------------------


def test_acknowledging_is_pending_until_due_with_the_time_left():
    row = _one("acknowledge", 10, Facts(opened_at=T0), 4)
    assert (row.state, row.met, row.due, row.by) == (PENDING, None, _m(10), 6 * 60)
    assert row.timer_due == _m(10)


def test_acknowledging_in_time_is_met_by_how_much_early():
    row = _one("acknowledge", 10, Facts(opened_at=T0, acknowledged_at=_m(3)), 20)
    assert (row.state, row.met, row.done_at, row.by) == (MET, True, _m(3), 7 * 60)
    assert row.timer_due is None
    assert row.outcomes == [("acknowledge", MET, _m(10), 7 * 60)]


def test_acknowledging_late_or_not_at_all_is_missed_by_how_much_late():
    late = _one("acknowledge", 10, Facts(opened_at=T0, acknowledged_at=_m(14)), 20)
    assert (late.state, late.met, late.by) == (MISSED, False, 4 * 60)
    never = _one("acknowledge", 10, Facts(opened_at=T0), 25)
    assert (never.state, never.done_at, never.by) == (MISSED, None, 15 * 60)
    assert never.timer_due == _m(10)  # the war room's timer keeps counting, in red


# --- holding statement within 30 min --------------------------------------------------------


def test_the_holding_statement_is_pending_met_or_missed():
    assert _one("holding_statement", 30, Facts(opened_at=T0), 29).state == PENDING
    met = _one("holding_statement", 30, Facts(opened_at=T0, published=((_m(25), "en"),)), 40)
    assert (met.state, met.by) == (MET, 5 * 60)
    missed = _one("holding_statement", 30, Facts(opened_at=T0, published=((_m(42), "en"),)), 50)
    assert (missed.state, missed.by, missed.done_at) == (MISSED, 12 * 60, _m(42))


def test_a_target_an_incident_closed_before_its_due_does_not_apply():
    row = _one("holding_statement", 30, Facts(opened_at=T0, closed_at=_m(8)), 60)
    assert (row.state, row.met, row.outcomes) == (NOT_APPLICABLE, None, [])


# --- the zh-Hant statement within 30 min of the English one ------------------------------------


def test_the_zh_hant_statement_waits_for_the_english_one():
    row = _one("zh_hant_statement", 30, Facts(opened_at=T0), 50)
    assert (row.state, row.due) == (PENDING, None)
    closed = _one("zh_hant_statement", 30, Facts(opened_at=T0, closed_at=_m(60)), 70)
    assert closed.state == NOT_APPLICABLE


def test_the_zh_hant_statement_is_counted_from_the_english_one():
    english = ((_m(20), "en"),)
    pending = _one("zh_hant_statement", 30, Facts(opened_at=T0, published=english), 40)
    assert (pending.state, pending.due, pending.by) == (PENDING, _m(50), 10 * 60)
    met = _one(
        "zh_hant_statement",
        30,
        Facts(opened_at=T0, published=(*english, (_m(35), "zh-hant"))),
        60,
    )
    assert (met.state, met.by) == (MET, 15 * 60)
    missed = _one("zh_hant_statement", 30, Facts(opened_at=T0, published=english), 65)
    assert (missed.state, missed.by) == (MISSED, 15 * 60)


# --- an update every 60 min ----------------------------------------------------------------


def test_updates_count_from_the_first_statement_and_each_late_interval_is_a_miss():
    assert _one("updates", 60, Facts(opened_at=T0), 30).state == PENDING
    on_time = Facts(opened_at=T0, published=((_m(20), "en"), (_m(70), "en")))
    row = _one("updates", 60, on_time, 100)
    assert (row.state, row.due) == (PENDING, _m(130))
    late = Facts(opened_at=T0, published=((_m(20), "en"), (_m(95), "en")))
    row = _one("updates", 60, late, 120)
    assert (row.state, row.met, row.missed_count, row.by) == (MISSED, False, 1, 15 * 60)
    assert row.timer_due == _m(155)  # the next interval still counts down
    assert row.outcomes == [(f"updates:{int(_m(80).timestamp())}", MISSED, _m(80), 15 * 60)]


def test_updates_are_met_when_the_incident_closes_with_every_interval_kept():
    facts = Facts(opened_at=T0, published=((_m(20), "en"), (_m(70), "en")), closed_at=_m(100))
    row = _one("updates", 60, facts, 200)
    assert (row.state, row.met, row.by) == (MET, True, 10 * 60)
    assert row.outcomes == [("updates", MET, None, 10 * 60)]


def test_the_incidents_own_cadence_overrides_the_updates_target():
    facts = Facts(opened_at=T0, published=((_m(20), "en"),), update_every_minutes=30)
    assert _one("updates", 60, facts, 55).state == MISSED


def test_a_drill_at_120x_runs_its_targets_120_times_faster_and_reports_scenario_time():
    facts = Facts(opened_at=T0, acknowledged_at=T0 + timedelta(seconds=3), speed=120)
    row = _one("acknowledge", 10, facts, 1)
    assert row.due == T0 + timedelta(seconds=5)
    assert (row.state, row.by) == (MET, 2 * 120)  # 2 real seconds early: 4 scenario minutes
    late = _one("acknowledge", 10, Facts(opened_at=T0, speed=120), 0.25)
    assert (late.state, late.by) == (MISSED, 10 * 120)


# --- on an incident: the timeline, the page, the API, the review ------------------------------


@pytest.fixture
def incident(cast):  # type: ignore[no-untyped-def]
    return cast.incident


def _publish(cast, body: str):  # type: ignore[no-untyped-def]
    statement = statements.statement_create(incident=cast.incident, by=cast["pr_lead"], body=body)
    statements.statement_submit(statement=statement, by=cast["pr_lead"])
    statements.statement_approve(statement=statement, by=cast["legal_counsel"])
    statements.statement_approve(statement=statement, by=cast["executive_lead"])
    publishing.statement_publish(
        statement=statement, by=cast["social_media_manager"], manual_url="https://example.com/s"
    )
    return statement


def test_outcomes_go_on_the_timeline_once_each(cast):
    incident = cast.incident
    type(incident).objects.filter(pk=incident.pk).update(
        opened_at=timezone.now() - timedelta(minutes=15)
    )
    incident.refresh_from_db()
    incident_acknowledge(incident=incident, user=cast["incident_lead"])
    first = targets.targets_record(incident_id=incident.pk)
    again = targets.targets_record(incident_id=incident.pk)
    assert again == []
    entries = TimelineEvent.objects.filter(incident=incident, kind=TimelineKind.TARGET)
    assert [e.data["key"] for e in entries] == [e.data["key"] for e in first] == ["acknowledge"]
    (entry,) = entries
    assert entry.data["state"] == MISSED
    assert entry.message.startswith("Target missed: Acknowledge the alert (within 10 min), late by")
    # The periodic sweep finds nothing new either.
    assert targets.targets_record_all() == 0


def test_publishing_a_statement_records_the_holding_statement_as_met(
    cast, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _publish(cast, "We are sorry: the beans were burnt. Refunds start today.")
    entry = TimelineEvent.objects.get(incident=cast.incident, kind=TimelineKind.TARGET)
    assert entry.data["key"] == "holding_statement"
    assert entry.message.startswith("Target met: Publish a holding statement (within 30 min)")


def test_the_zh_hant_statement_is_told_from_the_english_one_by_its_text(cast):
    _publish(cast, "We are sorry: the beans were burnt. Refunds start today.")
    _publish(cast, "我們很抱歉：咖啡豆烘焙過度。今天開始退款。")
    rows = {r.kind: r for r in targets.incident_targets(cast.incident)}
    assert rows["zh_hant_statement"].state == MET
    assert rows["holding_statement"].state == MET
    assert rows["updates"].state == PENDING


def test_the_incident_api_answer_carries_the_targets(cast, api_for):
    answer = api_for(cast["incident_lead"]).get(f"/incidents/{cast.incident.pk}")
    assert answer.status_code == 200
    rows = {r["target"]: r for r in answer.json()["targets"]}
    assert set(rows) == {"acknowledge", "holding_statement", "zh_hant_statement", "updates"}
    assert rows["acknowledge"]["state"] == "pending" and rows["acknowledge"]["minutes"] == 10
    assert rows["acknowledge"]["due"] is not None


def test_the_review_and_its_markdown_carry_the_target_table(cast, client):
    client.force_login(cast["incident_lead"])
    page = client.get(f"/incidents/{cast.incident.pk}/playbook/review/").content.decode()
    assert 'data-target="acknowledge"' in page and "Response targets" in page
    markdown = exports.review_markdown(cast.incident)
    assert "## Response targets" in markdown
    assert "| Acknowledge the alert | 10 min |" in markdown


def test_admins_edit_the_targets_and_bad_input_saves_nothing(cast, client):
    target = ResponseTarget.objects.get(response_level="statement", kind="acknowledge")
    page = client.get("/settings/targets/")
    assert page.status_code == 302  # to the login
    client.force_login(cast["incident_lead"])
    assert client.get("/settings/targets/").status_code == 403
    client.force_login(cast["admin"])
    page = client.get("/settings/targets/")
    assert page.status_code == 200 and "確認警報" in page.content.decode()
    data = {}
    for row in ResponseTarget.objects.all():
        for name in ("minutes", "label_en", "label_zh_hant", "action_en", "action_zh_hant"):
            data[f"t{row.pk}-{name}"] = getattr(row, name)
        data[f"t{row.pk}-active"] = "on"
    data[f"t{target.pk}-minutes"] = "5"
    other = ResponseTarget.objects.get(response_level="statement", kind="updates")
    data[f"t{other.pk}-minutes"] = "0"
    bad = client.post("/settings/targets/", data)
    assert bad.status_code == 400
    assert "Between 1 and 1440 minutes." in bad.content.decode()
    target.refresh_from_db()
    assert target.minutes == 10  # nothing saved
    data[f"t{other.pk}-minutes"] = "60"
    assert client.post("/settings/targets/", data).status_code == 302
    target.refresh_from_db()
    assert target.minutes == 5
    rows = {r.kind: r for r in targets.incident_targets(cast.incident)}
    assert rows["acknowledge"].minutes == 5
