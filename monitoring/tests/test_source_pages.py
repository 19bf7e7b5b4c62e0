"""The sources health page: admins only; state, errors, pause/resume, add/edit."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from monitoring.models import Source

pytestmark = pytest.mark.django_db


def _client(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def failing() -> Source:
    return Source.objects.create(
        kind="rss",
        key="coffee-news",
        name="Coffee News",
        url="https://news.example.com/feed.xml",
        consecutive_failures=3,
        last_error="https://news.example.com/feed.xml: HTTP 500",
        last_error_at=timezone.now(),
        last_success_at=timezone.now() - timedelta(hours=2),
        next_poll_at=timezone.now() + timedelta(minutes=40),
        config={"query": "acme", "secret_env": "CRISISROOM_SOURCE_NEWS_TOKEN"},
    )


def test_admins_see_each_sources_health(alice, failing, django_assert_max_num_queries):
    Source.objects.create(kind="api", key="twitter")
    Source.objects.create(kind="mastodon", key="m2", url="https://m.example", paused=True)
    client = _client(alice)
    with django_assert_max_num_queries(4):  # session, user, sources with their brands
        response = client.get(reverse("sources:list"))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Coffee News" in page and "Failing" in page and "HTTP 500" in page
    assert "Paused" in page and "Resume" in page
    assert "Pushed (not polled)" in page


@pytest.mark.parametrize("who", ["bob", "charlie", "dave"])
def test_everyone_else_is_refused(who, request, failing):
    user = request.getfixturevalue(who)
    client = _client(user)
    assert client.get(reverse("sources:list")).status_code == 403
    assert (
        client.post(reverse("sources:pause", args=[failing.pk]), {"paused": "1"}).status_code == 403
    )
    assert client.post(reverse("sources:new"), {"kind": "rss", "key": "x"}).status_code == 403
    failing.refresh_from_db()
    assert not failing.paused


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get(reverse("sources:list"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_an_admin_pauses_and_resumes_a_source(alice, failing):
    client = _client(alice)
    client.post(reverse("sources:pause", args=[failing.pk]), {"paused": "1"})
    failing.refresh_from_db()
    assert failing.paused
    client.post(reverse("sources:pause", args=[failing.pk]), {"paused": "0"})
    failing.refresh_from_db()
    assert not failing.paused and failing.next_poll_at <= timezone.now()


def test_an_admin_adds_a_feed_which_is_due_at_once(alice, brand):
    response = _client(alice).post(
        reverse("sources:new"),
        {
            "kind": "rss",
            "key": "alerts",
            "name": "Google Alerts",
            "platform": "news",
            "url": "https://www.google.com/alerts/feeds/1/2",
            "brand": brand.pk,
            "config": "{}",
            "poll_interval_seconds": 300,
        },
    )
    assert response.status_code == 302
    source = Source.objects.get(key="alerts")
    assert source.brand == brand and source.next_poll_at <= timezone.now()


def test_a_new_source_without_a_platform_gets_its_kinds(alice):
    _client(alice).post(
        reverse("sources:new"),
        {
            "kind": "mastodon",
            "key": "m",
            "url": "https://mastodon.example",
            "config": '{"hashtag": "acme"}',
            "poll_interval_seconds": 300,
        },
    )
    assert Source.objects.get(key="m").platform == "mastodon"


def test_the_form_refuses_secrets_in_the_config(alice):
    response = _client(alice).post(
        reverse("sources:new"),
        {
            "kind": "bluesky",
            "key": "b",
            "config": '{"query": "a", "app_password": "hunter2"}',
            "poll_interval_seconds": 300,
        },
    )
    assert response.status_code == 400
    assert "environment variable" in response.content.decode()
    assert not Source.objects.filter(key="b").exists()


def test_editing_the_url_forgets_the_old_cursor(alice, failing):
    failing.cursor, failing.etag = {"since_id": "9"}, '"v1"'
    failing.save()
    _client(alice).post(
        reverse("sources:edit", args=[failing.pk]),
        {
            "kind": "rss",
            "key": failing.key,
            "url": "https://other.example/feed",
            "config": "{}",
            "poll_interval_seconds": 300,
        },
    )
    failing.refresh_from_db()
    assert failing.url == "https://other.example/feed"
    assert failing.cursor == {} and failing.etag == ""


def test_the_page_is_translated_to_traditional_chinese(alice, failing):
    client = _client(alice)
    response = client.get(reverse("sources:list"), headers={"Accept-Language": "zh-hant"})
    assert response.status_code == 200
    page = response.content.decode()
    assert 'lang="zh-Hant"' in page
    assert "失敗中" in page and "Failing" not in page  # the failing source's health


def test_htmx_refresh_renders_only_the_rows(alice, failing):
    response = _client(alice).get(reverse("sources:list"), headers={"HX-Request": "true"})
    body = response.content.decode()
    assert "Coffee News" in body and "<h1>" not in body


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/feed",
        "http://localhost/feed",
        "http://[::1]/x",
        "http://192.168.1.10/rss",
    ],
)
def test_the_form_refuses_a_private_address_unless_allowed(alice, url, settings):
    data = {
        "kind": "rss",
        "key": "intranet",
        "url": url,
        "config": "{}",
        "poll_interval_seconds": 300,
    }
    response = _client(alice).post(reverse("sources:new"), data)
    assert "private network" in response.content.decode()
    assert not Source.objects.filter(key="intranet").exists()

    settings.SOURCES_ALLOW_PRIVATE_ADDRESSES = True
    assert _client(alice).post(reverse("sources:new"), data).status_code == 302
