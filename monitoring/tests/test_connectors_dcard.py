"""Dcard connector against its public JSON (service/api/v2), served from 127.0.0.1."""

from __future__ import annotations

import json

import pytest

from monitoring.connectors import SourceError, connector_for
from monitoring.models import Source
from monitoring.tests.feedserver import FeedServer, Reply


def dcard_post(pid: int, title: str, comments: int = 0, **extra) -> dict:  # type: ignore[no-untyped-def]
    return {
        "id": pid,
        "title": title,
        "excerpt": extra.pop("excerpt", "更新之後就一直閃退，有人一樣嗎"),
        "anonymousSchool": False,
        "anonymousDepartment": True,
        "pinned": False,
        "forumId": "5b4b1b4e-8b1e-4e7e-9a9b-3f0f6f9c1a11",
        "replyId": None,
        "createdAt": extra.pop("createdAt", "2026-11-24T10:00:00.000Z"),
        "updatedAt": "2026-11-24T10:00:00.000Z",
        "commentCount": comments,
        "likeCount": extra.pop("likeCount", 12),
        "withNickname": False,
        "tags": [],
        "topics": ["Acme"],
        "forumName": "3C",
        "forumAlias": "3c",
        "gender": "F",
        "school": "國立臺灣大學",
        "department": "",
        "reactions": [{"id": "286f599c-f86a-4932-82f0-f5a06f1eca03", "count": 12}],
        "hidden": False,
        "nsfw": False,
        "mediaMeta": [],
        **extra,
    }


def dcard_comment(post_id: int, floor: int, content: str, **extra) -> dict:  # type: ignore[no-untyped-def]
    return {
        "id": f"c0ffee00-0000-4000-8000-{post_id:06d}{floor:06d}",
        "anonymous": True,
        "postId": post_id,
        "createdAt": f"2026-11-24T10:{floor:02d}:00.000Z",
        "updatedAt": f"2026-11-24T10:{floor:02d}:00.000Z",
        "floor": floor,
        "content": content,
        "likeCount": 3,
        "withNickname": False,
        "hiddenByAuthor": False,
        "gender": "M",
        "school": "",
        "host": False,
        "hidden": False,
        "inReview": False,
        "edited": False,
        **extra,
    }


def as_json(data: object, status: int = 200, **headers: str) -> Reply:
    return Reply(
        status,
        json.dumps(data, ensure_ascii=False),
        {"Content-Type": "application/json", **headers},
    )


@pytest.fixture
def dcard(feed_server: FeedServer, allow_private, settings) -> Source:  # type: ignore[no-untyped-def]
    settings.SOURCES_DCARD_REQUEST_GAP_SECONDS = 0
    feed_server.routes["/service/api/v2/forums/3c/posts"] = as_json(
        [
            dcard_post(255000002, "Acme手機 閃退", comments=2),
            dcard_post(
                255000001, "Acme 客服好慢", comments=0, createdAt="2026-11-24T09:00:00.000Z"
            ),
        ]
    )
    feed_server.routes["/service/api/v2/posts/255000002/comments"] = as_json(
        [
            dcard_comment(255000002, 1, "我也是 超爛"),
            dcard_comment(255000002, 2, "已刪除", hiddenByAuthor=True),
        ]
    )
    return Source(kind="dcard", key="dcard-test", url=feed_server.base_url, config={"forums": "3c"})


def test_posts_and_comments_become_mentions_with_likes_as_reactions(feed_server, dcard):
    result = connector_for("dcard").fetch(dcard)

    ids = [item["external_id"] for item in result.items]
    assert ids == ["255000001", "255000002", "c0ffee00-0000-4000-8000-255000002000001"]
    post = result.items[1]
    assert post["text"] == "Acme手機 閃退\n更新之後就一直閃退，有人一樣嗎"
    assert post["url"] == "https://www.dcard.tw/f/3c/p/255000002"
    assert post["published_at"] == "2026-11-24T10:00:00+00:00"
    assert post["author"] == "國立臺灣大學"
    assert post["reactions"] == {"positive": 12}
    comment = result.items[2]
    assert comment["reply_to"] == "255000002" and comment["author"] == "匿名"
    assert comment["url"] == "https://www.dcard.tw/f/3c/p/255000002/b/1"
    listing = feed_server.requests[0].path
    assert "popular=false" in listing and "limit=30" in listing
    assert result.new_cursor["last"] == {"3c": 255000002}


def test_the_next_poll_reads_only_new_comments_from_the_last_floor(feed_server, dcard):
    dcard.cursor = connector_for("dcard").fetch(dcard).new_cursor
    feed_server.requests.clear()
    assert connector_for("dcard").fetch(dcard).items == []
    assert [r.path.split("?")[0] for r in feed_server.requests] == [
        "/service/api/v2/forums/3c/posts"
    ]

    feed_server.routes["/service/api/v2/forums/3c/posts"] = as_json(
        [dcard_post(255000002, "Acme手機 閃退", comments=3)]
    )
    feed_server.routes["/service/api/v2/posts/255000002/comments"] = as_json(
        [dcard_comment(255000002, 3, "退貨了")]
    )
    result = connector_for("dcard").fetch(dcard)
    assert [i["text"] for i in result.items] == ["退貨了"]
    assert "after=2" in feed_server.requests[-1].path


def test_search_is_read_with_the_query(feed_server, dcard):
    dcard.config = {"query": "Acme 閃退"}
    feed_server.routes["/service/api/v2/search/posts"] = as_json(
        [dcard_post(255000009, "Acme 又閃退", forumAlias="mobile")]
    )
    (item,) = connector_for("dcard").fetch(dcard).items
    assert item["url"] == "https://www.dcard.tw/f/mobile/p/255000009"
    assert "query=Acme+%E9%96%83%E9%80%80" in feed_server.requests[0].path


def test_an_empty_forum_yields_nothing(feed_server, dcard):
    feed_server.routes["/service/api/v2/forums/3c/posts"] = as_json([])
    result = connector_for("dcard").fetch(dcard)
    assert result.items == [] and result.new_cursor["last"] == {"3c": 0}


def test_rate_limited_and_cloudflare_challenge_are_transient(feed_server, dcard):
    feed_server.routes["/service/api/v2/forums/3c/posts"] = as_json(
        {"error": 1202, "message": "Too many requests"}, 429, **{"Retry-After": "30"}
    )
    with pytest.raises(SourceError) as caught:
        connector_for("dcard").fetch(dcard)
    assert caught.value.retry and caught.value.retry_after == 30

    feed_server.routes["/service/api/v2/forums/3c/posts"] = Reply(
        403,
        "<!DOCTYPE html><html><head><title>Just a moment...</title></head></html>",
        {"Content-Type": "text/html", "cf-mitigated": "challenge"},
    )
    with pytest.raises(SourceError, match="Cloudflare") as caught:
        connector_for("dcard").fetch(dcard)
    assert caught.value.retry


def test_a_malformed_answer_is_a_transient_error(feed_server, dcard):
    feed_server.routes["/service/api/v2/forums/3c/posts"] = as_json({"posts": "nope"})
    with pytest.raises(SourceError, match="unexpected response shape") as caught:
        connector_for("dcard").fetch(dcard)
    assert caught.value.retry
    feed_server.routes["/service/api/v2/forums/3c/posts"] = Reply(body="[{oops")
    with pytest.raises(SourceError, match="not JSON"):
        connector_for("dcard").fetch(dcard)


def test_a_source_without_forums_or_query_is_refused(dcard):
    dcard.config = {}
    with pytest.raises(SourceError) as caught:
        connector_for("dcard").fetch(dcard)
    assert not caught.value.retry
