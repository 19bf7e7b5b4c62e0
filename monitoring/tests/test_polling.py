"""The poll service: ingest through the one ingest path, cursor and validators advanced
with the items, back-off, Retry-After, pausing, and one poll per source at a time."""

from __future__ import annotations

import json
import threading
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from crisisroom.embedded import run_due
from monitoring.models import Mention, Source
from monitoring.polling import (
    SourceBusy,
    backoff_seconds,
    source_poll,
    source_set_paused,
    sources_due,
)
from monitoring.tasks import sources_poll_due_task
from monitoring.tests.feedserver import Reply
from monitoring.tests.test_connectors import HN, RSS

pytestmark = pytest.mark.django_db


@pytest.fixture
def rss(feed_server, allow_private) -> Source:  # type: ignore[no-untyped-def]
    feed_server.routes["/feed.xml"] = Reply(
        body=RSS,
        headers={
            "Content-Type": "application/rss+xml",
            "ETag": '"v1"',
            "Last-Modified": "Tue, 24 Nov 2026 10:00:00 GMT",
        },
    )
    return Source.objects.create(
        kind="rss",
        key="coffee-news",
        platform="news",
        url=feed_server.url("/feed.xml"),
        poll_interval_seconds=600,
    )


def test_a_poll_stores_the_items_and_advances_validators_and_schedule(rss, brand):
    outcome = source_poll(source_id=rss.pk)

    assert (outcome.status, outcome.accepted) == ("ok", 2)
    mentions = Mention.objects.filter(source=rss).order_by("external_id")
    assert [m.external_id for m in mentions] == ["news-1", "news-2"]
    assert {m.brand for m in mentions} == {brand}  # matched by watch terms
    assert {m.platform for m in mentions} == {"news"}
    rss.refresh_from_db()
    assert rss.etag == '"v1"' and rss.last_modified == "Tue, 24 Nov 2026 10:00:00 GMT"
    assert rss.last_success_at is not None and rss.consecutive_failures == 0
    assert rss.next_poll_at - rss.last_success_at == timedelta(seconds=600)


def test_a_second_poll_is_conditional_and_stores_nothing_twice(rss, feed_server):
    source_poll(source_id=rss.pk)
    feed_server.routes["/feed.xml"] = Reply(304)

    outcome = source_poll(source_id=rss.pk, force=True)

    assert outcome.status == "not_modified"
    assert feed_server.requests[-1].headers["if-none-match"] == '"v1"'
    assert Mention.objects.filter(source=rss).count() == 2


def test_a_feed_polled_again_in_full_counts_its_items_as_duplicates(rss):
    source_poll(source_id=rss.pk)
    outcome = source_poll(source_id=rss.pk, force=True)
    assert (outcome.accepted, outcome.duplicates) == (0, 2)
    assert Mention.objects.filter(source=rss).count() == 2


def test_a_source_with_a_brand_tags_every_item_with_it(rss, brand):
    other = type(brand).objects.create(name="Other", slug="other")
    rss.brand = other
    rss.save()
    source_poll(source_id=rss.pk)
    assert set(Mention.objects.filter(source=rss).values_list("brand__slug", flat=True)) == {
        "other"
    }


def test_failures_back_off_exponentially_up_to_the_cap(rss, feed_server):
    feed_server.routes["/feed.xml"] = Reply(500, "oops")
    waits = []
    for _ in range(3):
        before = timezone.now()
        outcome = source_poll(source_id=rss.pk, force=True)
        rss.refresh_from_db()
        waits.append(round((rss.next_poll_at - before).total_seconds() / 600))
        assert outcome.status == "failed"
    assert waits == [2, 4, 8]
    assert rss.consecutive_failures == 3
    assert "HTTP 500" in rss.last_error and rss.last_error_at is not None
    assert not rss.paused
    assert backoff_seconds(interval=600, failures=20) == settings.SOURCES_MAX_BACKOFF_SECONDS


def test_a_429_waits_at_least_as_long_as_retry_after(rss, feed_server):
    feed_server.routes["/feed.xml"] = Reply(429, headers={"Retry-After": "86400"})
    before = timezone.now()
    source_poll(source_id=rss.pk)
    rss.refresh_from_db()
    assert rss.next_poll_at >= before + timedelta(seconds=86400)
    assert sources_due() == []


def test_a_success_after_failures_resets_the_count(rss, feed_server):
    feed_server.routes["/feed.xml"] = [Reply(500), Reply(body=RSS)]
    source_poll(source_id=rss.pk)
    source_poll(source_id=rss.pk, force=True)
    rss.refresh_from_db()
    assert rss.consecutive_failures == 0 and rss.last_error  # the last error stays visible


def test_refused_credentials_pause_the_source_with_the_message(
    feed_server, allow_private, monkeypatch
):
    monkeypatch.setenv("CRISISROOM_SOURCE_BSKY_PW", "wrong")
    feed_server.routes["/xrpc/com.atproto.server.createSession"] = Reply(401, "{}")
    source = Source.objects.create(
        kind="bluesky",
        key="bsky",
        url=feed_server.base_url,
        config={"query": "acme", "handle": "me", "secret_env": "CRISISROOM_SOURCE_BSKY_PW"},
    )
    source_poll(source_id=source.pk)
    source.refresh_from_db()
    assert source.paused and "refused" in source.last_error
    assert source_poll(source_id=source.pk).status == "paused"


