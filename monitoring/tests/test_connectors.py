"""Connectors against payloads of each network's real format, served from 127.0.0.1."""

from __future__ import annotations

import gzip
import json
import threading
from datetime import UTC, datetime

import pytest

from foundation.http import parse_retry_after, post_json
from monitoring.connectors import SourceError, connector_for
from monitoring.models import Source
from monitoring.tests.feedserver import FeedServer, Reply

RSS = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel>
  <title>Coffee News</title><language>en</language>
  <item>
    <title>Acme Coffee recall &amp; refunds</title>
    <link>https://news.example.com/acme-recall</link>
    <guid isPermaLink="false">news-1</guid>
    <pubDate>Tue, 24 Nov 2026 10:00:00 GMT</pubDate>
    <description><![CDATA[<p>Customers say the <b>Acme Coffee</b> beans &ldquo;tasted burnt&rdquo;.</p>]]></description>
  </item>
  <item>
    <title>Acme Coffee opens a new store</title>
    <link>https://news.example.com/acme-store</link>
    <guid>news-2</guid>
    <description>No date on this one &#8212; entities still decode.</description>
  </item>
  <item>
    <title>Duplicate of the recall story</title>
    <guid isPermaLink="false">news-1</guid>
    <pubDate>Tue, 24 Nov 2026 10:05:00 GMT</pubDate>
  </item>
</channel></rss>"""

GOOGLE_ALERTS_ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:idx="urn:atom-extension:indexing">
  <id>tag:google.com,2005:reader/user/0/state/com.google/alerts/123</id>
  <title>Google Alert - Acme Coffee</title>
  <updated>2026-11-24T09:00:00Z</updated>
  <entry>
    <id>tag:google.com,2013:googlealerts/feed:987</id>
    <title type="html">&lt;b&gt;Acme Coffee&lt;/b&gt; faces boycott calls</title>
    <link href="https://www.google.com/url?rct=j&amp;sa=t&amp;url=https://blog.example.org/acme-boycott&amp;ct=ga&amp;cd=x"/>
    <published>2026-11-24T08:59:00Z</published>
    <updated>2026-11-24T08:59:00Z</updated>
    <content type="html">Fans of &lt;b&gt;Acme Coffee&lt;/b&gt; are angry</content>
    <author><name/></author>
  </entry>
</feed>"""


def _source(kind: str, url: str, **extra) -> Source:  # type: ignore[no-untyped-def]
    return Source(kind=kind, key=f"{kind}-test", url=url, **extra)


@pytest.fixture
def rss_source(feed_server: FeedServer, allow_private) -> Source:  # type: ignore[no-untyped-def]
    return _source("rss", feed_server.url("/feed.xml"))


def test_rss_decodes_entities_and_cdata_strips_html_and_keeps_a_guid_once(feed_server, rss_source):
    feed_server.routes["/feed.xml"] = Reply(
        body=RSS, headers={"Content-Type": "application/rss+xml", "ETag": '"v1"'}
    )
    result = connector_for("rss").fetch(rss_source)

    assert [item["external_id"] for item in result.items] == ["news-1", "news-2"]
    first, second = result.items
    assert first["text"] == (
        "Acme Coffee recall & refunds\nCustomers say the Acme Coffee beans \u201ctasted burnt\u201d."
    )
    assert first["published_at"] == "2026-11-24T10:00:00+00:00"
    assert first["url"] == "https://news.example.com/acme-recall"
    assert first["lang"] == "en"
    assert "\u2014 entities still decode" in second["text"]
    assert result.etag == '"v1"'


def test_rss_gives_an_item_without_a_date_the_time_it_was_fetched(feed_server, rss_source):
    feed_server.routes["/feed.xml"] = Reply(
        body=RSS, headers={"Content-Type": "application/rss+xml"}
    )
    before = datetime.now(tz=UTC).replace(microsecond=0)
    items = connector_for("rss").fetch(rss_source).items
    undated = datetime.fromisoformat(items[1]["published_at"])
    assert undated >= before


