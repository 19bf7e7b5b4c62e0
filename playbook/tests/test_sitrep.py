"""Situation reports: the builder from states, delivery over real SMTP and a local
webhook receiver, at most once per reader per period (two workers, a crash), the
cadence stopping with the incident, and who may see and change the page."""

from __future__ import annotations

import threading
from datetime import timedelta
from email.message import Message

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone, translation

from crisisroom.choices import AlertStatus, IncidentStatus
from crisisroom.models import Incident
from monitoring.models import Mention, Rollup, Source, bucket_start
from playbook import sitrep as sitrep_module
from playbook.choices import ClaimStatus, StatementState
from playbook.models import MisinformationClaim, SitrepDelivery, SitrepPlan, SitrepRecipient
from playbook.services import sitrep as services
from playbook.sitrep import SitrepRow, SitrepSection, sitrep_build
from playbook.tests.conftest import drafted
from tests.conftest import smtp_server  # noqa: F401  (the real SMTP server fixture)
from tests.http_receiver import Receiver


def _parts(message: Message) -> dict[str, str]:
    return {
        part.get_content_type(): part.get_payload(decode=True).decode()
        for part in message.walk()
        if not part.is_multipart()
    }


def _sent() -> int:
    return SitrepDelivery.objects.filter(status=AlertStatus.SENT).count()


def _rollup(brand, at, count, negative, neutral, positive):  # type: ignore[no-untyped-def]
    Rollup.objects.create(
        brand=brand,
        bucket=bucket_start(at),
        platform="twitter",
        count=count,
        negative=negative,
        neutral=neutral,
        positive=positive,
    )


def _mention(brand, source, n, author, followers, at):  # type: ignore[no-untyped-def]
    Mention.objects.create(
        source=source,
        external_id=f"m{n}",
        brand=brand,
        platform="twitter",
        text=f"post {n}",
        author=author,
        author_followers=followers,
        published_at=at,
    )


@pytest.fixture
def smtp(settings, request):  # type: ignore[no-untyped-def]
    server = request.getfixturevalue("smtp_server")
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = server.host, server.port
    settings.EMAIL_TIMEOUT = 5
    return server


@pytest.fixture
def report_state(cast):  # type: ignore[no-untyped-def]
    """An incident an hour and a half in: louder and angrier than an hour ago, one
    statement out, one waiting for approval, a false claim uncorrected."""
    incident = cast.incident
    now = timezone.now()
    incident.started_at = now - timedelta(minutes=90)
    incident.opened_at = now - timedelta(minutes=90)
    incident.save(update_fields=["started_at", "opened_at"])
    brand = incident.brand
    _rollup(brand, now - timedelta(minutes=20), 120, 60, 30, 30)  # this hour: 50% negative
    _rollup(brand, now - timedelta(minutes=80), 40, 8, 24, 8)  # the hour before: 20%
    source = Source.objects.create(kind="api", key="twitter", platform="twitter")
    _mention(brand, source, 1, "old_friend", 900_000, now - timedelta(days=2))  # known before
    _mention(brand, source, 2, "old_friend", 900_000, now - timedelta(minutes=10))
    _mention(brand, source, 3, "big_news", 250_000, now - timedelta(minutes=12))
    _mention(brand, source, 4, "angry_fan", 1_200, now - timedelta(minutes=5))
    _mention(brand, source, 5, "angry_fan", 1_200, now - timedelta(minutes=4))
    _mention(brand, source, 6, "stale_voice", 5_000_000, now - timedelta(minutes=70))
    out = drafted(cast, body="We are sorry and refunding every order.")
    out.state, out.published_at = StatementState.PUBLISHED, now - timedelta(minutes=30)
    out.save(update_fields=["state", "published_at"])
    pending = drafted(cast, body="Update: refunds start today.")
    pending.state, pending.submitted_at = StatementState.SUBMITTED, now - timedelta(minutes=12)
    pending.save(update_fields=["state", "submitted_at"])
    MisinformationClaim.objects.create(
        incident=incident, claim="The beans are toxic", status=ClaimStatus.FALSE
    )
    MisinformationClaim.objects.create(
        incident=incident,
        claim="The factory closed",
        status=ClaimStatus.FALSE,
        correction="It is open.",
    )
    return cast, now, out, pending


