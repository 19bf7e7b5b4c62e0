"""The outbound queue across processes: Daphne and a real Celery worker on
PostgreSQL and Redis, a local HTTP server as the social network and as another
tool's webhook endpoint. A post queued before the pause is held and not sent while
paused (the worker sweeps and sends nothing); after resume it goes out exactly once;
the endpoint receives outbound.paused and outbound.resumed, and their HMAC
signatures verify."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
from datetime import timedelta

import pytest
from django.utils import timezone

from crisisroom.celery import app
from crisisroom.models import OutgoingWebhook
from crisisroom.services.users import api_token_create
from playbook.models import PublishTarget, ScheduledPost
from tests.http_receiver import Receiver

pytestmark = [pytest.mark.flow]
SECRET = "whsec-test-0123456789"


def _api(stack, token, method, path, body=None):  # type: ignore[no-untyped-def]
    request = urllib.request.Request(
        f"{stack.base_url}/api/v1{path}",
        data=json.dumps(body).encode() if body is not None else None,
        method=method,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def _sweeps_done(stack) -> int:  # type: ignore[no-untyped-def]
    log = stack.logs[0].read_text(errors="replace")
    return sum(
        1
        for line in log.splitlines()
        if "scheduled_posts_sweep_task[" in line and "succeeded" in line
    )


def _sweep_on_the_worker(stack) -> None:  # type: ignore[no-untyped-def]
    """What beat does every SCHEDULED_POSTS_SWEEP_SECONDS: one sweep, run by the worker."""
    before = _sweeps_done(stack)
    app.send_task("playbook.tasks.scheduled_posts_sweep_task", queue=stack.env["CELERY_QUEUE"])
    deadline = time.monotonic() + 30
    while _sweeps_done(stack) <= before:
        assert time.monotonic() < deadline, "the worker did not run the sweep"
        time.sleep(0.1)


def _verified(hit) -> dict:  # type: ignore[no-untyped-def]
    expected = "sha256=" + hmac.new(SECRET.encode(), hit.body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(hit.headers["x-crisisroom-signature"], expected)
    body = json.loads(hit.body)
    assert hit.headers["x-crisisroom-timestamp"] == str(body["timestamp"])
    assert abs(body["timestamp"] - time.time()) < 120
    return body


def test_a_paused_post_is_held_by_the_worker_and_sent_once_after_resume(live_stack, alice):  # type: ignore[no-untyped-def]
    with Receiver() as receiver:
        PublishTarget.objects.create(
            name="newsroom", kind="webhook", base_url=f"{receiver.url}/publish"
        )
        OutgoingWebhook.objects.create(name="Buffer", url=f"{receiver.url}/hooks", secret=SECRET)
        token = api_token_create(user=alice)

        due = timezone.now() + timedelta(seconds=3)
        status, post = _api(
            live_stack,
            token,
            "POST",
            "/scheduled-posts",
            {"channel": "newsroom", "body": "Our 5 pm update", "at": due.isoformat()},
        )
        assert status == 201 and post["state"] == "queued", post

        status, paused = _api(live_stack, token, "POST", "/outbound/pause", {"reason": "Crisis"})
        assert status == 200 and paused["paused"]["reason"] == "Crisis"
        (hit,) = receiver.wait_for("/hooks", 1)
        event = _verified(hit)
        assert event["type"] == "outbound.paused" and event["data"]["held"] == 1
        assert ScheduledPost.objects.get().state == "held"

        # The post is due now; the worker sweeps (as beat would) and sends nothing.
        while timezone.now() <= due:
            time.sleep(0.2)
        _sweep_on_the_worker(live_stack)
        _sweep_on_the_worker(live_stack)
        assert receiver.at("/publish") == []
        assert ScheduledPost.objects.get().state == "held"

        resumed_at = time.monotonic()
        status, _ = _api(live_stack, token, "POST", "/outbound/resume", {})
        assert status == 200
        (published,) = receiver.wait_for("/publish", 1)
        took = time.monotonic() - resumed_at
        assert published.json()["text"] == "Our 5 pm update"
        resumed = _verified(receiver.wait_for("/hooks", 2)[1])
        assert resumed["type"] == "outbound.resumed" and resumed["data"]["released"] == 1
        assert resumed["id"] != event["id"]

        # More sweeps: still exactly one post on the network.
        _sweep_on_the_worker(live_stack)
        _sweep_on_the_worker(live_stack)
        assert len(receiver.at("/publish")) == 1
        row = ScheduledPost.objects.get()
        assert row.state == "sent" and row.attempts == 1
        assert row.external_url.startswith("https://social.example/p/")
        status, listed = _api(live_stack, token, "GET", "/scheduled-posts?state=sent")
        assert [p["id"] for p in listed["scheduled_posts"]] == [post["id"]]
        print(f"FIGURE resume -> post on the network: {took:.2f} s")


def test_bad_input_gets_a_clear_400_from_the_running_server(live_stack, alice):  # type: ignore[no-untyped-def]
    PublishTarget.objects.create(name="newsroom", kind="webhook", base_url="http://127.0.0.1:9/")
    token = api_token_create(user=alice)
    status, body = _api(
        live_stack,
        token,
        "POST",
        "/scheduled-posts",
        {"channel": "newsroom", "body": "x", "at": "yesterday"},
    )
    assert status == 400 and body["error"].startswith("at is not an ISO 8601 date-time")
    status, body = _api(live_stack, token, "POST", "/scheduled-posts", {"channel": "newsroom"})
    assert status == 400 and body["error"] == "body is required"
    assert not ScheduledPost.objects.exists()
