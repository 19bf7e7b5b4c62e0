"""The CSV export: the database-written lines read back exactly like Python's csv
writer would have written them, formulas defused, streamed in chunks."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from asgiref.sync import async_to_sync
from django.test import Client

from monitoring import exports
from monitoring.ingest import mentions_ingest
from monitoring.models import Mention

pytestmark = pytest.mark.django_db

NOW = datetime.now(UTC).replace(microsecond=0)
TRICKY = [
    'She said "boycott", then left',
    "line one\nline two, with a comma",
    "=SUM(A1:A9) Acme Coffee",
    "+1 for Acme Coffee",
    "-1 for Acme Coffee",
    "@acme Acme Coffee",
    "\tAcme Coffee tab first",
    "Acme咖啡，服務很差 😡",
    "plain Acme Coffee",
]


@pytest.fixture
def tricky(brand):  # type: ignore[no-untyped-def]
    items = [
        {
            "source": "twitter",
            "external_id": f"t{n}",
            "text": text,
            "author": '=cmd|"/c calc"' if n == 0 else f"a{n}",
            "url": f"https://example.com/{n}?a=1,b=2",
            "published_at": (NOW - timedelta(minutes=n, microseconds=1500 * n)).isoformat(),
        }
        for n, text in enumerate(TRICKY)
    ]
    items.append({**items[-1], "external_id": "nobrand", "text": "tea", "brand": None})
    mentions_ingest(items=items)
    return Mention.objects.order_by("-published_at", "-pk")


def parse(chunks) -> list[list[str]]:  # type: ignore[no-untyped-def]
    return list(csv.reader(io.StringIO(b"".join(chunks).decode())))


def test_the_database_writes_the_same_csv_as_pythons_writer(tricky):
    database = parse(exports.mentions_csv(tricky))
    python = parse([exports._header().encode(), *exports._python_rows(tricky)])
    assert len(database) == len(TRICKY) + 1 + 1  # header, the tricky rows, no-brand row
    # Scores: PostgreSQL writes 0 where Python writes 0.0; same number.
    score = exports.EXPORT_FIELDS.index("sentiment_score")
    for row in (*database[1:], *python[1:]):
        row[score] = repr(float(row[score].lstrip("'")))
    assert database == python
    texts = {row[exports.EXPORT_FIELDS.index("text")] for row in database[1:]}
    assert "'=SUM(A1:A9) Acme Coffee" in texts
    assert "'-1 for Acme Coffee" in texts
    assert "line one\nline two, with a comma" in texts
    assert 'She said "boycott", then left' in texts
    assert database[1][exports.EXPORT_FIELDS.index("author")].startswith("'=cmd")


def test_it_streams_in_chunks(tricky, monkeypatch):
    monkeypatch.setattr(exports, "EXPORT_CHUNK_BYTES", 300)
    chunks = list(exports.mentions_csv(tricky))
    assert len(chunks) >= 4
    assert max(len(c) for c in chunks) < 300 + 1000  # a chunk ends after the row passing 300
    assert len(parse(chunks)) == 11


def test_under_asgi_the_chunks_come_one_at_a_time(tricky, monkeypatch):
    monkeypatch.setattr(exports, "EXPORT_CHUNK_BYTES", 300)
    source = exports.mentions_csv(tricky)
    stream = exports.streaming_chunks(source, asynchronous=True)

    async def first_two() -> list[bytes]:
        got = [await anext(stream), await anext(stream)]
        await stream.aclose()  # the client goes away
        return got

    first, second = async_to_sync(first_two)()
    assert first.startswith(b"id,published_at")
    assert second
    assert source.gi_frame is None  # the generator was closed, its COPY stopped
    # The connection is usable again right away.
    assert Mention.objects.count() == 10


def test_the_export_view_keeps_the_filters(charlie, tricky):
    client = Client()
    client.force_login(charlie)
    response = client.get("/mentions/export.csv", {"q": "boycott"})
    rows = parse(response.streaming_content)
    assert [r[exports.EXPORT_FIELDS.index("external_id")] for r in rows[1:]] == ["t0"]