def test_the_report_compares_the_last_hour_with_the_hour_before(report_state):  # type: ignore[no-untyped-def]
    cast, now, out, pending = report_state
    report = sitrep_build(cast.incident, now=now)
    assert (report.volume.now, report.volume.before, report.volume.direction) == (120, 40, "up")
    assert (
        "120" in report.volume.text and "+200%" in report.volume.text and "↑" in report.volume.text
    )
    assert round(report.negative.now) == 50 and round(report.negative.before) == 20
    assert report.negative.direction == "up" and "+30 points" in report.negative.text
    # New voices: heard in the last hour and never before the incident, by reach.
    assert [v["author"] for v in report.voices] == ["big_news", "angry_fan"]
    assert report.voices[1]["mentions"] == 2
    assert [s["id"] for s in report.statements_out] == [out.pk]
    assert [s["id"] for s in report.statements_pending] == [pending.pk]
    assert "Legal counsel" in report.statements_pending[0]["waiting"]
    claims = {c["text"]: c for c in report.claims}
    assert claims["The beans are toxic"]["tone"] == "bad"
    assert claims["The factory closed"]["corrected"] and not claims["The factory closed"]["tone"]
    # The coach's next actions for the whole team, each once, with its role.
    messages = [(a["role"], a["message"]) for a in report.actions]
    assert any(
        "Legal counsel" in role.split(", ") and f"#{pending.pk}" in m for role, m in messages
    )
    assert len(messages) == len(set(messages))


def test_a_quieter_hour_points_down_and_an_empty_one_says_so(cast):  # type: ignore[no-untyped-def]
    now = timezone.now()
    brand = cast.incident.brand
    _rollup(brand, now - timedelta(minutes=15), 30, 3, 20, 7)
    _rollup(brand, now - timedelta(minutes=75), 90, 45, 40, 5)
    report = sitrep_build(cast.incident, now=now)
    assert report.volume.direction == "down" and report.volume.arrow == "↓"
    assert report.negative.direction == "down"
    later = sitrep_build(cast.incident, now=now + timedelta(hours=3))
    assert later.volume.now == 0 and "none the hour before" in later.volume.text
    assert later.negative.now is None and later.voices == []


def test_the_report_is_written_in_the_readers_language(report_state):  # type: ignore[no-untyped-def]
    cast, now, _out, pending = report_state
    with translation.override("zh-hant"):
        report = sitrep_build(cast.incident, now=now)
    assert "則" in report.volume.text and "負面" in report.negative.text
    assert "法律顧問" in report.statements_pending[0]["waiting"]
    assert any("法律顧問" in a["role"] for a in report.actions)


def test_sections_added_to_the_hook_list_appear_in_every_rendering(report_state, monkeypatch):  # type: ignore[no-untyped-def]
    cast, now, _out, _pending = report_state

    def targets(incident, at):  # type: ignore[no-untyped-def]
        return SitrepSection(
            key="targets",
            title="Response targets",
            rows=(SitrepRow("Holding statement within 30 min", "missed by 12 min", "bad"),),
        )

    monkeypatch.setattr(sitrep_module, "SITREP_SECTIONS", [targets, lambda i, at: None])
    report = sitrep_build(cast.incident, now=now)
    assert [s.key for s in report.sections] == ["targets"]
    from playbook.sitrep_render import SlackSitrepNotifier, sitrep_email, sitrep_summary

    summary = sitrep_summary(cast.incident, language="en", zone="UTC", now=now)
    text = str(SlackSitrepNotifier("http://x").payload(summary))
    assert "Response targets" in text and "missed by 12 min" in text
    email = sitrep_email(cast.incident, to="a@example.com", language="en", zone="UTC", now=now)
    assert "missed by 12 min" in email.body and "missed by 12 min" in email.alternatives[0][0]


