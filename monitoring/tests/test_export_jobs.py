"""Background exports: past EXPORT_BACKGROUND_ROWS the explorer offers one; a worker
writes it in batches that survive a crash; the owner alone downloads the same CSV the
streaming export gives."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from monitoring import export_jobs, exports
from monitoring.choices import ExportState
from monitoring.ingest import mentions_ingest
from monitoring.models import Mention, MentionExport, MentionExportPart

pytestmark = pytest.mark.django_db

NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
def small_limits(settings):  # type: ignore[no-untyped-def]
    settings.EXPORT_BACKGROUND_ROWS = 3
    settings.EXPORT_BATCH_ROWS = 4
    return settings


@pytest.fixture
def ten(brand):  # type: ignore[no-untyped-def]
    items = [
        {
            "source": "twitter",
            "external_id": f"e{n}",
            "text": f"Acme Coffee post {n}, with a comma" if n != 3 else "=HYPERLINK Acme Coffee",
            "author": f"a{n}",
            # Two rows share a timestamp: the batches' position breaks the tie by id.
            "published_at": (NOW - timedelta(minutes=n - (n == 5))).isoformat(),
        }
        for n in range(10)
    ]
    mentions_ingest(items=items)
    assert Mention.objects.count() == 10
    return items


def rows_of(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode())))


def logged_in(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def start(client: Client, django_capture_on_commit_callbacks, **params):  # type: ignore[no-untyped-def]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/mentions/exports/", params)
    assert response.status_code == 302, response.content
    return MentionExport.objects.get(pk=int(response["Location"].rstrip("/").split("/")[-1]))


def test_a_small_filter_streams_and_a_large_one_offers_the_background(charlie, ten, small_limits):
    client = logged_in(charlie)
    large = client.get("/mentions/export.csv")
    assert large.status_code == 200
    assert large["Content-Type"].startswith("text/html")
    assert b"/mentions/exports/" in large.content  # the form that starts it
    small = client.get("/mentions/export.csv", {"q": "HYPERLINK"})
    assert small["Content-Type"].startswith("text/csv")
    assert len(rows_of(b"".join(small.streaming_content))) == 2
    anyway = client.get("/mentions/export.csv", {"now": "1"})
    assert len(rows_of(b"".join(anyway.streaming_content))) == 11


def test_the_background_export_is_the_same_csv_in_batches(
    charlie, ten, small_limits, django_capture_on_commit_callbacks
):
    client = logged_in(charlie)
    export = start(client, django_capture_on_commit_callbacks)
    export.refresh_from_db()
    assert export.state == ExportState.DONE
    assert (export.rows_written, export.rows_expected, export.percent) == (10, 10, 100)
    assert list(export.parts.order_by("seq").values_list("rows", flat=True)) == [4, 4, 2]
    download = client.get(f"/mentions/exports/{export.pk}/mentions.csv")
    assert download.status_code == 200
    data = b"".join(download.streaming_content)
    assert int(download["Content-Length"]) == len(data)
    streamed = b"".join(exports.mentions_csv(Mention.objects.order_by("-published_at", "-pk")))
    assert rows_of(data) == rows_of(streamed)
    assert rows_of(data)[0] == list(exports.EXPORT_FIELDS)  # the header once
    texts = [row[exports.EXPORT_FIELDS.index("text")] for row in rows_of(data)[1:]]
    assert "'=HYPERLINK Acme Coffee" in texts  # formulas still defused


def test_a_worker_that_dies_mid_export_is_resumed_by_the_sweep_without_repeats(
    charlie, ten, small_limits, monkeypatch, django_capture_on_commit_callbacks
):
    real_store = export_jobs._store_part
    calls = {"n": 0}

    def dies_on_the_second_batch(export, **kwargs):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 2:
            raise ConnectionError("the database went away")
        return real_store(export, **kwargs)

    monkeypatch.setattr(export_jobs, "_store_part", dies_on_the_second_batch)
    start(logged_in(charlie), django_capture_on_commit_callbacks)  # the task fails (logged)
    export = MentionExport.objects.get()
    assert export.state == ExportState.RUNNING
    assert (export.rows_written, export.parts.count()) == (4, 1)
    assert "went away" in export.error
    # The sweep finds it (its heartbeat was set back) and the run resumes.
    with django_capture_on_commit_callbacks(execute=True):
        assert export_jobs.mention_exports_sweep() == 1
    export.refresh_from_db()
    assert export.state == ExportState.DONE
    assert export.rows_written == 10
    data = b"".join(export_jobs.export_download(export))
    ids = [row[exports.EXPORT_FIELDS.index("external_id")] for row in rows_of(data)[1:]]
    assert sorted(ids) == sorted(f"e{n}" for n in range(10))  # each row once


def test_mentions_that_arrive_after_the_request_are_not_in_it(
    charlie, ten, small_limits, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(export_jobs, "_queue", lambda export_id: None)  # no worker yet
    export = start(logged_in(charlie), django_capture_on_commit_callbacks)
    mentions_ingest(
        items=[
            {
                "source": "twitter",
                "external_id": "late",
                "text": "Acme Coffee late post",
                "published_at": (timezone.now() + timedelta(seconds=1)).isoformat(),
            }
        ]
    )
    export_jobs.mention_export_run(export_id=export.pk)
    export.refresh_from_db()
    assert export.rows_written == 10
    assert b"late post" not in b"".join(export_jobs.export_download(export))


def test_an_export_is_its_owners_and_waits_until_it_is_done(
    alice, charlie, ten, small_limits, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(export_jobs, "_queue", lambda export_id: None)
    owner = logged_in(charlie)
    export = start(owner, django_capture_on_commit_callbacks, sentiment="neutral")
    assert export.params["sentiment"] == "neutral" and "until" in export.params
    page = owner.get(f"/mentions/exports/{export.pk}/")
    assert page.status_code == 200 and b"<progress" in page.content
    assert b'hx-trigger="every 2s"' in page.content  # polls while it waits
    assert owner.get(f"/mentions/exports/{export.pk}/mentions.csv").status_code == 409
    other = logged_in(alice)  # an admin, but not the owner
    assert other.get(f"/mentions/exports/{export.pk}/").status_code == 404
    assert other.get(f"/mentions/exports/{export.pk}/mentions.csv").status_code == 404
    export_jobs.mention_export_run(export_id=export.pk)
    part = owner.get(f"/mentions/exports/{export.pk}/", HTTP_HX_REQUEST="true")
    assert b"export-progress" in part.content and b"<html" not in part.content
    assert b"every 2s" not in part.content  # done: the polling stops
    assert b"mentions.csv" in part.content


def test_a_bad_filter_is_a_400_and_records_nothing(charlie, ten, small_limits):
    response = logged_in(charlie).post("/mentions/exports/", {"since": "not a time"})
    assert response.status_code == 400
    assert b"not valid" in response.content
    assert not MentionExport.objects.exists()


def test_an_empty_export_is_a_header(charlie, brand, settings):
    settings.EXPORT_BACKGROUND_ROWS = 0
    export = export_jobs.mention_export_start(user=charlie, params={"q": "nothing-matches"})
    export_jobs.mention_export_run(export_id=export.pk)
    export.refresh_from_db()
    assert export.state == ExportState.DONE
    assert rows_of(b"".join(export_jobs.export_download(export))) == [list(exports.EXPORT_FIELDS)]


def test_the_sweep_gives_up_after_five_tries_and_deletes_old_exports(charlie, brand, monkeypatch):
    queued: list[int] = []
    monkeypatch.setattr(export_jobs, "_queue", queued.append)
    long_ago = timezone.now() - timedelta(hours=30)
    old = MentionExport.objects.create(user=charlie, state=ExportState.DONE, created_at=long_ago)
    MentionExportPart.objects.create(export=old, seq=0, rows=0, data=b"id\n")
    stuck = MentionExport.objects.create(
        user=charlie,
        state=ExportState.RUNNING,
        attempts=5,
        heartbeat_at=timezone.now() - timedelta(hours=1),
    )
    lost = MentionExport.objects.create(
        user=charlie, created_at=timezone.now() - timedelta(minutes=5)
    )
    fresh = MentionExport.objects.create(user=charlie)  # just asked for: its task is on its way
    assert export_jobs.mention_exports_sweep() == 1
    assert queued == [lost.pk]
    assert not MentionExport.objects.filter(pk=old.pk).exists()
    assert not MentionExportPart.objects.exists()
    stuck.refresh_from_db()
    assert stuck.state == ExportState.FAILED
    fresh.refresh_from_db()
    assert fresh.state == ExportState.QUEUED


def test_a_second_worker_leaves_a_running_export_alone(charlie, brand):
    export = MentionExport.objects.create(
        user=charlie, state=ExportState.RUNNING, heartbeat_at=timezone.now()
    )
    assert export_jobs.mention_export_run(export_id=export.pk) is None
    export.refresh_from_db()
    assert (export.state, export.attempts) == (ExportState.RUNNING, 0)