def test_rss_sends_validators_and_a_304_yields_nothing(feed_server, rss_source):
    feed_server.routes["/feed.xml"] = Reply(304, headers={"ETag": '"v1"'})
    rss_source.etag = '"v1"'
    rss_source.last_modified = "Tue, 24 Nov 2026 10:00:00 GMT"

    result = connector_for("rss").fetch(rss_source)

    assert result.not_modified and result.items == []
    sent = feed_server.requests[-1].headers
    assert sent["if-none-match"] == '"v1"'
    assert sent["if-modified-since"] == "Tue, 24 Nov 2026 10:00:00 GMT"


def test_google_alerts_atom_links_are_unwrapped_and_titles_unescaped(feed_server, rss_source):
    feed_server.routes["/feed.xml"] = Reply(
        body=GOOGLE_ALERTS_ATOM, headers={"Content-Type": "application/atom+xml"}
    )
    (item,) = connector_for("rss").fetch(rss_source).items
    assert item["url"] == "https://blog.example.org/acme-boycott"
    assert item["text"].startswith("Acme Coffee faces boycott calls\nFans of Acme Coffee are angry")
    assert item["published_at"] == "2026-11-24T08:59:00+00:00"


def test_malformed_xml_still_yields_the_entries_it_can_read(feed_server, rss_source):
    broken = RSS.replace(
        "</channel></rss>", "<item><title>Acme Coffee & friends</title><guid>news-3</guid></item>"
    )
    feed_server.routes["/feed.xml"] = Reply(
        body=broken, headers={"Content-Type": "application/rss+xml"}
    )
    ids = [item["external_id"] for item in connector_for("rss").fetch(rss_source).items]
    assert {"news-1", "news-2"} <= set(ids)


def test_an_html_page_instead_of_a_feed_is_a_transient_error(feed_server, rss_source):
    feed_server.routes["/feed.xml"] = Reply(
        body="<html><body><h1>Maintenance</h1><p>back soon", headers={"Content-Type": "text/html"}
    )
    with pytest.raises(SourceError) as caught:
        connector_for("rss").fetch(rss_source)
    assert caught.value.retry


@pytest.mark.parametrize(("encoding", "declared_in"), [("big5", "xml"), ("iso-8859-1", "header")])
def test_a_feed_that_is_not_utf8_is_decoded_by_its_declared_charset(
    feed_server, rss_source, encoding, declared_in
):
    title = "Acme咖啡 太難喝" if encoding == "big5" else "Acme Café crème brûlée"
    xml = (
        f'<?xml version="1.0" encoding="{encoding if declared_in == "xml" else "iso-8859-1"}"?>'
        f'<rss version="2.0"><channel><title>t</title><item><title>{title}</title>'
        "<guid>x-1</guid><pubDate>Tue, 24 Nov 2026 10:00:00 GMT</pubDate></item></channel></rss>"
    )
    content_type = "application/rss+xml" + (
        "; charset=ISO-8859-1" if declared_in == "header" else ""
    )
    feed_server.routes["/feed.xml"] = Reply(
        body=xml.encode(encoding), headers={"Content-Type": content_type}
    )
    (item,) = connector_for("rss").fetch(rss_source).items
    assert item["text"] == title


def test_429_carries_retry_after(feed_server, rss_source):
    feed_server.routes["/feed.xml"] = Reply(429, "slow down", headers={"Retry-After": "120"})
    with pytest.raises(SourceError) as caught:
        connector_for("rss").fetch(rss_source)
    assert caught.value.retry and caught.value.retry_after == 120


def test_retry_after_may_be_an_http_date():
    assert (
        parse_retry_after(
            "Tue, 24 Nov 2026 10:02:00 GMT",
            now=datetime(2026, 11, 24, 10, 0, tzinfo=UTC).timestamp(),
        )
        == 120
    )