# --- Delivery ---------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_send_now_emails_each_reader_in_their_language_and_zone(report_state, smtp):  # type: ignore[no-untyped-def]
    cast, _now, _out, _pending = report_state
    victor = cast["viewer_on_team"]  # a second executive lead
    victor.language, victor.time_zone = "zh-hant", "Asia/Taipei"
    victor.save(update_fields=["language", "time_zone"])
    services.sitrep_recipient_add(
        incident=cast.incident,
        by=cast["incident_lead"],
        kind="email",
        address="Board@Example.com",
        language="zh-hant",
        zone="Europe/London",
    )
    sent = services.sitrep_send_now(incident=cast.incident, by=cast["incident_lead"])
    assert sent == 3
    messages = smtp.inbox.wait_for(3, timeout=30)
    by_to = {m["To"]: m for m in messages}
    assert set(by_to) == {"executive-lead@example.com", "victor@example.com", "board@example.com"}
    english = _parts(by_to["executive-lead@example.com"])
    assert "Situation report: Burnt beans" in english["text/plain"]
    assert "120 mentions in the last hour" in english["text/plain"]
    assert "New voices in the last hour" in english["text/html"]
    assert "big_news" in english["text/html"] and "250,000" in english["text/html"]
    chinese = _parts(by_to["victor@example.com"])
    assert "情勢報告" in chinese["text/plain"] and "台北" in chinese["text/plain"]
    assert "倫敦時間" in _parts(by_to["board@example.com"])["text/plain"]
    rows = SitrepDelivery.objects.filter(incident=cast.incident)
    assert {r.status for r in rows} == {AlertStatus.SENT}
    assert {r.message_id for r in rows} == {m["Message-ID"] for m in messages}
    # A second click within the minute sends nothing more.
    assert services.sitrep_send_now(incident=cast.incident, by=cast["incident_lead"]) == 0
    assert rows.count() == 3


@pytest.mark.django_db(transaction=True)
def test_slack_and_teams_get_their_own_message_format(report_state):  # type: ignore[no-untyped-def]
    cast, now, _out, _pending = report_state
    MisinformationClaim.objects.create(incident=cast.incident, claim="<b>bold</b> lie")
    cast["executive_lead"].email = ""  # webhooks only in this test
    cast["executive_lead"].save(update_fields=["email"])
    cast["viewer_on_team"].email = ""
    cast["viewer_on_team"].save(update_fields=["email"])
    with Receiver() as receiver:
        for kind in ("slack", "teams"):
            services.sitrep_recipient_add(
                incident=cast.incident,
                by=cast["incident_lead"],
                kind=kind,
                address=f"{receiver.url}/{kind}",
                language="zh-hant" if kind == "teams" else "",
            )
        assert services.sitrep_send_now(incident=cast.incident, by=cast["incident_lead"]) == 2
        slack = receiver.wait_for("/slack", 1)[0].json()
        teams = receiver.wait_for("/teams", 1)[0].json()
    assert slack["blocks"][0]["type"] == "header" and "Situation report" in slack["text"]
    assert any("120 mentions" in b.get("text", {}).get("text", "") for b in slack["blocks"])
    assert slack["blocks"][-1]["elements"][0]["url"].endswith(
        f"/incidents/{cast.incident.pk}/sitrep/"
    )
    assert teams["@type"] == "MessageCard" and "情勢報告" in teams["title"]
    assert any("新的聲音" in s["activityTitle"] for s in teams["sections"])
    claims = next(s["text"] for s in teams["sections"] if s["activityTitle"] == "流傳說法")
    assert "&lt;b&gt;bold&lt;/b&gt; lie" in claims and "<br>" in claims  # user text escaped


@pytest.mark.django_db(transaction=True)
def test_a_failing_mail_server_is_retried_by_the_sweep_and_sent_once(cast, smtp, settings):  # type: ignore[no-untyped-def]
    port = smtp.port
    settings.EMAIL_PORT = 1  # nothing listens there
    now = timezone.now()
    services.sitrep_send_now(incident=cast.incident, by=cast["incident_lead"], now=now)
    rows = SitrepDelivery.objects.filter(incident=cast.incident)
    assert rows.count() == 2 and {r.status for r in rows} == {AlertStatus.FAILED}
    assert all(r.next_attempt_at and r.next_attempt_at > now for r in rows)
    settings.EMAIL_PORT = port
    services.sitreps_sweep(now=now)
    assert _sent() == 0  # not due yet: back-off
    assert services.sitreps_sweep(now=now + timedelta(minutes=5)) == 2
    assert services.sitreps_sweep(now=now + timedelta(minutes=6)) == 0
    assert len(smtp.inbox.wait_for(2)) == 2
    assert {r.status for r in rows.all()} == {AlertStatus.SENT}


