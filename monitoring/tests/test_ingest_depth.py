"""Ingest beyond the basics: query terms, competitors, near-duplicates, reposts, rollups."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from monitoring.ingest import BrandMatcher, mentions_ingest
from monitoring.models import Brand, Mention, Rollup, Source, WatchTerm

pytestmark = pytest.mark.django_db

NOW = datetime.now(UTC).replace(microsecond=0)


def item(n: int | str, text: str, **extra):  # type: ignore[no-untyped-def]
    return {
        "source": extra.pop("source", "twitter"),
        "external_id": f"m{n}",
        "text": text,
        "published_at": extra.pop("published_at", NOW).isoformat(),
        **extra,
    }


def rollup_totals(brand: Brand) -> tuple[int, int, int, int, int]:
    rows = Rollup.objects.filter(brand=brand)
    return (
        sum(r.count for r in rows),
        sum(r.negative for r in rows),
        sum(r.neutral for r in rows),
        sum(r.positive for r in rows),
        sum(r.reach for r in rows),
    )


def test_watch_term_queries_with_operators_decide_the_brand(brand):
    WatchTerm.objects.create(brand=brand, kind="product", query='"cold brew" (acme OR 艾克米)')
    WatchTerm.objects.create(brand=brand, kind="exclude", query="acme AND anvil")
    mentions_ingest(
        items=[
            item(1, "This cold brew from Acme is great"),
            item(2, "艾克米的cold brew太淡了"),
            item(3, "cold brew everywhere"),
            item(4, "Acme Coffee sells an anvil now"),
        ]
    )
    brands = dict(Mention.objects.values_list("external_id", "brand__slug"))
    assert brands == {"m1": "acme-coffee", "m2": "acme-coffee", "m3": None, "m4": None}


def test_the_matcher_is_rebuilt_when_terms_change(brand):
    mentions_ingest(items=[item(1, "Acme Tea is nice")])
    term = WatchTerm.objects.create(brand=brand, kind="product", query='"acme tea"')
    mentions_ingest(items=[item(2, "Acme Tea is nice again")])
    term.delete()
    mentions_ingest(items=[item(3, "Acme Tea is nice once more")])
    brands = dict(Mention.objects.values_list("external_id", "brand__slug"))
    assert brands == {"m1": None, "m2": "acme-coffee", "m3": None}


def test_the_matcher_is_reused_while_nothing_changes(brand, django_assert_num_queries):
    first = BrandMatcher.current()
    with django_assert_num_queries(1):  # the fingerprint only
        assert BrandMatcher.current() is first


def test_competitor_mentions_are_tracked_apart_from_the_brand(brand):
    WatchTerm.objects.create(brand=brand, kind="competitor", query="Bolt Beans OR 閃電豆")
    result = mentions_ingest(
        items=[
            item(1, "Bolt Beans is awful, never again"),
            item(2, "Acme Coffee beats Bolt Beans"),
        ]
    )
    assert result.accepted == 2
    rival = Mention.objects.get(external_id="m1")
    assert (rival.brand, rival.competitor_of) == (None, brand)
    both = Mention.objects.get(external_id="m2")
    assert (both.brand, both.competitor_of) == (brand, brand)
    # Only the brand's own mention is in its rollups.
    assert rollup_totals(brand)[0] == 1


def test_near_duplicates_by_one_author_count_as_duplicates_and_stay_out_of_rollups(brand):
    text = "Acme Coffee deleted all my loyalty points, unbelievable"
    first = mentions_ingest(items=[item(1, text, author="ann", author_followers=10)])
    again = mentions_ingest(
        items=[
            item(2, text.upper() + " https://t.co/x", author="ann", author_followers=10),
            item(3, "@acme " + text, author="ann", published_at=NOW - timedelta(hours=2)),
            item(4, text, author="ben", author_followers=5),  # another voice
            item(5, text, author="ann", published_at=NOW - timedelta(hours=30)),  # out of window
        ]
    )
    assert first.as_dict() == {"accepted": 1, "duplicates": 0, "rejected": []}
    assert again.as_dict() == {"accepted": 2, "duplicates": 2, "rejected": []}
    assert again.near_duplicates == 2
    assert sorted(Mention.objects.values_list("external_id", flat=True)) == ["m1", "m4", "m5"]
    assert Mention.objects.get(external_id="m1").duplicate_count == 2
    assert rollup_totals(brand)[0] == 3


def test_near_duplicates_within_one_batch_keep_the_first(brand):
    text = "抵制Acme咖啡！一夜之間把會員點數全部清零"
    result = mentions_ingest(items=[item(i, text, author="troll") for i in range(5)])
    assert result.as_dict() == {"accepted": 1, "duplicates": 4, "rejected": []}
    assert rollup_totals(brand)[0] == 1


def test_resending_a_batch_changes_nothing(brand):
    items = [
        item(1, "Acme Coffee is lovely", author="ann", author_followers=100),
        item(2, "RT Acme Coffee is lovely", author="ben", author_followers=50, repost_of="m1"),
    ]
    mentions_ingest(items=items)
    before = (rollup_totals(brand), Mention.objects.get(external_id="m1").amplified_reach)
    again = mentions_ingest(items=items)
    assert again.as_dict() == {"accepted": 0, "duplicates": 2, "rejected": []}
    after = (rollup_totals(brand), Mention.objects.get(external_id="m1").amplified_reach)
    assert before == after


def test_a_repost_adds_reach_to_the_original_not_a_voice(brand):
    mentions_ingest(
        items=[item(1, "Acme Coffee is awful, worst service", author="ann", author_followers=100)]
    )
    original = Mention.objects.get(external_id="m1")
    assert rollup_totals(brand) == (1, 1, 0, 0, 100)
    result = mentions_ingest(
        items=[
            item(
                2,
                "RT @ann: Acme Coffee is awful",
                author="ben",
                author_followers=5000,
                repost_of="m1",
            ),
            item(3, "boost", author="cat", author_followers=20, repost_of="m1"),
            item(
                4,
                "Acme Coffee boost",
                author="cat",
                author_followers=20,
                repost_of="m1",
                source="mastodon",
            ),
        ]
    )
    # Counted as accepted (stored, idempotent) but not as mentions in the rollups.
    assert result.as_dict() == {"accepted": 3, "duplicates": 0, "rejected": []}
    assert result.reposts == 2
    original.refresh_from_db()
    assert (original.repost_count, original.amplified_reach) == (2, 5020)
    count, negative, *_, reach = rollup_totals(brand)
    # m4 is in another source, where m1 is unknown: an ordinary mention (a voice) after all.
    assert (count, negative, reach) == (2, 1, 100 + 5020 + 20)
    boost = Mention.objects.get(external_id="m2")
    assert (boost.repost_of, boost.brand, boost.sentiment_label) == (original, brand, "negative")
    assert Mention.objects.get(external_id="m4", source__key="mastodon").repost_of is None


def test_a_repost_of_an_unknown_post_is_checked_for_near_duplicates_like_any_mention(brand):
    text = "Acme Coffee lost my order again, never again"
    mentions_ingest(items=[item(1, text, author="ann")])
    result = mentions_ingest(
        items=[
            item(2, text, author="ann", repost_of="gone"),
            item(3, text, author="ben", repost_of="gone"),
        ]
    )
    assert result.as_dict() == {"accepted": 1, "duplicates": 1, "rejected": []}
    assert result.near_duplicates == 1
    assert Mention.objects.get(external_id="m1").duplicate_count == 1
    assert Mention.objects.get(external_id="m3").repost_of is None
    assert rollup_totals(brand)[0] == 2


def test_a_repost_and_its_original_in_one_batch(brand):
    result = mentions_ingest(
        items=[
            item(2, "RT Acme Coffee rocks", author="ben", author_followers=7, repost_of="m1"),
            item(1, "Acme Coffee rocks, love it", author="ann", author_followers=3),
            item(3, "RT RT Acme Coffee rocks", author="cy", author_followers=11, repost_of="m2"),
        ]
    )
    assert result.accepted == 3
    original = Mention.objects.get(external_id="m1")
    assert (original.repost_count, original.amplified_reach) == (2, 18)  # a repost of a repost
    assert rollup_totals(brand)[0] == 1
    assert rollup_totals(brand)[4] == 21


def test_rollups_equal_a_recount_of_stored_voices(brand):
    items = [
        item(
            i,
            f"Acme Coffee message {i % 7} is {'awful' if i % 3 else 'great'} today",
            author=f"user{i % 5}",
            author_followers=i,
            published_at=NOW - timedelta(minutes=i),
        )
        for i in range(60)
    ]
    items += [
        item(f"r{i}", "boost", author="fan", author_followers=1000, repost_of=f"m{i}")
        for i in range(10)
    ]
    mentions_ingest(items=items[:35])
    mentions_ingest(items=items[35:])
    voices = Mention.objects.filter(brand=brand, repost_of__isnull=True)
    expected = (
        voices.count(),
        voices.filter(sentiment_label="negative").count(),
        voices.filter(sentiment_label="neutral").count(),
        voices.filter(sentiment_label="positive").count(),
        sum(m.author_followers + m.amplified_reach for m in voices),
    )
    assert rollup_totals(brand) == expected


def test_a_connector_passes_its_source(brand):
    source = Source.objects.create(kind="api", key="feed-1", platform="rss")
    result = mentions_ingest(
        items=[{"external_id": "x1", "text": "Acme Coffee news", "published_at": NOW.isoformat()}],
        source=source,
    )
    assert result.accepted == 1
    assert Mention.objects.get().platform == "rss"


def test_awkward_text_is_stored_exactly(brand):
    text = "Acme Coffee \\N tab\there\nnew line\r\\back\\slash \x00 'quote\" 😀 ＡＣＭＥ"
    result = mentions_ingest(items=[item(1, text, author="a\tb")])
    assert result.accepted == 1
    stored = Mention.objects.get()
    assert stored.text == text.replace("\x00", "")
    assert stored.author == "a\tb"


def test_copy_rows_are_the_columns_in_order_escaped_like_any_value():
    """The one-f-string COPY row equals the value-by-value form for every column."""
    from dataclasses import fields

    from monitoring.ingest import _COLUMNS, _copy_line, _copy_value, _Values

    assert {f.name for f in fields(_Values)} == set(_COLUMNS)
    at = datetime(2026, 3, 1, 12, 30, 5, 123456, tzinfo=UTC)
    for nullable in (None, 7):
        row = _Values(
            source_id=1,
            external_id="id\twith\\tab",
            brand_id=nullable,
            competitor_of_id=nullable,
            platform="x\n",
            text="line one\nline two\r\\ end\t",
            url="https://e.example/a\\b",
            author="作者",
            author_followers=12,
            lang="zh-hant",
            published_at=at,
            ingested_at=at + timedelta(seconds=3),
            ingest_batch="b",
            sentiment_score=-0.1234,
            sentiment_label="negative",
            triggers="scam,抵制",
            text_key=nullable,
            repost_of_id=nullable,
            reply_to_id=nullable,
            reactions_positive=3,
        )
        expected = "\t".join(_copy_value(v) for v in row.as_tuple())
        assert _copy_line(row, row.ingested_at.isoformat()) == expected
