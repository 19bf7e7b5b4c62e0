from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from monitoring.models import Mention, Rollup

pytestmark = pytest.mark.django_db


def item(n: int, **extra):  # type: ignore[no-untyped-def]
    base = {
        "source": "twitter",
        "external_id": f"t{n}",
        "text": f"Acme Coffee post number {n}",
        "published_at": datetime.now(UTC).isoformat(),
    }
    return {**base, **extra}


def test_it_stores_valid_items_and_reports_bad_ones_by_index(api_for, bob, brand):
    items = [
        item(1),
        {"source": "twitter", "text": "no id", "published_at": "2026-01-01T00:00:00Z"},
        item(2, published_at="yesterday"),
        "not an object",
        item(3, author_followers=-5),
        item(4, author="someone", author_followers=1200, url="https://example.com/4"),
    ]
    response = api_for(bob).post("/mentions", items)
    assert response.status_code == 200
    body = response.json()
    assert body["accepted"] == 2
    assert body["duplicates"] == 0
    assert [r["index"] for r in body["rejected"]] == [1, 2, 3, 4]
    assert "external_id" in body["rejected"][0]["error"]
    assert "ISO 8601" in body["rejected"][1]["error"]
    assert "JSON object" in body["rejected"][2]["error"]
    assert "author_followers" in body["rejected"][3]["error"]
    stored = Mention.objects.get(external_id="t4")
    assert stored.brand == brand
    assert stored.author_followers == 1200


def test_it_accepts_an_object_with_a_mentions_list(api_for, bob, brand):
    response = api_for(bob).post("/mentions", {"mentions": [item(1), item(2)]})
    assert response.json() == {"accepted": 2, "duplicates": 0, "rejected": []}


def test_it_counts_duplicates_within_and_across_batches(api_for, bob, brand):
    api = api_for(bob)
    first = api.post("/mentions", [item(1), item(1), item(2)]).json()
    assert (first["accepted"], first["duplicates"]) == (2, 1)
    second = api.post("/mentions", [item(1), item(3)]).json()
    assert (second["accepted"], second["duplicates"]) == (1, 1)
    assert Mention.objects.count() == 3


def test_the_same_external_id_from_another_source_is_not_a_duplicate(api_for, bob, brand):
    body = api_for(bob).post("/mentions", [item(1), item(1, source="mastodon")]).json()
    assert body["accepted"] == 2


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        ("{not json", 400, "not valid JSON"),
        ("", 400, "empty"),
        ('"a string"', 400, "JSON array"),
        ('{"items": []}', 400, "JSON array"),
        ("42", 400, "JSON array"),
    ],
)
def test_a_bad_body_gets_a_clear_4xx(api_for, bob, body, status, words):
    response = api_for(bob).post("/mentions", body, raw=True)
    assert response.status_code == status
    assert words in response.json()["error"]


def test_more_than_1000_items_is_refused_whole(api_for, bob, brand):
    response = api_for(bob).post("/mentions", [item(i) for i in range(1001)])
    assert response.status_code == 413
    assert "1000" in response.json()["error"]
    assert Mention.objects.count() == 0


def test_a_body_over_the_size_limit_is_refused(api_for, bob, settings):
    settings.API_MAX_BODY_BYTES = 1000
    response = api_for(bob).post("/mentions", [item(1, text="x" * 2000)])
    assert response.status_code == 413


def test_it_needs_a_valid_token(api_for, bob):
    assert api_for(None).post("/mentions", [item(1)]).status_code == 401
    from conftest import Api

    assert Api("cr_not-a-token").post("/mentions", [item(1)]).status_code == 401


def test_a_viewer_cannot_send_mentions_but_can_read_them(api_for, charlie, bob, brand):
    api_for(bob).post("/mentions", [item(1)])
    viewer = api_for(charlie)
    assert viewer.post("/mentions", [item(2)]).status_code == 403
    listed = viewer.get("/mentions", brand="acme-coffee").json()
    assert [m["external_id"] for m in listed["mentions"]] == ["t1"]


def test_an_unknown_brand_slug_rejects_that_item_only(api_for, bob, brand):
    body = (
        api_for(bob).post("/mentions", [item(1, brand="nope"), item(2, brand="acme-coffee")]).json()
    )
    assert body["accepted"] == 1
    assert body["rejected"] == [{"index": 0, "error": "unknown brand 'nope'"}]


def test_a_mention_from_the_future_is_rejected(api_for, bob, brand):
    future = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    body = api_for(bob).post("/mentions", [item(1, published_at=future)]).json()
    assert body["rejected"][0]["error"] == "published_at is in the future"


def test_rollups_count_what_was_stored(api_for, bob, brand):
    at = "2026-03-01T10:02:00+00:00"
    api_for(bob).post(
        "/mentions",
        [
            item(1, published_at=at, author_followers=100),
            item(2, published_at="2026-03-01T10:04:59Z", author_followers=50),
            item(3, published_at="2026-03-01T10:05:00Z"),
            item(1, published_at=at, author_followers=100),  # duplicate: not counted twice
        ],
    )
    rollups = {
        (r.bucket.strftime("%H:%M"), r.platform): r for r in Rollup.objects.filter(brand=brand)
    }
    assert set(rollups) == {("10:00", "twitter"), ("10:05", "twitter")}
    assert rollups[("10:00", "twitter")].count == 2
    assert rollups[("10:00", "twitter")].reach == 150
    first = rollups[("10:00", "twitter")]
    assert first.negative + first.neutral + first.positive == first.count


def test_get_mentions_filters_by_time_and_sentiment(api_for, bob, brand):
    api = api_for(bob)
    api.post(
        "/mentions",
        [
            item(
                1, published_at="2026-03-01T10:00:00Z", text="Acme Coffee is wonderful, I love it!"
            ),
            item(
                2,
                published_at="2026-03-02T10:00:00Z",
                text="Acme Coffee is awful, terrible, worst service ever",
            ),
        ],
    )
    since = api.get("/mentions", since="2026-03-02T00:00:00Z").json()
    assert [m["external_id"] for m in since["mentions"]] == ["t2"]
    negative = api.get("/mentions", sentiment="negative").json()
    assert [m["external_id"] for m in negative["mentions"]] == ["t2"]
    assert api.get("/mentions", sentiment="angry").status_code == 400
    assert api.get("/mentions", limit="0").status_code == 400
    assert api.get("/mentions", since="soon").status_code == 400
    assert api.get("/mentions", since="").status_code == 400  # present but empty: not a time


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/mentions", "sentiment"),
        ("/mentions", "limit"),
        ("/mentions", "until"),
        ("/incidents", "status"),
        ("/incidents", "limit"),
        ("/scheduled-posts", "state"),
        ("/scheduled-posts", "limit"),
    ],
)
def test_a_filter_given_empty_is_refused_not_ignored(api_for, bob, path, name):
    # ?status= is not "any status": the schema says an enum, date-time or integer.
    response = api_for(bob).get(path, **{name: ""})
    assert response.status_code == 400, response.content
    assert name in response.json()["error"]