@pytest.mark.django_db(transaction=True)
def test_the_cadence_sends_once_per_period_and_stops_when_resolved(cast, smtp):  # type: ignore[no-untyped-def]
    incident = cast.incident
    opened = incident.opened_at
    services.sitreps_sweep(now=opened + timedelta(minutes=30))  # the first hour: no report
    assert _sent() == 0
    services.sitreps_sweep(now=opened + timedelta(minutes=61))
    assert _sent() == 2  # both executive leads
    services.sitreps_sweep(now=opened + timedelta(minutes=75))
    assert _sent() == 2
    SitrepPlan.objects.create(incident=incident, every_minutes=30)
    services.sitreps_sweep(now=opened + timedelta(minutes=91))
    assert _sent() == 4
    assert len(smtp.inbox.wait_for(4)) == 4
    assert len(set(SitrepDelivery.objects.values_list("period", flat=True))) == 2
    incident.status = IncidentStatus.RESOLVED
    incident.save(update_fields=["status"])
    services.sitreps_sweep(now=opened + timedelta(minutes=200))
    SitrepPlan.objects.filter(incident=incident).update(every_minutes=0)
    incident.status = IncidentStatus.ACKNOWLEDGED
    incident.save(update_fields=["status"])
    services.sitreps_sweep(now=opened + timedelta(minutes=300))  # active, cadence off
    assert SitrepDelivery.objects.count() == 4 and len(smtp.inbox.messages) == 4


@pytest.mark.django_db(transaction=True)
def test_a_report_queued_before_the_incident_closed_is_dropped(cast, smtp, settings):  # type: ignore[no-untyped-def]
    settings.EMAIL_PORT = 1  # the mail server is down
    opened = cast.incident.opened_at
    services.sitreps_sweep(now=opened + timedelta(minutes=61))
    assert set(SitrepDelivery.objects.values_list("status", flat=True)) == {AlertStatus.FAILED}
    cast.incident.status = IncidentStatus.DISMISSED
    cast.incident.save(update_fields=["status"])
    services.sitreps_sweep(now=opened + timedelta(minutes=70))
    assert not SitrepDelivery.objects.filter(next_attempt_at__isnull=False).exists()
    assert "closed" in SitrepDelivery.objects.first().error


@pytest.mark.django_db(transaction=True)
def test_two_workers_sweeping_at_once_send_each_reader_one_email(cast, smtp):  # type: ignore[no-untyped-def]
    for n in range(4):
        services.sitrep_recipient_add(
            incident=cast.incident,
            by=cast["incident_lead"],
            kind="email",
            address=f"r{n}@example.com",
        )
    # In real time (each worker's inline first try claims at the clock's now).
    Incident.objects.filter(pk=cast.incident.pk).update(
        opened_at=timezone.now() - timedelta(minutes=65)
    )
    barrier = threading.Barrier(2)
    failures: list[BaseException] = []

    def worker() -> None:
        # Each worker queues the period (its first try runs inline, as a worker's
        # task would) and sweeps: the rows are claimed by one of them only.
        try:
            barrier.wait()
            services.sitreps_sweep()
        except BaseException as exc:
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not failures
    assert _sent() == 6  # 2 executive leads + 4 readers
    messages = smtp.inbox.wait_for(6)
    assert len(messages) == 6 and len({m["To"] for m in messages}) == 6
    assert SitrepDelivery.objects.count() == 6
    services.sitreps_sweep()
    assert len(smtp.inbox.wait_for(7, timeout=2)) == 6