def test_500_is_transient_and_404_is_permanent(feed_server, rss_source):
    feed_server.routes["/feed.xml"] = Reply(500, "oops")
    with pytest.raises(SourceError) as caught:
        connector_for("rss").fetch(rss_source)
    assert caught.value.retry
    feed_server.routes["/feed.xml"] = Reply(404, "gone")
    with pytest.raises(SourceError) as caught:
        connector_for("rss").fetch(rss_source)
    assert not caught.value.retry


def test_a_server_that_does_not_answer_times_out(feed_server, rss_source, settings):
    settings.SOURCES_HTTP_TIMEOUT_SECONDS = 1
    release = threading.Event()
    feed_server.routes["/feed.xml"] = Reply(body=RSS, hold=release)
    try:
        with pytest.raises(SourceError, match="timed out") as caught:
            connector_for("rss").fetch(rss_source)
        assert caught.value.retry
    finally:
        release.set()


def test_a_response_larger_than_the_cap_is_refused(feed_server, rss_source, settings):
    settings.SOURCES_MAX_RESPONSE_BYTES = 10_000
    feed_server.routes["/feed.xml"] = Reply(body=RSS + "<!--" + "x" * 20_000 + "-->")
    with pytest.raises(SourceError, match="larger than"):
        connector_for("rss").fetch(rss_source)


def test_a_small_gzip_body_that_inflates_past_the_cap_is_refused(feed_server, rss_source, settings):
    settings.SOURCES_MAX_RESPONSE_BYTES = 10_000
    bomb = gzip.compress(b"<rss>" + b" " * 1_000_000)
    assert len(bomb) < 10_000
    feed_server.routes["/feed.xml"] = Reply(body=bomb, headers={"Content-Encoding": "gzip"})
    with pytest.raises(SourceError, match="larger than"):
        connector_for("rss").fetch(rss_source)


def test_a_gzip_feed_is_read(feed_server, rss_source):
    feed_server.routes["/feed.xml"] = Reply(
        body=gzip.compress(RSS.encode()), headers={"Content-Encoding": "gzip"}
    )
    assert len(connector_for("rss").fetch(rss_source).items) == 2


# --- the private-address guard --------------------------------------------------


def test_loopback_and_private_addresses_are_refused_when_the_setting_is_off(feed_server, settings):
    settings.SOURCES_ALLOW_PRIVATE_ADDRESSES = False
    feed_server.routes["/feed.xml"] = Reply(body=RSS)
    for url in (
        feed_server.url("/feed.xml"),
        f"http://localhost:{feed_server.port}/feed.xml",  # a name that resolves to loopback
        "http://10.0.0.8/feed.xml",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/feed.xml",
    ):
        with pytest.raises(SourceError, match="refused") as caught:
            connector_for("rss").fetch(_source("rss", url))
        assert not caught.value.retry
    assert feed_server.requests == []


def test_a_redirect_to_a_private_address_is_refused_on_that_hop(feed_server, settings):
    settings.SOURCES_ALLOW_PRIVATE_ADDRESSES = False
    # Only the test server's own address is let through, like an allowed intranet host.
    settings.SOURCES_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    feed_server.routes["/feed.xml"] = Reply(302, headers={"Location": "http://127.0.0.2:9/secret"})
    with pytest.raises(SourceError, match=r"refused: 127\.0\.0\.2"):
        connector_for("rss").fetch(_source("rss", feed_server.url("/feed.xml")))
    assert len(feed_server.requests) == 1


def test_a_redirect_to_an_allowed_address_is_followed(feed_server, rss_source):
    feed_server.routes["/feed.xml"] = Reply(301, headers={"Location": "/moved.xml"})
    feed_server.routes["/moved.xml"] = Reply(body=RSS)
    assert len(connector_for("rss").fetch(rss_source).items) == 2


