"""The war-room chart's series: its window and ranges, the detector's band, markers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from crisisroom.choices import TimelineKind
from crisisroom.services.incidents import incident_open
from crisisroom.services.timeline import timeline_add
from monitoring.choices import SignalKind
from monitoring.models import Rollup, Signal, bucket_start

pytestmark = pytest.mark.django_db


def volume_signal(brand, at, **fields):  # type: ignore[no-untyped-def]
    """A stored volume signal: 3.2 expected per bucket, alerting from 9.5, 50 seen."""
    values = {"kind": SignalKind.VOLUME, "baseline": 3.2, "threshold": 9.5, "observed": 50}
    return Signal.objects.create(brand=brand, at=at, **{**values, **fields})


@pytest.fixture
def storm(brand):  # type: ignore[no-untyped-def]
    """An incident that started 30 hours ago: a calm day, then a storm."""
    now = datetime.now(UTC)
    started = bucket_start(now - timedelta(hours=30))
    incident = incident_open(brand=brand, title="Points backlash", started_at=started)
    for hours_ago, count, negative in [(40, 2, 0), (31, 3, 1), (29, 90, 60), (2, 20, 5)]:
        Rollup.objects.create(
            brand=brand,
            bucket=bucket_start(now - timedelta(hours=hours_ago)),
            platform="twitter",
            count=count,
            negative=negative,
            neutral=count - negative,
        )
    Rollup.objects.create(
        brand=brand,
        bucket=bucket_start(now - timedelta(hours=29)),
        platform="threads",
        count=10,
        negative=10,
    )
    return incident


def _series(client, incident, **query):  # type: ignore[no-untyped-def]
    return client.get(f"/incidents/{incident.pk}/series.json", query)


def test_it_opens_on_the_incident_window_from_three_hours_before_it_to_now(client, bob, storm):
    client.force_login(bob)
    series = _series(client, storm).json()
    assert series["range"] == "incident"
    assert series["t"][0] == int((storm.started_at - timedelta(hours=3)).timestamp())
    assert series["t"][-1] == int(bucket_start(datetime.now(UTC)).timestamp())
    assert len(series["t"]) == 33 * 12 + 1
    # the storm bucket sums both platforms; the bucket 40 hours ago is outside
    assert max(series["count"]) == 100 and sum(series["count"]) == 3 + 100 + 20
    peak = series["count"].index(100)
    assert series["negative_share"][peak] == 0.7
    assert series["negative_share"][0] is None  # nothing said: no share, not 0 %


@pytest.mark.parametrize(("span", "buckets"), [("1h", 13), ("6h", 73), ("24h", 289), ("7d", 2017)])
def test_each_range_ends_now_and_spans_its_length(client, bob, storm, span, buckets):
    client.force_login(bob)
    series = _series(client, storm, range=span).json()
    assert series["range"] == span
    assert len(series["t"]) == len(series["count"]) == len(series["expected"]) == buckets
    assert series["end"] - series["start"] == (buckets - 1) * 300
    assert sum(series["count"]) == {"1h": 0, "6h": 20, "24h": 20, "7d": 125}[span]


@pytest.mark.parametrize("span", ["2h", "", "INCIDENT", "7d;drop"])
def test_an_unknown_range_is_a_400_that_names_the_ranges(client, bob, storm, span):
    client.force_login(bob)
    answer = _series(client, storm, range=span)
    assert answer.status_code == 400
    assert "1h, 6h, 24h, 7d" in answer.json()["error"]


def test_the_series_is_refused_to_someone_without_a_role(client, dave, storm):
    client.force_login(dave)
    assert _series(client, storm).status_code in {403, 404}


def test_the_band_is_the_detectors_baseline_and_threshold_where_it_stored_them(
    client, bob, storm, brand
):
    storm_at = bucket_start(datetime.now(UTC) - timedelta(hours=29))
    volume_signal(brand, storm_at, baseline=4.5, threshold=12.25, observed=100, incident=storm)
    # a negative-share signal is a share, not a count: no band from it
    volume_signal(
        brand,
        storm_at + timedelta(minutes=5),
        kind=SignalKind.NEGATIVE_SHARE,
        baseline=0.1,
        threshold=0.3,
        observed=0.7,
    )
    client.force_login(bob)
    series = _series(client, storm).json()
    at = series["t"].index(int(storm_at.timestamp()))
    assert (series["expected"][at], series["upper"][at]) == (4.5, 12.25)
    assert series["expected"][at + 1] is None and series["upper"][at + 1] is None
    assert sum(v is not None for v in series["expected"]) == 1


def test_markers_show_the_alert_and_the_published_statement_in_range(client, bob, storm, brand):
    storm_at = bucket_start(datetime.now(UTC) - timedelta(hours=29))
    volume_signal(brand, storm_at, observed=100, incident=storm, fires=True)
    # a signal that did not fire (cooldown) is no alert
    volume_signal(brand, storm_at + timedelta(minutes=5), incident=storm, fires=False)
    published = timeline_add(
        incident=storm,
        kind=TimelineKind.STATEMENT,
        message="Statement #7 published by bob: https://example.com/7",
        data={"statement": 7, "publications": [1]},
    )
    published.at = datetime.now(UTC) - timedelta(hours=3)
    published.save(update_fields=["at"])
    # a failed publication or a submission is no published statement
    timeline_add(
        incident=storm,
        kind=TimelineKind.STATEMENT,
        message="Publishing statement #7 failed",
        data={"statement": 7, "retry": True},
    )
    client.force_login(bob)
    markers = _series(client, storm).json()["markers"]
    assert [(m["kind"], m["t"]) for m in markers] == [
        ("alert", int(storm_at.timestamp())),
        ("statement", int(published.at.timestamp())),
    ]
    assert markers[0]["label"] == "Volume spike" and "observed 100" in markers[0]["detail"]
    assert markers[1]["label"] == "Statement #7 published"
    # the last hour holds neither
    assert _series(client, storm, range="1h").json()["markers"] == []
    # in Chinese, the labels too
    bob.language = "zh-hant"
    bob.save(update_fields=["language"])
    labels = [m["label"] for m in _series(client, storm).json()["markers"]]
    assert "Statement" not in labels[1] and "7" in labels[1]


def test_the_series_costs_the_same_queries_for_an_hour_and_a_week(
    client, bob, storm, django_assert_num_queries
):
    client.force_login(bob)
    _series(client, storm)  # session and user loaded once
    with django_assert_num_queries(7):
        assert _series(client, storm, range="1h").status_code == 200
    with django_assert_num_queries(7):
        assert _series(client, storm, range="7d").status_code == 200


def test_the_dashboard_draws_a_sparkline_per_brand_without_a_query_per_brand(
    client, bob, storm, brand, django_assert_num_queries
):
    from monitoring.models import Brand

    client.force_login(bob)
    client.get("/")
    # session, user, incidents, brands, sparklines (one query for all), sources, …
    with django_assert_num_queries(9):
        client.get("/")
    for i in range(3):
        other = Brand.objects.create(name=f"Other {i}", slug=f"other-{i}")
        Rollup.objects.create(
            brand=other, bucket=bucket_start(datetime.now(UTC)), platform="twitter", count=i + 1
        )
    with django_assert_num_queries(9):  # four brands cost what one did
        html = client.get("/").content.decode()
    assert html.count('<svg class="sparkline') == 4
    # the storm's brand: 20 mentions two hours ago is its peak hour in the last 24 h
    assert "Mentions per hour over the last 24 hours: at most 20" in html
    assert "at most 3 " in html  # Other 2's single hour


def test_a_sparkline_is_flat_and_says_so_for_a_quiet_brand(client, bob, db):
    from monitoring.models import Brand

    Brand.objects.create(name="Quiet Tea", slug="quiet-tea")
    client.force_login(bob)
    html = client.get("/").content.decode()
    assert 'aria-label="No mentions in the last 24 hours."' in html