@pytest.mark.django_db(transaction=True)
def test_a_worker_that_died_mid_send_is_not_sent_again(cast, smtp, settings, monkeypatch):  # type: ignore[no-untyped-def]
    at = cast.incident.opened_at + timedelta(minutes=61)
    # The broker is down: the first tries are never queued, the sweep is left to send.
    monkeypatch.setattr(services, "send_on_commit", lambda *args, **kwargs: None)
    services.sitreps_queue_due(now=at)
    claimed = services.sitrep_claim(now=at)  # …and the worker dies before recording
    assert claimed is not None and claimed.status == AlertStatus.SENDING and claimed.message_id
    later = at + timedelta(seconds=settings.ALERT_SENDING_STALE_SECONDS + 60)
    assert services.sitreps_sweep(now=later) == 1  # the other reader's report
    claimed.refresh_from_db()
    assert claimed.status == AlertStatus.UNCONFIRMED and "not sent again" in claimed.error
    assert claimed.next_attempt_at is None
    messages = smtp.inbox.wait_for(1)
    assert [m["To"] for m in messages] != [claimed.address]
    assert services.sitreps_sweep(now=later + timedelta(hours=1, minutes=1)) == 2  # next period


# --- Readers, cadence and the page ------------------------------------------------------


def test_bad_readers_are_refused_with_a_message_and_nothing_is_lost(cast, client):  # type: ignore[no-untyped-def]
    client.force_login(cast["incident_lead"])
    url = reverse("playbook:sitrep-reader-add", args=[cast.incident.pk])
    answer = client.post(url, {"kind": "email", "address": "not-an-email", "time_zone": "UTC"})
    assert answer.status_code == 400
    assert "valid email" in answer.content.decode()
    assert 'value="not-an-email"' in answer.content.decode()  # what was typed is kept
    answer = client.post(url, {"kind": "slack", "address": "ftp://x", "time_zone": "UTC"})
    assert answer.status_code == 400 and "https://" in answer.content.decode()
    answer = client.post(url, {"kind": "fax", "address": "a@b.c", "time_zone": "UTC"})
    assert answer.status_code == 400
    assert not SitrepRecipient.objects.exists()
    ok = {"kind": "email", "address": "ceo@example.com", "time_zone": "Asia/Taipei"}
    assert client.post(url, ok).status_code == 302
    again = client.post(url, ok)
    assert again.status_code == 400 and "already gets" in again.content.decode()
    plan = reverse("playbook:sitrep-plan", args=[cast.incident.pk])
    assert client.post(plan, {"every_minutes": "45"}).status_code == 400
    assert client.post(plan, {"every_minutes": "120"}).status_code == 302
    assert SitrepPlan.objects.get(incident=cast.incident).every_minutes == 120


def test_send_now_with_nobody_to_send_to_says_so(cast, client):  # type: ignore[no-untyped-def]
    from crisisroom.models import IncidentMember

    IncidentMember.objects.filter(crisis_role__slug="executive_lead").delete()
    client.force_login(cast["incident_lead"])
    answer = client.post(reverse("playbook:sitrep-send", args=[cast.incident.pk]))
    assert answer.status_code == 400 and "Nobody gets this sitrep" in answer.content.decode()


@pytest.mark.parametrize(
    ("who", "read", "write"),
    [
        ("admin", 200, 302),  # the owner of the organisation
        ("incident_lead", 200, 302),  # a member of the team
        ("viewer_on_team", 200, 403),  # on the team, but reads only
        ("outsider", 403, 403),  # a responder not on this incident
        ("viewer", 403, 403),
    ],
)
def test_only_the_team_sees_the_page_and_only_who_acts_changes_it(cast, client, who, read, write):  # type: ignore[no-untyped-def]
    client.force_login(cast[who])
    page = client.get(reverse("playbook:sitrep", args=[cast.incident.pk]))
    assert page.status_code == read
    if read == 200:
        assert "New voices in the last hour" in page.content.decode()
        assert ("Send now" in page.content.decode()) == (write == 302)
    answer = client.post(
        reverse("playbook:sitrep-reader-add", args=[cast.incident.pk]),
        {"kind": "email", "address": f"{who}-friend@example.com", "time_zone": "UTC"},
    )
    assert answer.status_code == write
    assert SitrepRecipient.objects.filter(address=f"{who}-friend@example.com").exists() == (
        write == 302
    )


