"""bench_ingest stays valid at any N: no timestamp in the future, nothing rejected,
the COPY baseline reported from the same run."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta
from itertools import islice

import pytest
from django.core.management import call_command

from monitoring.management.commands.bench_ingest import STEP_SECONDS, synthetic
from monitoring.models import Brand, Mention, Source

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("n", [1_000_000, 10_000_000])
def test_the_synthetic_timestamps_end_before_now_at_any_size(n):
    items = synthetic(n, "run", ["Acme"])
    first = next(items)
    thousandth = next(islice(items, 998, None))
    start = datetime.fromisoformat(first["published_at"])
    # The generator really is that formula: the 1,000th item is where it says ...
    assert datetime.fromisoformat(thousandth["published_at"]) == start + timedelta(
        seconds=999 * STEP_SECONDS
    )
    # ... so the N-th one, the newest, is still in the past: ingest rejects none.
    last = start + timedelta(seconds=(n - 1) * STEP_SECONDS)
    assert last < datetime.now(UTC) - timedelta(seconds=30)


def test_a_small_run_accepts_everything_reports_the_copy_and_cleans_up():
    out = io.StringIO()
    call_command("bench_ingest", n=300, batch=100, measure_fts=True, stdout=out, stderr=out)
    text = out.getvalue()
    assert re.search(r"accepted 300, duplicates 0, rejected 0", text), text
    assert re.search(r"COPY of the same rows: 300 rows in [\d.]+ s", text), text
    assert "COPY without the full-text index" in text
    assert "peak RSS" in text
    assert re.search(r"of it inside mentions_ingest [\d.]+ CPU s", text), text
    assert re.search(r"sentiment scoring of the stored texts alone.*: [\d.]+ CPU s, \d+%", text)
    assert not Mention.objects.exists()
    assert not Source.objects.filter(key__startswith="bench-").exists()
    assert not Brand.objects.filter(slug__startswith="bench-").exists()
