"""The explorer's CSV export at database speed, memory flat.

On PostgreSQL the database writes each CSV line itself (formula-injection escaping
and CSV quoting as SQL expressions over the explorer's own filtered query) and the
lines stream from a server-side cursor, EXPORT_CHUNK_ROWS at a time: no model
object, no Python per cell. Elsewhere (SQLite, embedded mode) Python's csv writer
does the same job over a chunked iterator.

Under ASGI (Daphne) Django would first collect a synchronous iterator into a list,
the whole export in memory: ``streaming_chunks`` hands it an asynchronous iterator
that pulls one chunk at a time from the same generator, on the request's thread.
"""

from __future__ import annotations

import csv
from collections.abc import AsyncIterator, Iterator

from asgiref.sync import sync_to_async
from django.db import connection, transaction
from django.db.models import QuerySet

EXPORT_CHUNK_ROWS = 5000
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
EXPORT_FIELDS = (
    "id",
    "published_at",
    "brand",
    "competitor_of",
    "platform",
    "source",
    "external_id",
    "author",
    "author_followers",
    "amplified_reach",
    "repost_count",
    "lang",
    "sentiment_label",
    "sentiment_score",
    "triggers",
    "url",
    "text",
)
# The same cells in ORM terms; published_at is formatted below.
_COLUMNS = (
    "pk",
    "published_at",
    "brand__slug",
    "competitor_of__slug",
    "platform",
    "source__key",
    "external_id",
    "author",
    "author_followers",
    "amplified_reach",
    "repost_count",
    "lang",
    "sentiment_label",
    "sentiment_score",
    "triggers",
    "url",
    "text",
)


class _Echo:
    def write(self, value: str) -> str:
        return value


def safe_cell(value: object) -> str:
    text = "" if value is None else str(value)
    # A cell starting with = + - @ is a formula to spreadsheet programs: defuse it.
    return "'" + text if text[:1] in FORMULA_STARTS else text


def _header() -> str:
    return csv.writer(_Echo()).writerow(EXPORT_FIELDS)


def _sql_cell(column: str) -> str:
    """SQL for one cell: text, formula-defused, quoted as Python's csv.QUOTE_MINIMAL."""
    text = f"COALESCE({column}::text, '')"
    defused = (
        f"CASE WHEN left({text}, 1) IN ('=', '+', '-', '@', E'\\t', E'\\r') "
        f"THEN '''' || {text} ELSE {text} END"
    )
    return (
        f"CASE WHEN {column}::text ~ '[\",\\r\\n]' "
        f"THEN '\"' || replace({defused}, '\"', '\"\"') || '\"' ELSE {defused} END"
    )


def _csv_sql(queryset: QuerySet) -> tuple[str, tuple]:
    rows = queryset.values_list(*_COLUMNS)
    inner, params = rows.query.sql_with_params()
    aliases = [f"c{i}" for i in range(len(_COLUMNS))]
    # Python's isoformat() of a UTC datetime, as the ORM path writes it.
    aliases_sql = list(aliases)
    aliases_sql[1] = (
        "(to_char(c1 AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS') || "
        "CASE WHEN mod(extract(microseconds FROM c1)::int, 1000000) = 0 THEN '' "
        "ELSE to_char(c1 AT TIME ZONE 'UTC', '.US') END || '+00:00')"
    )
    line = " || ',' || ".join(_sql_cell(c) for c in aliases_sql)
    sql = f"SELECT {line} || E'\\r\\n' FROM ({inner}) AS r({', '.join(aliases)})"
    return sql, params


def mentions_csv(queryset: QuerySet) -> Iterator[bytes]:
    """The rows of ``queryset`` (the explorer's filters and order) as CSV, in chunks."""
    yield _header().encode()
    if connection.vendor != "postgresql":
        yield from _python_rows(queryset)
        return
    sql, params = _csv_sql(queryset)
    # A named cursor needs a transaction (or WITH HOLD, which would have PostgreSQL
    # build the whole result before the first row): held only while streaming.
    with transaction.atomic(), connection.chunked_cursor() as cursor:
        cursor.execute(sql, params)
        while chunk := cursor.fetchmany(EXPORT_CHUNK_ROWS):
            yield "".join(line for (line,) in chunk).encode()


def _python_rows(queryset: QuerySet) -> Iterator[bytes]:
    writer = csv.writer(_Echo())
    lines = []
    for row in queryset.values_list(*_COLUMNS).iterator(chunk_size=EXPORT_CHUNK_ROWS):
        cells = list(row)
        cells[1] = cells[1].isoformat()
        lines.append(writer.writerow([safe_cell(v) for v in cells]))
        if len(lines) == EXPORT_CHUNK_ROWS:
            yield "".join(lines).encode()
            lines = []
    if lines:
        yield "".join(lines).encode()


async def _pull(chunks: Iterator[bytes]) -> AsyncIterator[bytes]:
    step = sync_to_async(next, thread_sensitive=True)
    done = object()
    try:
        while (chunk := await step(chunks, done)) is not done:
            yield chunk
    finally:
        # A client that goes away mid-export: end the transaction on its own thread.
        await sync_to_async(chunks.close, thread_sensitive=True)()  # type: ignore[attr-defined]


def streaming_chunks(chunks: Iterator[bytes], *, asynchronous: bool):  # type: ignore[no-untyped-def]
    """``chunks`` as the iterator the server needs: as is for WSGI, pulled one chunk
    at a time for ASGI."""
    return _pull(chunks) if asynchronous else chunks