def test_anonymous_visitors_are_sent_to_log_in(cast, client):  # type: ignore[no-untyped-def]
    answer = client.get(reverse("playbook:sitrep", args=[cast.incident.pk]))
    assert answer.status_code == 302 and "/accounts/login/" in answer["Location"]


def test_a_reader_is_removed_from_the_list(cast, client):  # type: ignore[no-untyped-def]
    reader = services.sitrep_recipient_add(
        incident=cast.incident, by=cast["incident_lead"], kind="email", address="x@example.com"
    )
    client.force_login(cast["pr_lead"])
    url = reverse("playbook:sitrep-reader-remove", args=[cast.incident.pk, reader.pk])
    assert client.post(url).status_code == 302
    assert not SitrepRecipient.objects.exists()
    assert client.post(url).status_code == 400  # already gone: said so


@pytest.mark.django_db(transaction=True)
def test_a_webhook_that_refuses_is_given_up_and_one_that_is_down_is_retried(cast):  # type: ignore[no-untyped-def]
    for member in ("executive_lead", "viewer_on_team"):
        cast[member].email = ""
        cast[member].save(update_fields=["email"])
    with Receiver() as receiver:
        receiver.statuses["/gone"] = [404]
        receiver.statuses["/busy"] = [503]
        for path in ("gone", "busy"):
            services.sitrep_recipient_add(
                incident=cast.incident,
                by=cast["incident_lead"],
                kind="slack",
                address=f"{receiver.url}/{path}",
            )
        now = timezone.now()
        services.sitrep_send_now(incident=cast.incident, by=cast["incident_lead"], now=now)
        gone = SitrepDelivery.objects.get(address__endswith="/gone")
        busy = SitrepDelivery.objects.get(address__endswith="/busy")
        assert gone.status == busy.status == AlertStatus.FAILED
        assert gone.next_attempt_at is None and "404" in gone.error  # refused: not retried
        assert busy.next_attempt_at is not None and "503" in busy.error
        assert services.sitreps_sweep(now=now + timedelta(minutes=5)) == 1
        assert len(receiver.at("/busy")) == 2 and len(receiver.at("/gone")) == 1
    busy.refresh_from_db()
    assert busy.status == AlertStatus.SENT and busy.attempts == 2


def test_the_sitrep_sweep_is_a_registered_task_on_the_beat_schedule(settings):  # type: ignore[no-untyped-def]
    from crisisroom.celery import app

    app.loader.import_default_modules()
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "playbook.tasks.sitreps_sweep_task" in tasks
    assert "playbook.tasks.sitreps_sweep_task" in app.tasks
    assert "playbook.tasks.sitrep_send_task" in app.tasks


def test_the_cadence_period_starts_after_the_first_one():  # type: ignore[no-untyped-def]
    opened = timezone.now()
    assert services.period_start(opened, 60, opened + timedelta(minutes=59)) is None
    assert services.period_start(opened, 60, opened + timedelta(minutes=60)) == opened + timedelta(
        minutes=60
    )
    assert services.period_start(opened, 30, opened + timedelta(minutes=95)) == opened + timedelta(
        minutes=90
    )
    assert services.period_start(opened, 0, opened + timedelta(days=1)) is None


def test_an_action_several_members_share_names_every_role_that_has_it(report_state):  # type: ignore[no-untyped-def]
    """The statement waits for several roles; the report names them all on one line,
    whichever member the database returns first (it used to name only that one's)."""
    cast, now, _out, pending = report_state
    report = sitrep_build(cast.incident, now=now)
    approvals = [a for a in report.actions if f"#{pending.pk} waits" in a["message"]]
    assert len(approvals) == 1
    waiting = report.statements_pending[0]["waiting"]
    named = [r.strip() for r in approvals[0]["role"].split(",")]
    assert "Legal counsel" in named and len(named) >= 2, approvals
    assert all(name in waiting for name in named), (named, waiting)
