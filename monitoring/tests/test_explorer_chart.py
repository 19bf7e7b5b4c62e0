"""The explorer's chart and splits follow its filter: rollups where they hold the
filter, a bounded count over mentions where they do not (search, language)."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client

from monitoring.ingest import mentions_ingest
from monitoring.models import Brand, Mention, WatchTerm
from monitoring.selectors import MentionFilters, mentions_volume
from monitoring.tests.test_explorer import item

pytestmark = pytest.mark.django_db

NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
def storm(brand):  # type: ignore[no-untyped-def]
    other = Brand.objects.create(name="Bean Bros", slug="bean-bros")
    WatchTerm.objects.create(brand=other, query="Bean Bros")
    texts = [
        ("Acme Coffee is awful, terrible service", "twitter", 10),
        ("Acme Coffee latte is wonderful, love it", "twitter", 200),
        ("Acme Coffee 服務很差，太糟糕了", "ptt", 30),
        ("Acme Coffee opened a new shop", "threads", 26 * 60),
        ("Bean Bros is awful", "twitter", 5),
    ]
    mentions_ingest(
        items=[
            item(n, text, source=source, published_at=NOW - timedelta(minutes=minutes))
            for n, (text, source, minutes) in enumerate(texts)
        ]
    )
    return brand


def _direct(**filters):  # type: ignore[no-untyped-def]
    rows = Mention.objects.filter(repost_of__isnull=True, **filters)
    return rows.count()


def test_the_default_is_the_last_seven_days_per_hour_from_rollups(storm):
    volume = mentions_volume(filters=MentionFilters(brand=storm), now=NOW)
    assert volume["source"] == "rollups"
    assert volume["bucket_seconds"] == 3600
    assert len(volume["t"]) in {168, 169}
    assert volume["total"] == sum(volume["count"]) == _direct(brand=storm) == 4
    assert {p["name"]: p["count"] for p in volume["platforms"]} == {
        "twitter": 2,
        "ptt": 1,
        "threads": 1,
    }
    by_label = {s["label"]: s["count"] for s in volume["sentiments"]}
    assert by_label["negative"] == _direct(brand=storm, sentiment_label="negative") >= 2


def test_a_short_range_has_five_minute_buckets_and_the_filters_apply(storm):
    filters = MentionFilters(
        brand=storm, platform="twitter", since=NOW - timedelta(hours=4), until=NOW
    )
    volume = mentions_volume(filters=filters, now=NOW)
    assert volume["bucket_seconds"] == 300
    assert volume["total"] == _direct(
        brand=storm, platform="twitter", published_at__gte=NOW - timedelta(hours=4)
    )
    assert [p["name"] for p in volume["platforms"]] == ["twitter"]
    negative = mentions_volume(filters=MentionFilters(brand=storm, sentiment="negative"), now=NOW)
    assert negative["total"] == _direct(brand=storm, sentiment_label="negative")
    assert {s for s in negative["negative_share"] if s is not None} == {1.0}


def test_a_search_counts_the_matching_mentions_within_a_bounded_period(storm):
    volume = mentions_volume(filters=MentionFilters(q="awful"), now=NOW)
    assert volume["source"] == "mentions"
    assert volume["total"] == 2  # both brands' "awful" posts
    assert sum(p["count"] for p in volume["platforms"]) == 2
    assert volume["until"] - volume["since"] == timedelta(days=1)  # its default period
    # a year asked for is the last 7 days, per hour
    long = mentions_volume(
        filters=MentionFilters(q="awful", since=NOW - timedelta(days=365)), now=NOW
    )
    assert long["capped"] and long["bucket_seconds"] == 3600
    assert long["until"] - long["since"] == timedelta(days=7)
    # from rollups the bound is 90 days
    rollups = mentions_volume(
        filters=MentionFilters(brand=storm, since=NOW - timedelta(days=365)), now=NOW
    )
    assert rollups["capped"] and rollups["until"] - rollups["since"] == timedelta(days=90)


def test_the_explorer_page_carries_the_chart_and_the_bars_of_its_filter(charlie, storm):
    client = Client()
    client.force_login(charlie)
    html = client.get("/mentions/", {"brand": storm.slug, "platform": "ptt"}).content.decode()
    series = json.loads(
        re.search(r'<script id="volume-series" type="application/json">(.*?)</script>', html).group(
            1
        )
    )
    assert sum(series["count"]) == 1 and len(series["t"]) == len(series["negative_share"])
    assert 'data-chart-json="volume-series"' in html
    assert 'data-label-count="Mentions per hour"' in html
    assert re.search(r'<span class="name">ptt</span>.*?<span class="figure">1</span>', html)
    # the htmx answer (the filter applied in place) carries the chart too
    part = client.get(
        "/mentions/", {"brand": storm.slug, "platform": "ptt"}, headers={"HX-Request": "true"}
    ).content.decode()
    assert part.lstrip().startswith('<section id="results"')
    assert 'id="volume-series"' in part and "Counted from the 5-minute rollups" in part


def test_a_search_chart_is_counted_in_its_own_request_after_the_list(charlie, storm):
    """A search counts the matching mentions (seconds at 10M rows): the list does not
    wait for it; the page fetches the chart and bars when it has loaded."""
    client = Client()
    client.force_login(charlie)
    for headers in ({}, {"HX-Request": "true"}):
        html = client.get(
            "/mentions/", {"brand": storm.slug, "q": "awful"}, headers=headers
        ).content.decode()
        assert 'id="volume-series"' not in html
        fetch = re.search(r'hx-get="(/mentions/charts/\?[^"]+)" hx-trigger="load"', html)
        assert fetch, html
    url = fetch.group(1).replace("&amp;", "&")
    assert "q=awful" in url and f"brand={storm.slug}" in url
    part = client.get(url).content.decode()
    assert part.lstrip().startswith('<div class="explorer-charts" id="explorer-charts">')
    series = json.loads(
        re.search(r'<script id="volume-series" type="application/json">(.*?)</script>', part).group(
            1
        )
    )
    assert (
        0
        < sum(series["count"])
        == mentions_volume(filters=MentionFilters(brand=storm, q="awful"))["total"]
    )
    assert "Counted from the matching mentions" in part
    assert 'data-chart-json="volume-series"' in part
    # the same permission as the explorer
    anonymous = Client().get(url)
    assert anonymous.status_code == 302


def test_daily_buckets_start_at_the_viewers_midnight(storm, settings):
    from django.utils import timezone

    with timezone.override("Asia/Taipei"):
        volume = mentions_volume(
            filters=MentionFilters(brand=storm, since=NOW - timedelta(days=80)), now=NOW
        )
        assert volume["bucket_seconds"] == 86400
        midnights = {timezone.localtime(datetime.fromtimestamp(t, UTC)).hour for t in volume["t"]}
    assert midnights == {0}
    assert volume["total"] == 4


@pytest.mark.parametrize(("zone", "days", "step"), [("Asia/Kathmandu", 3, 900), ("UTC", 1, 300)])
def test_a_searchs_buckets_hold_exactly_the_mentions_of_their_span(brand, zone, days, step):
    """Counted in 5-minute slots in SQL (PostgreSQL) or per minute (SQLite), each
    mention lands in the viewer's bucket that holds its time, even at +5:45."""
    from django.utils import timezone

    moments = [
        NOW - timedelta(minutes=m, seconds=s)
        for m, s in [(1, 7), (14, 59), (16, 0), (299, 3), (1441, 30), (2 * 1440 + 7, 0)]
    ]
    mentions_ingest(
        items=[item(n, f"Acme Coffee refund {n}", published_at=at) for n, at in enumerate(moments)]
    )
    with timezone.override(zone):
        volume = mentions_volume(
            filters=MentionFilters(q="refund", since=NOW - timedelta(days=days)), now=NOW
        )
    assert volume["bucket_seconds"] == step
    buckets = volume["t"]
    expected = dict.fromkeys(buckets, 0)
    for at in moments:
        if at >= NOW - timedelta(days=days):
            start = max(t for t in buckets if t <= at.timestamp())
            expected[start] += 1
    assert dict(zip(buckets, volume["count"], strict=True)) == expected
    assert volume["total"] == sum(expected.values()) > 0
