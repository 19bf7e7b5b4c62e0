"""Full-text search over mention text.

PostgreSQL (services mode): a stored ``search_vector`` column, ``GENERATED ALWAYS AS
(to_tsvector('simple', text)) STORED``, with a GIN index (migration
``monitoring/0013_mention_search_vector``; on the partitioned table the column and
the index propagate to every partition). The 'simple' configuration lower-cases and
splits on spaces and punctuation without stemming, which suits mixed
English/Chinese. Words and phrases are matched against the stored vector, so the
index's recheck (every candidate row of a phrase, and of a search's chart, which
counts a day of matches) reads the vector instead of parsing the text again. The
column is not a model field: SQLite (embedded mode) has no such type, and nothing
outside this module reads it; ingest's explicit column lists leave it to the
database.

Chinese has no spaces, so a run of CJK characters is one lexeme and a word inside it
cannot be found that way: a query containing CJK characters is a substring search
instead, ``text ILIKE '%…%'`` on PostgreSQL (served by the pg_trgm index
``mention_text_trgm_idx`` when migration 0014 could create it; a substring of
fewer than three characters has no trigram and reads the rows in time order), and
``icontains`` on SQLite, which always searches that way.
"""

from __future__ import annotations

import logging
import re

from django.db import DatabaseError, connection, transaction
from django.db.models import Q, QuerySet

logger = logging.getLogger(__name__)

_CJK_RE = re.compile(r"[\u3000-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f]")

_WORD_RE = re.compile(r'-?"[^"]*"|\S+')
TABLE = "monitoring_mention"
# The GIN index that serves word and phrase search: over the expression until
# migration 0013, over the stored column since (same name, so tools that drop it to
# measure its cost, bench_ingest --measure-fts, find it either way).
FTS_INDEX = "mention_text_fts_idx"
SEARCH_VECTOR = "search_vector"
TRGM_INDEX = "mention_text_trgm_idx"
_VECTOR_SQL = "to_tsvector('simple'::regconfig, text)"


def _postgresql(schema_editor):  # type: ignore[no-untyped-def]
    """The migration's connection when it is PostgreSQL's, else None (SQLite: no-op)."""
    conn = schema_editor.connection if schema_editor else connection
    return conn if conn.vendor == "postgresql" else None


def search_indexes_create(apps=None, schema_editor=None) -> None:  # type: ignore[no-untyped-def]
    """Create the search indexes on PostgreSQL; called by a migration, a no-op on SQLite."""
    conn = _postgresql(schema_editor)
    if conn is None:
        return
    with conn.cursor() as cursor:
        cursor.execute(
            f"CREATE INDEX IF NOT EXISTS {FTS_INDEX} ON {TABLE} USING gin ({_VECTOR_SQL})"
        )


def search_indexes_drop(apps=None, schema_editor=None) -> None:  # type: ignore[no-untyped-def]
    conn = _postgresql(schema_editor)
    if conn is None:
        return
    with conn.cursor() as cursor:
        cursor.execute(f"DROP INDEX IF EXISTS {FTS_INDEX}")
        cursor.execute(f"DROP INDEX IF EXISTS {TRGM_INDEX}")


def search_vector_create(apps=None, schema_editor=None) -> None:  # type: ignore[no-untyped-def]
    """Migration 0013: the stored vector and its GIN index in place of the expression
    index (PostgreSQL; a no-op on SQLite). Adding a stored generated column rewrites
    the table (every partition) under an exclusive lock."""
    conn = _postgresql(schema_editor)
    if conn is None:
        return
    with conn.cursor() as cursor:
        cursor.execute(f"DROP INDEX IF EXISTS {FTS_INDEX}")
        cursor.execute(
            f"ALTER TABLE {TABLE} ADD COLUMN IF NOT EXISTS {SEARCH_VECTOR} tsvector "
            f"GENERATED ALWAYS AS ({_VECTOR_SQL}) STORED"
        )
        cursor.execute(f"CREATE INDEX {FTS_INDEX} ON {TABLE} USING gin ({SEARCH_VECTOR})")


def search_vector_drop(apps=None, schema_editor=None) -> None:  # type: ignore[no-untyped-def]
    """Back to the expression index (dropping the column drops its index)."""
    conn = _postgresql(schema_editor)
    if conn is None:
        return
    with conn.cursor() as cursor:
        cursor.execute(f"ALTER TABLE {TABLE} DROP COLUMN IF EXISTS {SEARCH_VECTOR}")
    search_indexes_create(schema_editor=schema_editor)


def trigram_index_create(apps=None, schema_editor=None) -> bool:  # type: ignore[no-untyped-def]
    """Migration 0014: the pg_trgm index for substring search (PostgreSQL; a no-op on
    SQLite). Creates the extension when missing; without the right to, logs a
    warning and leaves the index out. Returns whether the index exists."""
    conn = _postgresql(schema_editor)
    if conn is None:
        return False
    with conn.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
        if cursor.fetchone() is None:
            try:
                with transaction.atomic(using=conn.alias):  # a savepoint inside the migration's
                    cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            except DatabaseError as exc:
                logger.warning(
                    "pg_trgm could not be created (%s): Chinese substring search stays "
                    "unindexed; a superuser can run CREATE EXTENSION pg_trgm and this "
                    "migration again",
                    exc,
                )
                return False
        cursor.execute(
            f"CREATE INDEX IF NOT EXISTS {TRGM_INDEX} ON {TABLE} USING gin (text gin_trgm_ops)"
        )
    return True


def trigram_index_drop(apps=None, schema_editor=None) -> None:  # type: ignore[no-untyped-def]
    """Drop the trigram index; the extension stays (it may serve other things)."""
    conn = _postgresql(schema_editor)
    if conn is None:
        return
    with conn.cursor() as cursor:
        cursor.execute(f"DROP INDEX IF EXISTS {TRGM_INDEX}")


def has_cjk(text: str) -> bool:
    return bool(_CJK_RE.search(text))


def _terms(query: str) -> list[tuple[str, bool]]:
    """(word, negated) of the little web-search syntax the substring search takes:
    words and "phrases" must all appear, -word must not."""
    terms = []
    for token in _WORD_RE.findall(query):
        negate = token.startswith("-") and len(token) > 1
        word = (token[1:] if negate else token).strip('"')
        if word and word.upper() != "OR":
            terms.append((word, negate))
    return terms


def _like_pattern(word: str) -> str:
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def search_filter(queryset: QuerySet, query: str) -> QuerySet:
    """Mentions whose text matches ``query`` (web-search syntax on PostgreSQL)."""
    query = query.strip()
    if not query:
        return queryset
    if connection.vendor != "postgresql":
        condition = Q()
        for word, negate in _terms(query):
            condition &= ~Q(text__icontains=word) if negate else Q(text__icontains=word)
        return queryset.filter(condition)
    if has_cjk(query):
        # ILIKE on the column itself, which the trigram index serves (Django's
        # icontains is UPPER(text) LIKE UPPER(…), which it does not).
        where, params = [], []
        for word, negate in _terms(query):
            where.append(f"{TABLE}.text {'NOT ' if negate else ''}ILIKE %s")
            params.append(_like_pattern(word))
        if not where:
            return queryset
        return queryset.extra(where=where, params=params)  # noqa: S610 - bound parameters
    return queryset.extra(  # noqa: S610 - parameters are bound, not interpolated
        where=[f"{TABLE}.{SEARCH_VECTOR} @@ websearch_to_tsquery('simple'::regconfig, %s)"],
        params=[query],
    )
