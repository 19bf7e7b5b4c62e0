"""The recovery search: the sliding window gives what rescanning every hour gives."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from playbook.selectors import _recovered_at, _share


def _rescan(rows, since, until, ceiling):  # type: ignore[no-untyped-def]
    hour = since
    while hour < until:
        share = _share(rows, hour, hour + timedelta(hours=1))
        if share is not None and share <= ceiling:
            return hour + timedelta(hours=1)
        hour += timedelta(minutes=5)
    return None


def test_the_sliding_window_matches_a_rescan_of_every_hour() -> None:
    rng = random.Random(7)
    start = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    for _ in range(300):
        buckets = sorted(rng.sample(range(-48, 96), rng.randint(0, 40)))
        rows = []
        for b in buckets:
            count = rng.randint(0, 30)
            rows.append((start + timedelta(minutes=5 * b), count, rng.randint(0, count)))
        since = start + timedelta(minutes=rng.randint(-60, 120))
        until = since + timedelta(minutes=rng.randint(0, 480))
        ceiling = rng.choice([0.0, 0.15, 0.3, 0.55, 1.0])
        assert _recovered_at(rows, since, until, ceiling) == _rescan(rows, since, until, ceiling)


def test_no_rows_or_no_time_means_no_recovery() -> None:
    start = datetime(2026, 3, 1, tzinfo=UTC)
    assert _recovered_at([], start, start + timedelta(hours=5), 1.0) is None
    rows = [(start, 10, 0)]
    assert _recovered_at(rows, start, start, 1.0) is None
    assert _recovered_at(rows, start, start + timedelta(minutes=1), 0.0) == start + timedelta(
        hours=1
    )
