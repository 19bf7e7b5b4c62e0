"""YouTube Data API v3 connector against payloads of the API's format, from 127.0.0.1."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from monitoring.connectors import SourceError
from monitoring.connectors.youtube import YouTubeConnector, quota_day, seconds_to_reset
from monitoring.models import Source
from monitoring.tests.feedserver import FeedServer, Reply

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)

SEARCH = {
    "kind": "youtube#searchListResponse",
    "etag": "q1w2e3",
    "nextPageToken": "CAUQAA",
    "regionCode": "TW",
    "pageInfo": {"totalResults": 2, "resultsPerPage": 50},
    "items": [
        {
            "kind": "youtube#searchResult",
            "etag": "a1",
            "id": {"kind": "youtube#video", "videoId": "dQw4w9WgXcQ"},
            "snippet": {
                "publishedAt": "2026-11-24T10:30:00Z",
                "channelId": "UCcritic",
                "title": "Acme手機 當機實測 &amp; 退貨過程",
                "description": "更新後一直重開機…",
                "thumbnails": {
                    "default": {"url": "https://i.ytimg.com/vi/dQw4w9WgXcQ/default.jpg"}
                },
                "channelTitle": "3C評測室",
                "liveBroadcastContent": "none",
                "publishTime": "2026-11-24T10:30:00Z",
            },
        }
    ],
}


def thread(cid: str, video: str, text: str, at: str, likes: int = 0) -> dict:
    return {
        "kind": "youtube#commentThread",
        "etag": "t" + cid,
        "id": cid,
        "snippet": {
            "channelId": "UCcritic",
            "videoId": video,
            "topLevelComment": {
                "kind": "youtube#comment",
                "etag": "c" + cid,
                "id": cid,
                "snippet": {
                    "channelId": "UCcritic",
                    "videoId": video,
                    "textDisplay": text,
                    "textOriginal": text,
                    "authorDisplayName": "@viewer" + cid[-2:],
                    "authorProfileImageUrl": "https://yt3.ggpht.com/x",
                    "authorChannelUrl": "http://www.youtube.com/@viewer",
                    "authorChannelId": {"value": "UCviewer"},
                    "canRate": True,
                    "viewerRating": "none",
                    "likeCount": likes,
                    "publishedAt": at,
                    "updatedAt": at,
                },
            },
            "canReply": True,
            "totalReplyCount": 0,
            "isPublic": True,
        },
    }


def threads(*items: dict) -> dict:
    return {
        "kind": "youtube#commentThreadListResponse",
        "etag": "x",
        "pageInfo": {"totalResults": len(items), "resultsPerPage": 100},
        "items": list(items),
    }


def error(code: int, reason: str, message: str, domain: str = "youtube.quota") -> Reply:
    return Reply(
        code,
        json.dumps(
            {
                "error": {
                    "code": code,
                    "message": message,
                    "errors": [{"message": message, "domain": domain, "reason": reason}],
                }
            }
        ),
        {"Content-Type": "application/json; charset=UTF-8"},
    )


def ok(data: dict) -> Reply:
    return Reply(
        body=json.dumps(data, ensure_ascii=False), headers={"Content-Type": "application/json"}
    )


@pytest.fixture
def youtube(feed_server: FeedServer, allow_private, monkeypatch) -> Source:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("CRISISROOM_SOURCE_TEST_YOUTUBE_KEY", "AIzaTestKey")
    feed_server.routes["/youtube/v3/search"] = ok(SEARCH)
    feed_server.routes["/youtube/v3/commentThreads"] = lambda seen: ok(
        threads(
            thread("UgxA1", "dQw4w9WgXcQ", "退貨了 爛", "2026-11-24T11:00:00Z", likes=4),
            thread("UgxA2", "dQw4w9WgXcQ", "我的正常", "2026-11-24T11:05:00Z"),
        )
        if "videoId=dQw4w9WgXcQ" in seen.path
        else threads(thread("UgzOwn1", "ownVideo01", "Acme 官方快回應", "2026-11-24T11:30:00Z"))
    )
    return Source(
        kind="youtube",
        key="youtube-test",
        url=feed_server.base_url,
        config={
            "query": "Acme手機",
            "channel_id": "UCacme",
            "secret_env": "CRISISROOM_SOURCE_TEST_YOUTUBE_KEY",
        },
    )


def connector() -> YouTubeConnector:
    c = YouTubeConnector()
    c.now = NOW
    return c


def test_videos_and_comment_threads_become_mentions_and_quota_is_counted(feed_server, youtube):
    result = connector().fetch(youtube)

    by_id = {i["external_id"]: i for i in result.items}
    assert set(by_id) == {"dQw4w9WgXcQ", "UgxA1", "UgxA2", "UgzOwn1"}
    video = by_id["dQw4w9WgXcQ"]
    assert video["text"] == "Acme手機 當機實測 & 退貨過程\n更新後一直重開機…"
    assert video["url"] == "https://www.youtube.com/watch?v=dQw4w9WgXcQ"
    assert video["author"] == "3C評測室"
    comment = by_id["UgxA1"]
    assert comment["reply_to"] == "dQw4w9WgXcQ" and comment["reactions"] == {"positive": 4}
    assert comment["url"] == "https://www.youtube.com/watch?v=dQw4w9WgXcQ&lc=UgxA1"
    assert by_id["UgzOwn1"]["reply_to"] == "ownVideo01"
    # One search (100 units) and two pages of comment threads (1 each).
    assert result.new_cursor["quota"] == {"day": "2026-11-24", "used": 102}
    search = feed_server.requests[0].path
    assert search.startswith("/youtube/v3/search?")
    assert "order=date" in search and "type=video" in search
    assert feed_server.requests[0].headers["x-goog-api-key"] == "AIzaTestKey"
    assert all("AIza" not in r.path for r in feed_server.requests)
    assert "allThreadsRelatedToChannelId=UCacme" in feed_server.requests[-1].path


def test_the_next_poll_skips_the_search_until_it_is_due_and_reads_only_new_comments(
    feed_server, youtube
):
    youtube.cursor = connector().fetch(youtube).new_cursor
    feed_server.requests.clear()
    again = connector().fetch(youtube)
    assert again.items == []
    assert all("/search" not in r.path for r in feed_server.requests)
    assert again.new_cursor["quota"]["used"] == 104


def test_an_empty_search_and_empty_threads_yield_nothing(feed_server, youtube):
    feed_server.routes["/youtube/v3/search"] = ok({**SEARCH, "items": []})
    feed_server.routes["/youtube/v3/commentThreads"] = ok(threads())
    result = connector().fetch(youtube)
    assert result.items == [] and result.new_cursor["videos"] == {}


def test_quota_exceeded_waits_until_midnight_pacific(feed_server, youtube):
    feed_server.routes["/youtube/v3/search"] = error(
        403,
        "quotaExceeded",
        "The request cannot be completed because you have exceeded your quota.",
    )
    with pytest.raises(SourceError) as caught:
        connector().fetch(youtube)
    assert caught.value.retry
    assert caught.value.retry_after == seconds_to_reset(NOW) == 20 * 3600  # 04:00 PST → 24:00
    assert quota_day(NOW) == "2026-11-24"


def test_rate_limited_is_transient(feed_server, youtube):
    feed_server.routes["/youtube/v3/search"] = error(
        403, "rateLimitExceeded", "Rate limit exceeded", "youtube.api"
    )
    with pytest.raises(SourceError) as caught:
        connector().fetch(youtube)
    assert caught.value.retry and caught.value.retry_after == 60


def test_the_local_budget_stops_before_the_api_would(feed_server, youtube):
    youtube.config = {**youtube.config, "quota_per_day": 150}
    youtube.cursor = {"quota": {"day": "2026-11-24", "used": 100}}
    with pytest.raises(SourceError, match="quota budget") as caught:
        connector().fetch(youtube)
    assert caught.value.retry and feed_server.requests == []


def test_comments_disabled_drops_the_video_and_a_bad_key_pauses(feed_server, youtube):
    feed_server.routes["/youtube/v3/commentThreads"] = error(
        403, "commentsDisabled", "The video has disabled comments.", "youtube.commentThread"
    )
    result = connector().fetch(youtube)
    assert [i["external_id"] for i in result.items] == ["dQw4w9WgXcQ"]
    assert result.new_cursor["videos"] == {}
    feed_server.routes["/youtube/v3/search"] = error(
        400, "keyInvalid", "API key not valid. Please pass a valid API key.", "usageLimits"
    )
    with pytest.raises(SourceError) as caught:
        connector().fetch(youtube)
    assert not caught.value.retry


def test_a_malformed_answer_is_transient(feed_server, youtube):
    feed_server.routes["/youtube/v3/search"] = ok({"items": "nope"})
    with pytest.raises(SourceError, match="unexpected response shape") as caught:
        connector().fetch(youtube)
    assert caught.value.retry


def test_the_key_must_be_in_the_environment(feed_server, youtube, monkeypatch):
    monkeypatch.delenv("CRISISROOM_SOURCE_TEST_YOUTUBE_KEY")
    with pytest.raises(SourceError, match="CRISISROOM_SOURCE_TEST_YOUTUBE_KEY") as caught:
        connector().fetch(youtube)
    assert not caught.value.retry and feed_server.requests == []
