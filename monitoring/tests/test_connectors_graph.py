"""Facebook page, Instagram business and Threads connectors against payloads of Meta's
Graph API format, served from 127.0.0.1."""

from __future__ import annotations

import json

import pytest

from monitoring.connectors import SourceError, connector_for
from monitoring.models import Source
from monitoring.tests.feedserver import FeedServer, Reply

PAGE = "104857600000001"


def ok(data: dict) -> Reply:
    return Reply(
        body=json.dumps(data, ensure_ascii=False), headers={"Content-Type": "application/json"}
    )


def graph_error(status: int, code: int, message: str, **headers: str) -> Reply:
    body = {
        "error": {
            "message": message,
            "type": "OAuthException",
            "code": code,
            "error_subcode": 463 if code == 190 else None,
            "fbtrace_id": "AbCdEfGh123",
        }
    }
    return Reply(status, json.dumps(body), {"Content-Type": "application/json", **headers})


def paged(rows: list) -> dict:
    return {
        "data": rows,
        "paging": {
            "cursors": {"before": "QVFIUmx", "after": "QVFIUnR"},
            "next": "https://graph.facebook.com/v21.0/x?access_token=LEAKED&after=QVFIUnR",
        },
    }


FEED = paged(
    [
        {
            "id": f"{PAGE}_900001",
            "message": "我們的新品上市囉！",
            "created_time": "2026-11-24T08:00:00+0000",
            "updated_time": "2026-11-24T10:05:00+0000",
            "permalink_url": f"https://www.facebook.com/{PAGE}/posts/900001",
            "from": {"id": PAGE, "name": "Acme 台灣"},
        },
        {
            "id": f"{PAGE}_900002",
            "message": "你們的咖啡讓我拉肚子，請給個交代",
            "created_time": "2026-11-24T09:30:00+0000",
            "updated_time": "2026-11-24T09:30:00+0000",
            "permalink_url": f"https://www.facebook.com/{PAGE}/posts/900002",
            "from": {"id": "200000000000077", "name": "陳小姐"},
        },
    ]
)
COMMENTS = paged(
    [
        {
            "id": "900001_7001",
            "message": "上次的問題還沒處理吧",
            "created_time": "2026-11-24T10:05:00+0000",
            "from": {"id": "200000000000088", "name": "林先生"},
            "permalink_url": f"https://www.facebook.com/{PAGE}/posts/900001?comment_id=7001",
            "like_count": 7,
        },
        {
            "id": "900001_7002",
            "message": "您好，已私訊您",
            "created_time": "2026-11-24T10:06:00+0000",
            "from": {"id": PAGE, "name": "Acme 台灣"},
            "like_count": 0,
            "parent": {"id": "900001_7001"},
        },
    ]
)