def test_a_redirect_to_another_host_drops_credentials_and_the_body(feed_server, allow_private):
    # 127.0.0.1 and localhost are the same server but different hosts to the client.
    other = f"http://localhost:{feed_server.port}"
    feed_server.routes["/login"] = Reply(307, headers={"Location": f"{other}/elsewhere"})
    feed_server.routes["/elsewhere"] = Reply(body=b"{}")
    feed_server.routes["/same"] = Reply(308, headers={"Location": "/kept"})
    feed_server.routes["/kept"] = Reply(body=b"{}")
    secrets = {"Authorization": "Bearer s3cret", "Cookie": "session=abc"}

    post_json(feed_server.url("/same"), {"password": "hunter2"}, headers=secrets)
    post_json(feed_server.url("/login"), {"password": "hunter2"}, headers=secrets)

    kept, moved = feed_server.requests[1], feed_server.requests[3]
    assert (kept.method, kept.path) == ("POST", "/kept")
    assert kept.headers["authorization"] == "Bearer s3cret"
    assert b"hunter2" in kept.body
    assert (moved.method, moved.path) == ("POST", "/elsewhere")
    assert moved.headers["host"].startswith("localhost")
    assert "authorization" not in moved.headers
    assert "cookie" not in moved.headers
    assert moved.body == b""


def test_a_non_http_url_is_refused(allow_private):
    with pytest.raises(SourceError, match="not an http"):
        connector_for("rss").fetch(_source("rss", "file:///etc/passwd"))


# --- Mastodon -------------------------------------------------------------------

MASTODON_STATUSES = [
    {
        "id": "113500000000000003",
        "created_at": "2026-11-24T10:03:00.000Z",
        "language": None,
        "url": "https://mastodon.example/@fan/113500000000000003",
        "content": "",
        "spoiler_text": "",
        "account": {"acct": "booster@other.example", "followers_count": 12},
        "reblog": {
            "id": "113499999999999999",
            "created_at": "2026-11-24T09:00:00.000Z",
            "language": "en",
            "url": "https://mastodon.example/@critic/113499999999999999",
            "content": '<p>Boycott <a href="https://mastodon.example/tags/AcmeCoffee" class="mention hashtag">#<span>AcmeCoffee</span></a> &amp; friends</p>',
            "spoiler_text": "",
            "account": {"acct": "critic", "followers_count": 9000},
        },
    },
    {
        "id": "113500000000000002",
        "created_at": "2026-11-24T10:02:00.000Z",
        "language": "zh-TW",
        "url": "https://mastodon.example/@fan/113500000000000002",
        "content": "<p>我愛 Acme咖啡<br>真的</p>",
        "spoiler_text": "",
        "account": {"acct": "fan", "followers_count": 340},
        "reblog": None,
    },
]


def test_mastodon_hashtag_timeline_maps_statuses_and_boosts(feed_server, allow_private):
    feed_server.routes["/api/v1/timelines/tag/AcmeCoffee"] = Reply(
        body=json.dumps(MASTODON_STATUSES), headers={"Content-Type": "application/json"}
    )
    source = _source(
        "mastodon",
        feed_server.base_url,
        config={"hashtag": "#AcmeCoffee"},
        cursor={"since_id": "113500000000000001"},
    )
    result = connector_for("mastodon").fetch(source)

    boost, post = result.items
    assert boost["repost_of"] == "113499999999999999"
    assert boost["text"] == "Boycott #AcmeCoffee & friends"
    assert boost["author"] == "booster@other.example"
    assert post == {
        "source": "mastodon-test",
        "external_id": "113500000000000002",
        "text": "我愛 Acme咖啡\n真的",
        "published_at": "2026-11-24T10:02:00+00:00",
        "url": "https://mastodon.example/@fan/113500000000000002",
        "author": "fan",
        "author_followers": 340,
        "lang": "zh-TW",
    }
    assert result.new_cursor == {"since_id": "113500000000000003"}
    assert "min_id=113500000000000001" in feed_server.requests[-1].path
    assert not result.more