def test_a_polled_cursor_is_kept_and_sent_next_time(feed_server, allow_private):
    feed_server.routes["/api/v1/search_by_date"] = Reply(body=json.dumps(HN))
    source = Source.objects.create(
        kind="hackernews", key="hn", url=feed_server.base_url, config={"query": "acme"}
    )
    source_poll(source_id=source.pk)
    source_poll(source_id=source.pk, force=True)
    source.refresh_from_db()
    assert source.cursor == {"created_at_i": 1795514405}
    assert "created_at_i%3E%3D1795514405" in feed_server.requests[-1].path
    assert Mention.objects.filter(source=source).count() == 2


def test_a_source_with_more_waiting_is_due_again_at_once(feed_server, allow_private):
    page = [
        {
            "id": str(1000 + n),
            "created_at": "2026-11-24T10:00:00Z",
            "content": f"<p>post {n}</p>",
            "account": {"acct": "a"},
        }
        for n in range(40)
    ]
    feed_server.routes["/api/v1/timelines/tag/acme"] = Reply(body=json.dumps(page))
    source = Source.objects.create(
        kind="mastodon",
        key="m",
        url=feed_server.base_url,
        config={"hashtag": "acme"},
        cursor={"since_id": "1"},
    )
    source_poll(source_id=source.pk)
    assert sources_due() == [source.pk]


def test_only_due_unpaused_polled_sources_are_due(rss):
    later = Source.objects.create(
        kind="rss", key="later", url=rss.url, next_poll_at=timezone.now() + timedelta(hours=1)
    )
    paused = Source.objects.create(kind="rss", key="paused", url=rss.url, paused=True)
    Source.objects.create(kind="api", key="twitter")
    assert sources_due() == [rss.pk]
    assert source_poll(source_id=later.pk).status == "not_due"
    assert source_poll(source_id=paused.pk).status == "paused"


def test_the_periodic_task_polls_each_due_source(rss):
    assert sources_poll_due_task.delay().get() == 1
    assert Mention.objects.filter(source=rss).count() == 2
    assert sources_due() == []


def test_a_source_already_queued_is_not_queued_again(rss, monkeypatch):
    from django.core.cache import cache

    from monitoring import tasks

    sent = []
    monkeypatch.setattr(tasks.source_poll_task, "delay", sent.append)
    cache.delete(tasks._queued_key(rss.pk))
    assert tasks.sources_poll_due_task() == 1
    assert tasks.sources_poll_due_task() == 0  # still waiting in the queue
    tasks.source_poll_task(rss.pk)  # the worker picks it up: due again later, queued again
    rss.next_poll_at = None
    rss.save()
    assert tasks.sources_poll_due_task() == 1
    assert sent == [rss.pk, rss.pk]


@pytest.mark.django_db(transaction=True)  # run_due closes the connection between tasks
def test_the_beat_schedule_and_embedded_scheduler_run_the_due_sources_task(rss):
    entry = settings.CELERY_BEAT_SCHEDULE["poll-due-sources"]
    assert entry["task"] == "monitoring.tasks.sources_poll_due_task"
    assert "poll-due-sources" in run_due({}, 0.0)
    assert Mention.objects.filter(source=rss).count() == 2


def test_pausing_stops_polls_and_resuming_makes_the_source_due(rss):
    source_set_paused(source=rss, paused=True)
    assert sources_due() == []
    source_set_paused(source=rss, paused=False)
    assert sources_due() == [rss.pk]


@pytest.mark.django_db(transaction=True)
def test_two_polls_of_one_source_never_overlap(feed_server, allow_private):
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    release = threading.Event()
    feed_server.routes["/feed.xml"] = Reply(body=RSS, hold=release)
    source = Source.objects.create(kind="rss", key="slow", url=feed_server.url("/feed.xml"))
    outcomes = {}

    def first_poll() -> None:
        try:
            outcomes["first"] = source_poll(source_id=source.pk).status
        finally:
            connection.close()

    thread = threading.Thread(target=first_poll)
    thread.start()
    feed_server.wait_for_requests(1)  # the first poll now holds the row and waits on the feed

    outcomes["second"] = source_poll(source_id=source.pk, force=True).status
    with pytest.raises(SourceBusy):  # the pause button does not hang on a running poll
        source_set_paused(source=source, paused=True)
    release.set()
    thread.join(30)

    assert outcomes == {"first": "ok", "second": "busy"}
    assert len(feed_server.requests) == 1
    assert Mention.objects.filter(source=source).count() == 2


def test_an_ingest_that_crashes_leaves_the_cursor_where_it_was(
    feed_server, allow_private, monkeypatch
):
    feed_server.routes["/api/v1/search_by_date"] = Reply(body=json.dumps(HN))
    source = Source.objects.create(
        kind="hackernews",
        key="hn",
        url=feed_server.base_url,
        config={"query": "acme"},
        cursor={"created_at_i": 5},
    )

    def explode(**kwargs):  # type: ignore[no-untyped-def]
        Mention.objects.create(
            source=source, external_id="half", text="x", published_at=timezone.now()
        )
        raise RuntimeError("disk full")

    monkeypatch.setattr("monitoring.polling.mentions_ingest", explode)
    with transaction.atomic():
        outcome = source_poll(source_id=source.pk)
    source.refresh_from_db()
    assert outcome.status == "failed" and "disk full" in source.last_error
    assert source.cursor == {"created_at_i": 5}
    assert not Mention.objects.filter(source=source).exists()
