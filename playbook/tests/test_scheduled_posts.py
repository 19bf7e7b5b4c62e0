"""The outbound queue in-process, against a local HTTP server: due posts go out
through the target's publisher, a pause holds them, resume releases them, failures
retry with back-off and keep a host-only reason; the API and the page refuse bad
input with a clear 400; the banner shows on every page while paused."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from crisisroom.models import OutgoingDelivery, OutgoingWebhook
from crisisroom.services.outgoing import signature_valid
from playbook.choices import PostState
from playbook.models import PublishTarget, ScheduledPost
from playbook.services import base, publishing, scheduled
from tests.http_receiver import Receiver

# Real commits: the after-commit sweep and webhook tasks run as in production (eagerly).
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def receiver():  # type: ignore[no-untyped-def]
    with Receiver() as r:
        yield r


@pytest.fixture
def target(receiver):  # type: ignore[no-untyped-def]
    return PublishTarget.objects.create(
        name="newsroom", kind="webhook", base_url=f"{receiver.url}/publish/secret-path?token=abc"
    )


def _queue(alice, target, minutes: int = 0, text: str = "We are looking into it.", **kw):  # type: ignore[no-untyped-def]
    return scheduled.scheduled_post_create(
        by=alice,
        target=target,
        text=text,
        due_at=timezone.now() + timedelta(minutes=minutes),
        **kw,
    )


def test_a_due_post_goes_out_once_through_the_publisher(alice, target, receiver):  # type: ignore[no-untyped-def]
    post = _queue(alice, target)  # due now: the after-commit sweep (eager here) sends it
    post.refresh_from_db()
    assert post.state == PostState.SENT
    hits = receiver.at("/publish/secret-path?token=abc")
    assert len(hits) == 1
    assert hits[0].json()["event"] == "scheduled_post.published"
    assert hits[0].json()["text"] == "We are looking into it."
    assert post.external_url == "https://social.example/p/1"
    assert scheduled.scheduled_posts_sweep() == 0  # nothing goes twice
    assert len(receiver.hits) == 1


def test_three_sweeps_at_once_send_each_post_exactly_once(alice, target, receiver):  # type: ignore[no-untyped-def]
    import threading

    from django.db import connection

    receiver.delay = 0.2  # each post takes a while, so the sweeps overlap
    now = timezone.now()
    posts = [
        ScheduledPost.objects.create(
            target=target, text=f"post {i}", due_at=now, next_attempt_at=now
        )
        for i in range(6)
    ]
    results: list[int] = []

    def sweep() -> None:
        try:
            results.append(scheduled.scheduled_posts_sweep())
        finally:
            connection.close()

    threads = [threading.Thread(target=sweep) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    texts = sorted(hit.json()["text"] for hit in receiver.hits)
    assert texts == sorted(p.text for p in posts)  # each once, none twice
    assert sum(results) == 6 and len(results) == 3
    assert max(results) < 6  # the sweeps really shared the work
    assert set(ScheduledPost.objects.values_list("attempts", flat=True)) == {1}


def test_a_post_not_yet_due_waits(alice, target, receiver):  # type: ignore[no-untyped-def]
    post = _queue(alice, target, minutes=30)
    assert scheduled.scheduled_posts_sweep() == 0
    assert scheduled.scheduled_posts_sweep(now=timezone.now() + timedelta(minutes=31)) == 1
    post.refresh_from_db()
    assert post.state == PostState.SENT


def test_a_pause_holds_every_post_and_resume_releases_them(alice, target, receiver):  # type: ignore[no-untyped-def]
    early = _queue(alice, target, minutes=10)
    publishing.outbound_pause(by=alice, reason="Crisis: hold everything")
    late = _queue(alice, target, minutes=10, text="Queued during the pause")
    early.refresh_from_db()
    assert early.state == PostState.HELD and late.state == PostState.HELD
    assert scheduled.scheduled_posts_sweep(now=timezone.now() + timedelta(minutes=20)) == 0
    assert receiver.hits == []
    publishing.outbound_resume(by=alice)
    assert set(ScheduledPost.objects.values_list("state", flat=True)) == {PostState.QUEUED}
    assert scheduled.scheduled_posts_sweep(now=timezone.now() + timedelta(minutes=20)) == 2
    assert len(receiver.hits) == 2


def test_a_post_queued_in_the_instant_of_a_pause_is_held_by_the_sweep(alice, target, receiver):  # type: ignore[no-untyped-def]
    publishing.outbound_pause(by=alice, reason="hold")
    # As if it committed as "queued" just before the pause's hold ran.
    post = ScheduledPost.objects.create(
        target=target, text="x", due_at=timezone.now(), next_attempt_at=timezone.now()
    )
    assert scheduled.scheduled_post_publish_next(now=timezone.now(), skip=set()) is None
    post.refresh_from_db()
    assert post.state == PostState.HELD
    assert receiver.hits == []


def test_a_failure_retries_with_back_off_and_shows_a_host_only_reason(alice, target, receiver):  # type: ignore[no-untyped-def]
    receiver.statuses["/publish/secret-path?token=abc"] = [503, 503]
    post = _queue(alice, target)
    post.refresh_from_db()
    assert post.state == PostState.QUEUED and post.attempts == 1
    assert "503" in post.error
    assert "secret-path" not in post.error and "token" not in post.error
    assert receiver.url.replace("http://", "") in post.error  # the host is named
    first_wait = post.next_attempt_at - timezone.now()
    assert timedelta(seconds=20) < first_wait < timedelta(seconds=40)
    assert scheduled.scheduled_posts_sweep() == 0  # not due yet
    scheduled.scheduled_posts_sweep(now=post.next_attempt_at + timedelta(seconds=1))
    post.refresh_from_db()
    assert post.attempts == 2 and post.next_attempt_at - post.due_at > first_wait
    scheduled.scheduled_posts_sweep(now=post.next_attempt_at + timedelta(seconds=1))
    post.refresh_from_db()
    assert post.state == PostState.SENT and post.error == ""
    assert len(receiver.hits) == 3


def test_a_refused_post_fails_without_retrying(alice, target, receiver, settings):  # type: ignore[no-untyped-def]
    receiver.statuses["/publish/secret-path?token=abc"] = [403]
    post = _queue(alice, target)
    post.refresh_from_db()
    assert post.state == PostState.FAILED and post.next_attempt_at is None
    assert "403" in post.error and "token=abc" not in post.error


def test_a_cancelled_post_never_goes_out(alice, target, receiver):  # type: ignore[no-untyped-def]
    post = _queue(alice, target, minutes=5)
    scheduled.scheduled_post_cancel(post=post, by=alice)
    assert scheduled.scheduled_posts_sweep(now=timezone.now() + timedelta(minutes=6)) == 0
    assert receiver.hits == []
    with pytest.raises(base.TransitionRefused):
        scheduled.scheduled_post_cancel(post=post, by=alice)


def test_the_rules_refuse_a_past_time_an_empty_text_and_a_too_long_post(alice, receiver):  # type: ignore[no-untyped-def]
    mastodon = PublishTarget.objects.create(
        name="toots", kind="mastodon", base_url=receiver.url, secret="t"
    )
    with pytest.raises(base.InvalidInput, match="past"):
        _queue(alice, mastodon, minutes=-60)
    with pytest.raises(base.InvalidInput, match="Write"):
        _queue(alice, mastodon, text="   ")
    with pytest.raises(base.InvalidInput, match="501 characters; toots allows 500"):
        _queue(alice, mastodon, text="x" * 501)


def test_pause_and_resume_are_told_to_outgoing_webhooks_signed(alice, target, receiver):  # type: ignore[no-untyped-def]
    hook = OutgoingWebhook.objects.create(
        name="Buffer", url=f"{receiver.url}/hooks/buffer", secret="s3cret"
    )
    publishing.outbound_pause(by=alice, reason="Hold the promo")
    publishing.outbound_resume(by=alice)
    hits = receiver.at("/hooks/buffer")
    assert [h.json()["type"] for h in hits] == ["outbound.paused", "outbound.resumed"]
    for hit in hits:
        assert signature_valid(hook.secret, hit.body, hit.headers["x-crisisroom-signature"])
        assert not signature_valid("wrong", hit.body, hit.headers["x-crisisroom-signature"])
        assert hit.headers["x-crisisroom-timestamp"] == str(hit.json()["timestamp"])
    paused = hits[0].json()
    assert paused["data"]["reason"] == "Hold the promo" and paused["data"]["paused"] is True
    assert hits[1].json()["data"]["paused"] is False
    assert hits[0].json()["id"] != hits[1].json()["id"]
    assert set(OutgoingDelivery.objects.values_list("status", flat=True)) == {"sent"}


def test_the_api_queues_lists_and_cancels(alice, target, receiver, api_for):  # type: ignore[no-untyped-def]
    api = api_for(alice)
    at = (timezone.now() + timedelta(hours=1)).isoformat()
    created = api.post("/scheduled-posts", {"channel": "newsroom", "body": "Update at 5", "at": at})
    assert created.status_code == 201, created.content
    data = created.json()
    assert data["state"] == "queued" and data["channel"] == "newsroom"
    listed = api.get("/scheduled-posts").json()
    assert [p["id"] for p in listed["scheduled_posts"]] == [data["id"]]
    assert listed["paused"] is None
    paused = api.post("/outbound/pause", {"reason": "API pause"})
    assert paused.status_code == 200 and paused.json()["paused"]["reason"] == "API pause"
    assert api.get("/scheduled-posts", state="held").json()["count"] == 1
    assert api.post("/outbound/pause", {"reason": "again"}).status_code == 409
    assert api.post("/outbound/resume", {}).status_code == 200
    cancelled = api.post(f"/scheduled-posts/{data['id']}/cancel", {})
    assert cancelled.status_code == 200 and cancelled.json()["state"] == "cancelled"
    assert api.post(f"/scheduled-posts/{data['id']}/cancel", {}).status_code == 409


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"body": "x", "at": "2030-01-01T00:00:00Z"}, "channel is required"),
        (
            {"channel": "nope", "body": "x", "at": "2030-01-01T00:00:00Z"},
            "active publishing target",
        ),
        ({"channel": "newsroom", "at": "2030-01-01T00:00:00Z"}, "body is required"),
        ({"channel": "newsroom", "body": "x"}, "at is required"),
        ({"channel": "newsroom", "body": "x", "at": "tomorrow"}, "at is not an ISO 8601"),
        ({"channel": "newsroom", "body": "x", "at": "2001-01-01T00:00:00Z"}, "in the past"),
        (
            {"channel": "newsroom", "body": "x", "at": "2030-01-01T00:00", "extra": 1},
            "Unknown field",
        ),
        (
            {"channel": "newsroom", "body": "x", "at": "2030-01-01T00:00Z", "incident": 0},
            "incident",
        ),
        ([1, 2], "JSON object"),
    ],
)
def test_bad_input_to_the_api_gets_a_clear_400(alice, target, api_for, body, message):  # type: ignore[no-untyped-def]
    response = api_for(alice).post("/scheduled-posts", body)
    assert response.status_code == 400, response.content
    assert message in response.json()["error"]
    assert not ScheduledPost.objects.exists()


def test_a_viewer_cannot_queue_or_pause(charlie, target, api_for):  # type: ignore[no-untyped-def]
    api = api_for(charlie)
    at = (timezone.now() + timedelta(hours=1)).isoformat()
    assert (
        api.post("/scheduled-posts", {"channel": "newsroom", "body": "x", "at": at}).status_code
        == 403
    )
    assert api.post("/outbound/pause", {"reason": "x"}).status_code == 403
    assert api.get("/scheduled-posts").status_code == 200


def test_the_page_queues_in_the_users_time_zone_and_the_banner_shows_while_paused(alice, target):  # type: ignore[no-untyped-def]
    alice.time_zone = "Asia/Taipei"
    alice.save(update_fields=["time_zone"])
    client = Client()
    client.force_login(alice)
    response = client.post(
        "/outbound/queue/",
        {"target": "newsroom", "text": "Hello from Taipei", "due_at": "2031-03-01T09:30"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    post = ScheduledPost.objects.get()
    assert post.due_at.isoformat() == "2031-03-01T01:30:00+00:00"  # 09:30 in Taipei is 01:30 UTC
    page = client.get("/outbound/").content.decode()
    assert "2031-03-01 09:30" in page and "Asia/Taipei" in page
    assert "outbound-pause-banner" not in page
    client.post("/outbound/pause/", {"reason": "Hold for legal"})
    for path in ("/outbound/", "/", f"/incidents/{1}/playbook/"):
        html = client.get(path).content.decode()
        if path.startswith("/incidents"):
            continue  # may not exist here; the two pages above are enough
        assert 'id="outbound-pause-banner"' in html and "Hold for legal" in html
    assert ScheduledPost.objects.get().state == PostState.HELD
    client.post("/outbound/resume/")
    assert "outbound-pause-banner" not in client.get("/").content.decode()


def test_the_page_refuses_a_past_time_with_a_400_naming_it(alice, target):  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(alice)
    response = client.post(
        "/outbound/queue/", {"target": "newsroom", "text": "x", "due_at": "2001-01-01T00:00"}
    )
    assert response.status_code == 400
    assert "in the past" in response.content.decode()
    assert not ScheduledPost.objects.exists()