def test_mastodon_reads_a_burst_page_by_page_and_asks_for_the_next_at_once(
    feed_server, allow_private
):
    page = [
        {**MASTODON_STATUSES[1], "id": str(113500000000000100 + n), "reblog": None}
        for n in range(40)
    ]
    feed_server.routes["/api/v1/timelines/tag/acme"] = Reply(body=json.dumps(page))
    source = _source(
        "mastodon", feed_server.base_url, config={"hashtag": "acme"}, cursor={"since_id": "1"}
    )
    result = connector_for("mastodon").fetch(source)
    assert result.more and len(result.items) == 40
    assert result.new_cursor == {"since_id": "113500000000000139"}


def test_mastodon_reads_an_exhausted_rate_limit_from_the_headers(feed_server, allow_private):
    reset = "2099-01-01T00:00:00.000Z"
    feed_server.routes["/api/v1/timelines/tag/acme"] = Reply(
        body="[]",
        headers={
            "X-RateLimit-Limit": "300",
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": reset,
        },
    )
    result = connector_for("mastodon").fetch(
        _source("mastodon", feed_server.base_url, config={"hashtag": "acme"})
    )
    assert result.retry_after and result.retry_after > 3600


def test_mastodon_search_needs_a_token_and_sends_it(feed_server, allow_private, monkeypatch):
    source = _source("mastodon", feed_server.base_url, config={"query": "acme coffee"})
    with pytest.raises(SourceError, match="secret_env") as caught:
        connector_for("mastodon").fetch(source)
    assert not caught.value.retry

    monkeypatch.setenv("CRISISROOM_SOURCE_MASTO_TOKEN", "tok-123")
    source.config["secret_env"] = "CRISISROOM_SOURCE_MASTO_TOKEN"
    feed_server.routes["/api/v2/search"] = Reply(
        body=json.dumps({"accounts": [], "hashtags": [], "statuses": MASTODON_STATUSES[1:]})
    )
    assert len(connector_for("mastodon").fetch(source).items) == 1
    assert feed_server.requests[-1].headers["authorization"] == "Bearer tok-123"


# --- Hacker News (Algolia) ------------------------------------------------------

HN = {
    "hits": [
        {
            "objectID": "41000002",
            "created_at": "2026-11-24T10:00:05Z",
            "created_at_i": 1795514405,
            "author": "pg_fan",
            "comment_text": "Acme Coffee&#x27;s app leaked my <i>address</i>",
            "story_title": "Acme Coffee data breach",
            "_tags": ["comment", "author_pg_fan", "story_41000001"],
        },
        {
            "objectID": "41000001",
            "created_at": "2026-11-24T10:00:00Z",
            "created_at_i": 1795514400,
            "author": "reporter",
            "title": "Acme Coffee data breach",
            "url": "https://news.example.com/breach",
            "story_text": None,
            "_tags": ["story", "author_reporter", "story_41000001"],
        },
    ],
    "nbHits": 2,
    "page": 0,
    "hitsPerPage": 100,
}


def test_hacker_news_search_maps_stories_and_comments(feed_server, allow_private):
    feed_server.routes["/api/v1/search_by_date"] = Reply(body=json.dumps(HN))
    source = _source(
        "hackernews",
        feed_server.base_url,
        config={"query": "acme coffee"},
        cursor={"created_at_i": 1795514000},
    )
    result = connector_for("hackernews").fetch(source)
    comment, story = result.items
    assert comment["text"] == "Acme Coffee's app leaked my address"
    assert comment["url"] == "https://news.ycombinator.com/item?id=41000002"
    assert story["text"] == "Acme Coffee data breach"
    assert result.new_cursor == {"created_at_i": 1795514405}
    assert "created_at_i%3E%3D1795514000" in feed_server.requests[-1].path


