"""The source form for the newer kinds: what each needs (both languages), news search
presets, and "test this source" (fetch once, show, store nothing)."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from monitoring.models import Mention, Source
from monitoring.tests.feedserver import Reply

pytestmark = pytest.mark.django_db
PAYLOADS = Path(__file__).parent / "payloads"


def _client(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def form(**fields):  # type: ignore[no-untyped-def]
    return {"poll_interval_seconds": 300, "config": "{}", **fields}


def test_the_form_says_what_each_kind_needs_in_both_languages(alice):
    page = _client(alice).get(reverse("sources:new")).content.decode()
    assert "over-18 consent" in page and "YouTube Data API v3" in page
    assert "app review" in page.lower() and "Google News search (Taiwan" in page
    zh = _client(alice).get(reverse("sources:new"), headers={"Accept-Language": "zh-hant"})
    text = zh.content.decode()
    assert "各類來源需要什麼" in text and "滿十八歲" in text and "應用程式審查" in text


def test_a_news_preset_makes_the_feed_url_from_the_query(alice):
    response = _client(alice).post(
        reverse("sources:new"),
        form(kind="rss", key="gn", preset="google_news_tw", search_query='全聯 "退貨" when:1d'),
    )
    assert response.status_code == 302
    source = Source.objects.get(key="gn")
    assert source.url == (
        "https://news.google.com/rss/search?q=%E5%85%A8%E8%81%AF+%22%E9%80%80%E8%B2%A8%22"
        "+when%3A1d&hl=zh-TW&gl=TW&ceid=TW:zh-Hant"
    )
    assert source.platform == "news"
    # Editing shows the preset and the query again.
    page = _client(alice).get(reverse("sources:edit", args=[source.pk])).content.decode()
    assert 'value="google_news_tw" selected' in page and "when:1d" in page


def test_a_preset_without_a_query_or_on_another_kind_is_refused(alice):
    client = _client(alice)
    response = client.post(reverse("sources:new"), form(kind="rss", key="x", preset="yahoo_tw"))
    assert response.status_code == 400 and "Type what to search for" in response.content.decode()
    response = client.post(
        reverse("sources:new"),
        form(kind="ptt", key="y", preset="yahoo_tw", search_query="a", config='{"boards": "a1"}'),
    )
    assert response.status_code == 400 and "choose the RSS kind" in response.content.decode()
    assert not Source.objects.exists()


def test_testing_a_new_source_shows_the_first_items_and_stores_nothing(
    alice, feed_server, allow_private
):
    board = "MobileComm"
    feed_server.routes[f"/bbs/{board}/index.html"] = Reply(
        body=(PAYLOADS / "ptt_index.html").read_text()
    )
    for name, article in (
        ("ptt_article_1.html", "M.1795518000.A.1F3"),
        ("ptt_article_2.html", "M.1795521600.A.2B7"),
    ):
        feed_server.routes[f"/bbs/{board}/{article}.html"] = Reply(
            body=(PAYLOADS / name).read_text()
        )
    response = _client(alice).post(
        reverse("sources:test"),
        form(kind="ptt", key="ptt-mc", url=feed_server.base_url, config='{"boards": "MobileComm"}'),
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "7 items fetched; the newest 7" in page
    assert "爛透了 退貨" in page and "[情報] Acme 客服回應當機問題" in page
    assert "2 up, 1 down" in page  # the first article's 推/噓
    assert not Source.objects.exists() and not Mention.objects.exists()


def test_testing_a_saved_source_shows_the_error_and_leaves_its_row_alone(
    alice, feed_server, allow_private
):
    source = Source.objects.create(
        kind="dcard",
        key="dcard-3c",
        url=feed_server.base_url,
        config={"forums": "3c"},
        cursor={"last": {"3c": 5}},
    )
    feed_server.routes["/service/api/v2/forums/3c/posts"] = Reply(
        429, '{"error": 1202, "message": "Too many requests"}', {"Retry-After": "30"}
    )
    response = _client(alice).post(
        reverse("sources:test", args=[source.pk]),
        form(
            kind="dcard",
            key="dcard-3c",
            url=feed_server.base_url,
            config='{"forums": "3c, mobile"}',
        ),
    )
    page = response.content.decode()
    assert "Failed (would be retried)" in page and "HTTP 429" in page
    source.refresh_from_db()
    assert source.config == {"forums": "3c"} and source.cursor == {"last": {"3c": 5}}
    assert source.consecutive_failures == 0 and source.last_error == ""


def test_the_youtube_quota_spent_today_is_on_the_source_page(alice):
    from datetime import UTC, datetime

    from monitoring.connectors.youtube import quota_day

    Source.objects.create(
        kind="youtube",
        key="yt",
        config={"query": "acme", "secret_env": "YT"},
        cursor={"quota": {"day": quota_day(datetime.now(UTC)), "used": 4321}},
    )
    page = _client(alice).get(reverse("sources:list")).content.decode()
    assert "Quota today: 4,321 of 10,000 units" in page


def test_viewers_cannot_test_sources(bob, charlie):
    for user in (bob, charlie):
        response = _client(user).post(reverse("sources:test"), form(kind="rss", key="x"))
        assert response.status_code == 403