@pytest.fixture
def token(monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("CRISISROOM_SOURCE_TEST_META_TOKEN", "EAAGtesttoken")


@pytest.fixture
def facebook(feed_server: FeedServer, allow_private, token) -> Source:  # type: ignore[no-untyped-def]
    feed_server.routes[f"/{PAGE}/feed"] = ok(FEED)
    feed_server.routes[f"/{PAGE}/tagged"] = ok(paged([]))
    feed_server.routes[f"/{PAGE}_900001/comments"] = ok(COMMENTS)
    feed_server.routes[f"/{PAGE}_900002/comments"] = ok(paged([]))
    return Source(
        kind="facebook",
        key="facebook-test",
        url=feed_server.base_url,
        config={"page_id": PAGE, "secret_env": "CRISISROOM_SOURCE_TEST_META_TOKEN"},
    )


def test_facebook_visitor_posts_and_comments_are_mentions_the_page_own_are_not(
    feed_server, facebook
):
    result = connector_for("facebook").fetch(facebook)

    by_id = {i["external_id"]: i for i in result.items}
    assert set(by_id) == {f"{PAGE}_900002", "900001_7001"}
    visitor = by_id[f"{PAGE}_900002"]
    assert visitor["author"] == "陳小姐"
    assert visitor["published_at"] == "2026-11-24T09:30:00+00:00"
    comment = by_id["900001_7001"]
    assert comment["reply_to"] == f"{PAGE}_900001" and comment["reactions"] == {"positive": 7}
    # The token travels in a header, never in a URL.
    assert all(r.headers["authorization"] == "Bearer EAAGtesttoken" for r in feed_server.requests)
    assert all("EAAG" not in r.path and "LEAKED" not in r.path for r in feed_server.requests)


def test_facebook_comments_are_read_again_only_when_the_post_moved(feed_server, facebook):
    facebook.cursor = connector_for("facebook").fetch(facebook).new_cursor
    feed_server.requests.clear()
    connector_for("facebook").fetch(facebook)
    assert [r.path.split("?")[0] for r in feed_server.requests] == [
        f"/{PAGE}/feed",
        f"/{PAGE}/tagged",
    ]


def test_facebook_empty_feed(feed_server, facebook):
    feed_server.routes[f"/{PAGE}/feed"] = ok({"data": []})
    assert connector_for("facebook").fetch(facebook).items == []


def test_facebook_rate_limit_waits_for_the_usage_header(feed_server, facebook):
    usage = json.dumps(
        {PAGE: [{"type": "pages", "call_count": 100, "estimated_time_to_regain_access": 12}]}
    )
    feed_server.routes[f"/{PAGE}/feed"] = graph_error(
        400,
        80001,
        "There have been too many calls to this Page account.",
        **{"X-Business-Use-Case-Usage": usage},
    )
    with pytest.raises(SourceError) as caught:
        connector_for("facebook").fetch(facebook)
    assert caught.value.retry and caught.value.retry_after == 12 * 60


def test_facebook_expired_token_pauses_and_malformed_is_transient(feed_server, facebook):
    feed_server.routes[f"/{PAGE}/feed"] = graph_error(
        400, 190, "Error validating access token: Session has expired."
    )
    with pytest.raises(SourceError, match="grant a new token") as caught:
        connector_for("facebook").fetch(facebook)
    assert not caught.value.retry
    feed_server.routes[f"/{PAGE}/feed"] = ok({"data": {"oops": 1}})
    with pytest.raises(SourceError, match="unexpected response shape") as caught:
        connector_for("facebook").fetch(facebook)
    assert caught.value.retry


IG = "17841400000000001"


@pytest.fixture
def instagram(feed_server: FeedServer, allow_private, token) -> Source:  # type: ignore[no-untyped-def]
    feed_server.routes[f"/{IG}/media"] = ok(
        {
            "data": [
                {
                    "id": "18000000000000101",
                    "caption": "冬季新品",
                    "timestamp": "2026-11-24T08:00:00+0000",
                    "permalink": "https://www.instagram.com/p/C0ffee1/",
                    "comments_count": 2,
                    "username": "acme.tw",
                }
            ]
        }
    )
    feed_server.routes["/18000000000000101/comments"] = ok(
        {
            "data": [
                {
                    "id": "17900000000000201",
                    "text": "喝了肚子痛 😡",
                    "timestamp": "2026-11-24T09:00:00+0000",
                    "username": "milktea_lover",
                    "like_count": 3,
                    "replies": {
                        "data": [
                            {
                                "id": "17900000000000202",
                                "text": "我也是！",
                                "timestamp": "2026-11-24T09:10:00+0000",
                                "username": "another_fan",
                                "like_count": 1,
                            },
                            {
                                "id": "17900000000000203",
                                "text": "很抱歉，已私訊",
                                "timestamp": "2026-11-24T09:20:00+0000",
                                "username": "acme.tw",
                            },
                        ]
                    },
                }
            ]
        }
    )
    feed_server.routes[f"/{IG}/tags"] = ok(
        {
            "data": [
                {
                    "id": "18000000000000999",
                    "caption": "@acme.tw 這杯太甜了",
                    "timestamp": "2026-11-24T07:00:00+0000",
                    "permalink": "https://www.instagram.com/p/T4gged/",
                    "username": "reviewer",
                }
            ]
        }
    )
    return Source(
        kind="instagram",
        key="instagram-test",
        url=feed_server.base_url,
        config={"ig_user_id": IG, "secret_env": "CRISISROOM_SOURCE_TEST_META_TOKEN"},
    )


def test_instagram_comments_replies_and_tags(feed_server, instagram):
    items = connector_for("instagram").fetch(instagram).items
    by_id = {i["external_id"]: i for i in items}
    assert set(by_id) == {"17900000000000201", "17900000000000202", "18000000000000999"}
    assert by_id["17900000000000201"]["reply_to"] == "18000000000000101"
    assert by_id["17900000000000202"]["reply_to"] == "17900000000000201"
    assert by_id["17900000000000201"]["url"] == "https://www.instagram.com/p/C0ffee1/"
    assert by_id["18000000000000999"]["author"] == "reviewer"


def test_instagram_empty_and_rate_limited(feed_server, instagram):
    feed_server.routes[f"/{IG}/media"] = ok({"data": []})
    feed_server.routes[f"/{IG}/tags"] = ok({"data": []})
    assert connector_for("instagram").fetch(instagram).items == []
    feed_server.routes[f"/{IG}/media"] = graph_error(
        403,
        4,
        "Application request limit reached",
        **{"X-App-Usage": json.dumps({"call_count": 100, "total_time": 20, "total_cputime": 9})},
    )
    with pytest.raises(SourceError) as caught:
        connector_for("instagram").fetch(instagram)
    assert caught.value.retry and caught.value.retry_after == 300


@pytest.fixture
def threads(feed_server: FeedServer, allow_private, token) -> Source:  # type: ignore[no-untyped-def]
    feed_server.routes["/keyword_search"] = ok(
        {
            "data": [
                {
                    "id": "18100000000000301",
                    "text": "Acme 咖啡又出包了 #避雷",
                    "timestamp": "2026-11-24T10:00:00+0000",
                    "username": "tw_foodie",
                    "permalink": "https://www.threads.net/@tw_foodie/post/DAbc1",
                    "is_reply": False,
                }
            ]
        }
    )
    feed_server.routes["/me/threads"] = ok(
        {"data": [{"id": "18100000000000400", "timestamp": "2026-11-24T06:00:00+0000"}]}
    )
    feed_server.routes["/18100000000000400/replies"] = ok(
        {
            "data": [
                {
                    "id": "18100000000000401",
                    "text": "退費流程在哪？",
                    "timestamp": "2026-11-24T10:30:00+0000",
                    "username": "customer_a",
                    "permalink": "https://www.threads.net/@customer_a/post/DAbc2",
                    "is_reply": True,
                    "replied_to": {"id": "18100000000000400"},
                    "root_post": {"id": "18100000000000400"},
                }
            ],
            "paging": {"cursors": {"before": "b", "after": "a"}},
        }
    )
    return Source(
        kind="threads",
        key="threads-test",
        url=feed_server.base_url,
        config={"query": "Acme 咖啡", "secret_env": "CRISISROOM_SOURCE_TEST_META_TOKEN"},
    )


def test_threads_keyword_search_and_replies_to_the_brand_posts(feed_server, threads):
    result = connector_for("threads").fetch(threads)
    by_id = {i["external_id"]: i for i in result.items}
    assert set(by_id) == {"18100000000000301", "18100000000000401"}
    assert by_id["18100000000000401"]["reply_to"] == "18100000000000400"
    assert "reply_to" not in by_id["18100000000000301"]
    search = feed_server.requests[0].path
    assert search.startswith("/keyword_search?") and "search_type=RECENT" in search
    assert result.new_cursor["since"] == 1795514400  # 2026-11-24T10:00Z

    threads.cursor = result.new_cursor
    connector_for("threads").fetch(threads)
    assert "since=1795514400" in feed_server.requests[-3].path


def test_threads_empty_rate_limited_and_malformed(feed_server, threads):
    feed_server.routes["/keyword_search"] = ok({"data": []})
    feed_server.routes["/me/threads"] = ok({"data": []})
    assert connector_for("threads").fetch(threads).items == []
    feed_server.routes["/keyword_search"] = graph_error(
        429, 613, "Calls to this api have exceeded the rate limit."
    )
    with pytest.raises(SourceError) as caught:
        connector_for("threads").fetch(threads)
    assert caught.value.retry
    feed_server.routes["/keyword_search"] = Reply(body="<html>502</html>")
    with pytest.raises(SourceError, match="not JSON") as caught:
        connector_for("threads").fetch(threads)
    assert caught.value.retry