def test_hacker_news_pages_through_everything_newer_than_the_cursor(feed_server, allow_private):
    second = {**HN, "hits": [{**HN["hits"][1], "objectID": "40999999", "created_at_i": 1795514300}]}
    feed_server.routes["/api/v1/search_by_date"] = lambda seen: Reply(
        body=json.dumps({**(second if "page=1" in seen.path else HN), "nbPages": 2})
    )
    source = _source(
        "hackernews",
        feed_server.base_url,
        config={"query": "acme"},
        cursor={"created_at_i": 1795514000},
    )
    ids = [item["external_id"] for item in connector_for("hackernews").fetch(source).items]
    assert ids == ["41000002", "41000001", "40999999"]
    assert len(feed_server.requests) == 2


# --- Bluesky --------------------------------------------------------------------

BSKY_POSTS = {
    "posts": [
        {
            "uri": "at://did:plc:abc123/app.bsky.feed.post/3kxyzabc",
            "cid": "bafyrei",
            "author": {"did": "did:plc:abc123", "handle": "critic.bsky.social", "displayName": "C"},
            "record": {
                "$type": "app.bsky.feed.post",
                "text": "Acme Coffee lawsuit incoming",
                "createdAt": "2026-11-24T10:01:00.000Z",
                "langs": ["en"],
            },
            "indexedAt": "2026-11-24T10:01:02.000Z",
        }
    ],
    "cursor": "1",
}


def test_bluesky_logs_in_with_the_app_password_and_searches(
    feed_server, allow_private, monkeypatch
):
    monkeypatch.setenv("CRISISROOM_SOURCE_BSKY_PW", "abcd-efgh-ijkl-mnop")
    feed_server.routes["/xrpc/com.atproto.server.createSession"] = Reply(
        body=json.dumps(
            {
                "accessJwt": "jwt-1",
                "refreshJwt": "r",
                "handle": "me.bsky.social",
                "did": "did:plc:me",
            }
        )
    )
    feed_server.routes["/xrpc/app.bsky.feed.searchPosts"] = Reply(body=json.dumps(BSKY_POSTS))
    source = _source(
        "bluesky",
        feed_server.base_url,
        config={
            "query": "acme coffee",
            "handle": "me.bsky.social",
            "secret_env": "CRISISROOM_SOURCE_BSKY_PW",
        },
    )
    result = connector_for("bluesky").fetch(source)
    (item,) = result.items
    assert item["url"] == "https://bsky.app/profile/critic.bsky.social/post/3kxyzabc"
    assert item["lang"] == "en"
    assert result.new_cursor == {"since": "2026-11-24T10:01:02+00:00"}
    login, search = feed_server.requests
    assert json.loads(login.body) == {
        "identifier": "me.bsky.social",
        "password": "abcd-efgh-ijkl-mnop",
    }
    assert search.headers["authorization"] == "Bearer jwt-1"


def test_bluesky_reuses_its_session_and_renews_an_expired_one(
    feed_server, allow_private, monkeypatch
):
    monkeypatch.setenv("CRISISROOM_SOURCE_BSKY_PW", "abcd-efgh-ijkl-mnop")
    login = "/xrpc/com.atproto.server.createSession"
    feed_server.routes[login] = [
        Reply(body=json.dumps({"accessJwt": "jwt-1"})),
        Reply(body=json.dumps({"accessJwt": "jwt-2"})),
    ]
    feed_server.routes["/xrpc/app.bsky.feed.searchPosts"] = [
        Reply(body=json.dumps(BSKY_POSTS)),
        Reply(400, json.dumps({"error": "ExpiredToken", "message": "Token has expired"})),
        Reply(body=json.dumps(BSKY_POSTS)),
    ]
    source = _source(
        "bluesky",
        feed_server.base_url,
        config={
            "query": "acme coffee",
            "handle": "me.bsky.social",
            "secret_env": "CRISISROOM_SOURCE_BSKY_PW",
        },
    )
    source.pk = 4242  # the session is cached per source, server and handle (a fresh port here)
    connector_for("bluesky").fetch(source)
    assert len(connector_for("bluesky").fetch(source).items) == 1

    paths = [seen.path.split("?")[0] for seen in feed_server.requests]
    assert paths.count(login) == 2  # one login, then one renewal, not one per poll
    assert feed_server.requests[-1].headers["authorization"] == "Bearer jwt-2"


