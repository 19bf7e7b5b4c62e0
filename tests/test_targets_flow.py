"""A drill at ×120 with the team's actions scripted through the API gives the expected
target table, timeline entries and after-action grades; a second run of the scenario is
compared with the first; a surprise drill starts itself inside its window.

Time: at ×120 a scenario minute is half a real second, and one slow API call on a busy
machine is a minute or two. Instead of sleeping, the script moves the drill's clock:
``clock_to`` shifts every recorded time of the drill so that now is a given scenario
minute (the same trick as crisisroom/tests/test_drills.py's ``_age``), and ``pin`` puts
the action just done through the API at exactly that minute."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db.models import F
from django.utils import timezone

from crisisroom import drills
from crisisroom.choices import TimelineKind
from crisisroom.models import Drill, Incident, SurpriseDrill, TimelineEvent
from crisisroom.services.users import user_add
from crisisroom.tasks import drills_tick_task
from crisisroom.tests.test_drills import _age, mini  # noqa: F401 - the scenario fixture
from playbook import drill_report, targets
from playbook.models import Approval, Statement
from playbook.seed import seed_playbook_now
from playbook.services import assessment
from tests.conftest import _wait_until

pytestmark = pytest.mark.django_db(transaction=True)

SPEED = 120
TEAM = [
    ("lena", "incident_lead"),
    ("pam", "pr_lead"),
    ("bob", "legal_counsel"),
    ("eve", "executive_lead"),
    ("sam", "social_media_manager"),
]


def _shift(drill: Drill, incident: Incident, delta: timedelta) -> None:
    """Move every time the drill recorded ``delta`` back."""
    Drill.objects.filter(pk=drill.pk).update(started_at=F("started_at") - delta)
    Incident.objects.filter(pk=incident.pk).update(opened_at=F("opened_at") - delta)
    Incident.objects.filter(pk=incident.pk, acknowledged_at__isnull=False).update(
        acknowledged_at=F("acknowledged_at") - delta
    )
    Statement.objects.filter(incident=incident, published_at__isnull=False).update(
        published_at=F("published_at") - delta
    )
    TimelineEvent.objects.filter(incident=incident).update(at=F("at") - delta)


def clock_to(drill: Drill, incident: Incident, minute: float) -> None:
    """Make now scenario ``minute`` since the incident opened (at ×120 a slow machine
    would otherwise add minutes between two calls)."""
    incident.refresh_from_db(fields=["opened_at"])
    gone = timezone.now() - incident.opened_at
    _shift(drill, incident, timedelta(minutes=minute) / SPEED - gone)


def pin(incident: Incident, minute: float, *, acknowledged: bool = False) -> None:
    """The action just done happened at exactly scenario ``minute``."""
    incident.refresh_from_db(fields=["opened_at"])
    at = incident.opened_at + timedelta(minutes=minute) / SPEED
    if acknowledged:
        Incident.objects.filter(pk=incident.pk).update(acknowledged_at=at)
        return
    last = Statement.objects.filter(incident=incident, published_at__isnull=False).latest(
        "published_at"
    )
    Statement.objects.filter(pk=last.pk).update(published_at=at)


def _team(api_for):  # type: ignore[no-untyped-def]
    seed_playbook_now()
    people = {}
    for username, role in TEAM:
        people[role], _ = user_add(
            username=username,
            org_role="admin" if role == "incident_lead" else "responder",
            crisis_roles=[role],
            email=f"{username}@example.com",
            password=None,
        )
    return people, {role: api_for(user) for role, user in people.items()}


def _start(incident_lead):  # type: ignore[no-untyped-def]
    drill = drills.drill_start(scenario_id="mini-drill", speed=SPEED, user=incident_lead)
    _age(drill, 13 * 60 / SPEED)  # the storm of minute 2 has been going on for a while
    drills.drill_tick(drill_id=drill.pk)
    drills.drill_tick(drill_id=drill.pk)

    def opened() -> bool:  # with a live worker, detection runs there
        drill.refresh_from_db()
        return drill.incident is not None

    _wait_until(opened, 60, "detection to open the drill's incident")
    return drill, drill.incident


def _publish(api, body: str) -> None:  # type: ignore[no-untyped-def]
    """Draft, submit, two approvals and publish: each through /api/v1 as its role."""
    incident_id = api["incident_id"]
    r = api["pr_lead"].post(f"/incidents/{incident_id}/statements", {"body": body})
    assert r.status_code == 201, r.content
    sid = r.json()["id"]
    assert api["pr_lead"].post(f"/statements/{sid}/submit", {}).status_code == 200
    assert api["legal_counsel"].post(f"/statements/{sid}/approve", {}).status_code == 200
    assert api["executive_lead"].post(f"/statements/{sid}/approve", {}).status_code == 200
    r = api["social_media_manager"].post(f"/statements/{sid}/publish", {})
    assert r.status_code == 200, r.content
    assert r.json()["state"] == "published"


def _table(api) -> dict[str, dict]:  # type: ignore[no-untyped-def]
    r = api["incident_lead"].get(f"/incidents/{api['incident_id']}")
    assert r.status_code == 200
    return {row["target"]: row for row in r.json()["targets"]}


def _assemble(api, incident: Incident) -> None:  # type: ignore[no-untyped-def]
    api["incident_id"] = incident.pk
    for username, role in TEAM:
        r = api["incident_lead"].post(
            f"/incidents/{incident.pk}/members", {"username": username, "crisis_role": role}
        )
        assert r.status_code == 201, r.content


def _close(value: int | None, minutes: float) -> bool:
    return value is not None and abs(value - minutes * 60) <= 1  # rounding only


def test_a_drill_at_120x_with_a_scripted_team_gives_the_expected_target_table(
    mini,  # noqa: F811
    api_for,
    client,
):
    people, api = _team(api_for)
    drill, incident = _start(people["incident_lead"])
    _assemble(api, incident)
    assert _table(api)["acknowledge"]["state"] == "pending"

    clock_to(drill, incident, 6)  # minute 6: acknowledged (target: 10)
    assert api["incident_lead"].post(f"/incidents/{incident.pk}/acknowledge", {}).status_code == 200
    pin(incident, 6, acknowledged=True)
    # The planted claim caught and corrected while the storm is on (minute 6).
    assessment.claim_record(
        incident=incident,
        by=people["pr_lead"],
        claim="Mini Tea is going bankrupt!",
        status="false",
        correction="Mini Tea is not closing.",
    )
    clock_to(drill, incident, 42)  # minute 42: the holding statement (target: 30)
    _publish(api, "We are sorry: your points were wiped by our mistake. They are back today.")
    pin(incident, 42)
    clock_to(drill, incident, 60)  # minute 60: the zh-Hant one, 18 min after (target: 30)
    _publish(api, "我們很抱歉：點數因我們的錯誤被清除，今天全部恢復。")
    pin(incident, 60)
    clock_to(drill, incident, 140)  # minute 140: the next update, 80 min after (target: 60)
    assert _table(api)["updates"]["state"] == "missed"  # red before it goes out
    _publish(api, "Update: every account has its points back. Thank you for your patience.")
    pin(incident, 140)

    table = _table(api)
    assert {k: r["state"] for k, r in table.items()} == {
        "acknowledge": "met",
        "holding_statement": "missed",
        "zh_hant_statement": "met",
        "updates": "missed",
    }
    assert _close(table["acknowledge"]["by"], 4)
    assert _close(table["holding_statement"]["by"], 12)
    assert _close(table["zh_hant_statement"]["by"], 12)
    assert _close(table["updates"]["by"], 20) and table["updates"]["missed_count"] == 1

    # On the timeline once each, however often the sweep runs.
    targets.targets_record_all()
    targets.targets_record_all()
    entries = TimelineEvent.objects.filter(incident=incident, kind=TimelineKind.TARGET)
    keys = sorted(e.data["key"].split(":")[0] for e in entries)
    assert keys == ["acknowledge", "holding_statement", "updates", "zh_hant_statement"]
    assert {e.data["target"]: e.data["state"] for e in entries} == {
        "acknowledge": "met",
        "holding_statement": "missed",
        "zh_hant_statement": "met",
        "updates": "missed",
    }

    drill = Drill.objects.get(pk=drill.pk)
    report = drill_report.drill_after_action(drill)
    grade = report["grade"]
    assert (grade["met"], grade["decided"]) == (2, 4), [
        (r.kind, r.state, r.by) for r in grade["targets"]
    ]
    (claim,) = grade["claims"]
    assert claim.found is not None and claim.in_time
    assert claim.outcome == "caught and corrected in time"
    # The worst miss for its target first: 12 of 30 min, then 20 of 60.
    assert len(grade["changes"]) == 2
    assert grade["changes"][0].startswith("Keep a pre-approved holding statement ready")
    assert grade["changes"][1].startswith("Name who writes the next update")
    assert grade["comparison"]["previous"] == [] and grade["chart"] == ""
    markdown = drill_report.report_markdown(drill)
    assert (
        "| Publish a holding statement | 30 min | missed by 12 min | no earlier result |"
        in markdown
    )

    # The second run of the scenario, faster on every target, is compared with the first.
    assert (
        api["incident_lead"]
        .post(f"/incidents/{incident.pk}/resolve", {"summary": "Points restored."})
        .status_code
        == 200
    )
    drills.drill_stop(drill=drill)
    second, incident2 = _start(people["incident_lead"])
    assert incident2.pk != incident.pk
    _assemble(api, incident2)
    clock_to(second, incident2, 2)
    assert (
        api["incident_lead"].post(f"/incidents/{incident2.pk}/acknowledge", {}).status_code == 200
    )
    pin(incident2, 2, acknowledged=True)
    clock_to(second, incident2, 20)
    _publish(api, "We are sorry: your points were wiped by our mistake. They are back today.")
    pin(incident2, 20)
    clock_to(second, incident2, 30)
    _publish(api, "我們很抱歉：點數因我們的錯誤被清除，今天全部恢復。")
    pin(incident2, 30)
    clock_to(second, incident2, 80)
    _publish(api, "Update: every account has its points back.")
    pin(incident2, 80)
    second = Drill.objects.get(pk=second.pk)
    grade = drill_report.drill_after_action(second)["grade"]
    assert grade["comparison"]["previous"] == [drill]
    verdicts = {e["row"].kind: e["verdict"] for e in grade["comparison"]["per_target"]}
    assert verdicts == {
        "acknowledge": "better",
        "holding_statement": "better",
        "zh_hant_statement": "better",
        "updates": "none",  # pending now (the interval runs on): nothing to compare yet
    }
    assert grade["changes"] == []
    assert grade["chart"].startswith("<svg") and "polyline" in grade["chart"]
    assert Approval.objects.filter(statement__incident=incident2).count() == 6

    # The report page shows the grades, the chart and the changes.
    client.force_login(people["incident_lead"])
    page = client.get(f"/drills/{second.pk}/report/").content.decode()
    assert "Graded against the response targets" in page and "<svg" in page
    assert page.count('class="verdict-better"') == 3


def test_a_surprise_drill_starts_at_its_seeded_moment_inside_the_window(mini, alice, client):  # noqa: F811
    start = timezone.now() - timedelta(minutes=30)
    end = timezone.now() + timedelta(minutes=30)
    moment = drills.surprise_start_at(window_start=start, window_end=end, seed=7)
    assert moment == drills.surprise_start_at(window_start=start, window_end=end, seed=7)
    assert start <= moment <= end
    others = {
        drills.surprise_start_at(window_start=start, window_end=end, seed=s) for s in range(5)
    }
    assert len(others) == 5  # random across seeds
    surprise = drills.surprise_drill_schedule(
        scenario_id="mini-drill", speed=60, window_start=start, window_end=end, user=alice, seed=7
    )
    assert start <= surprise.starts_at <= end
    # Nobody sees the moment on the drills page: only the window.
    client.force_login(alice)
    page = client.get("/drills/").content.decode()
    assert "mini-drill" in page and "some time between" in page
    local = timezone.localtime(surprise.starts_at)
    assert local.strftime("%H:%M:%S") not in page and surprise.starts_at.isoformat() not in page

    # Before its moment nothing starts; at it the drill tick starts it, once.
    drills.surprise_drills_start_due(now=surprise.starts_at - timedelta(seconds=1))
    assert not Drill.objects.exists()
    SurpriseDrill.objects.filter(pk=surprise.pk).update(starts_at=timezone.now())
    drills_tick_task()
    drills_tick_task()
    surprise.refresh_from_db()
    assert surprise.status == "started"
    assert Drill.objects.get().surprise == surprise
    assert surprise.drill.started_by == alice and surprise.drill.speed == 60


def test_a_surprise_drill_with_a_bad_window_is_a_400_that_saves_nothing(
    mini,  # noqa: F811
    alice,
    charlie,
    client,
):
    client.force_login(alice)
    bad = client.post(
        "/drills/surprise/",
        {
            "scenario": "mini-drill",
            "speed": "10.0",
            "not_before": "2030-01-02T10:00",
            "not_after": "2030-01-02T09:00",
        },
    )
    assert bad.status_code == 400
    assert "The window must end after it starts." in bad.content.decode()
    garbled = client.post("/drills/surprise/", {"scenario": "mini-drill", "not_before": "soon"})
    assert garbled.status_code == 400
    assert not SurpriseDrill.objects.exists()
    ok = client.post(
        "/drills/surprise/",
        {
            "scenario": "mini-drill",
            "speed": "10.0",
            "not_before": "2030-01-02T09:00",
            "not_after": "2030-01-02T10:00",
        },
    )
    assert ok.status_code == 302
    surprise = SurpriseDrill.objects.get()
    assert (
        datetime(2030, 1, 2, 0, tzinfo=UTC)
        <= surprise.starts_at
        <= datetime(2030, 1, 3, tzinfo=UTC)
    )
    client.force_login(charlie)  # a viewer
    assert client.post(f"/drills/surprise/{surprise.pk}/cancel/").status_code == 403
    client.force_login(alice)
    assert client.post(f"/drills/surprise/{surprise.pk}/cancel/").status_code == 302
    surprise.refresh_from_db()
    assert surprise.status == "cancelled"