def test_bluesky_refused_password_is_permanent(feed_server, allow_private, monkeypatch):
    monkeypatch.setenv("CRISISROOM_SOURCE_BSKY_PW", "wrong")
    feed_server.routes["/xrpc/com.atproto.server.createSession"] = Reply(
        401,
        json.dumps(
            {"error": "AuthenticationRequired", "message": "Invalid identifier or password"}
        ),
    )
    source = _source(
        "bluesky",
        feed_server.base_url,
        config={"query": "q", "handle": "me", "secret_env": "CRISISROOM_SOURCE_BSKY_PW"},
    )
    with pytest.raises(SourceError, match="refused") as caught:
        connector_for("bluesky").fetch(source)
    assert not caught.value.retry


# --- Reddit ---------------------------------------------------------------------

REDDIT = {
    "kind": "Listing",
    "data": {
        "after": None,
        "children": [
            {
                "kind": "t3",
                "data": {
                    "name": "t3_1abcde",
                    "title": "Acme Coffee burnt my tongue &amp; my wallet",
                    "selftext": "",
                    "created_utc": 1795514500.0,
                    "permalink": "/r/coffee/comments/1abcde/acme/",
                    "author": "redditor",
                    "subreddit": "coffee",
                    "crosspost_parent": "t3_0zzzzz",
                },
            }
        ],
    },
}


def test_reddit_search_maps_posts_and_crossposts(feed_server, allow_private):
    feed_server.routes["/search.json"] = Reply(
        body=json.dumps(REDDIT), headers={"x-ratelimit-remaining": "0.0", "x-ratelimit-reset": "42"}
    )
    result = connector_for("reddit").fetch(
        _source("reddit", feed_server.base_url, config={"query": "acme"})
    )
    (item,) = result.items
    assert item["text"] == "Acme Coffee burnt my tongue & my wallet"
    assert item["repost_of"] == "t3_0zzzzz"
    assert item["url"] == "https://www.reddit.com/r/coffee/comments/1abcde/acme/"
    assert result.retry_after == 42
    assert "crisisroom" in feed_server.requests[-1].headers["user-agent"].lower()


def test_reddit_follows_after_until_it_reaches_the_cursor(feed_server, allow_private):
    older = {
        "kind": "Listing",
        "data": {
            "after": "t3_next",
            "children": [
                {
                    "kind": "t3",
                    "data": {
                        **REDDIT["data"]["children"][0]["data"],
                        "name": "t3_old",
                        "created_utc": 1795500000.0,
                    },
                }
            ],
        },
    }
    newer = {"kind": "Listing", "data": {**REDDIT["data"], "after": "t3_1abcde"}}
    feed_server.routes["/search.json"] = lambda seen: Reply(
        body=json.dumps(older if "after=t3_1abcde" in seen.path else newer)
    )
    source = _source(
        "reddit",
        feed_server.base_url,
        config={"query": "acme"},
        cursor={"created_utc": 1795510000.0},
    )
    result = connector_for("reddit").fetch(source)
    assert [item["external_id"] for item in result.items] == ["t3_1abcde"]
    assert len(feed_server.requests) == 2  # stopped at the page that reached the cursor
    assert result.new_cursor == {"created_utc": 1795514500.0}


def test_push_kinds_are_not_polled():
    with pytest.raises(SourceError) as caught:
        connector_for("api").fetch(Source(kind="api", key="x"))
    assert not caught.value.retry
