"""Full-text search over mention text.

PostgreSQL (services mode): a GIN index on ``to_tsvector('simple', text)``; the
'simple' configuration lower-cases and splits on spaces and punctuation without
stemming, which suits mixed English/Chinese. Chinese has no spaces, so a run of
CJK characters is one lexeme and a word inside it cannot be found that way: a query
containing CJK characters is a substring search instead (``icontains``). It runs
inside the explorer's brand and time filters (the (brand, published_at) index); a
pg_trgm index would serve it without them but costs about 15% of ingest throughput,
measured with bench_ingest, so it is left out. SQLite (embedded mode) always uses
``icontains``.
"""

from __future__ import annotations

import logging
import re

from django.db import connection
from django.db.models import Q, QuerySet

logger = logging.getLogger(__name__)

_CJK_RE = re.compile(r"[\u3000-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f]")

_WORD_RE = re.compile(r'-?"[^"]*"|\S+')
FTS_INDEX = "mention_text_fts_idx"
TRGM_INDEX = "mention_text_trgm_idx"


def search_indexes_create(apps=None, schema_editor=None) -> None:  # type: ignore[no-untyped-def]
    """Create the search indexes on PostgreSQL; called by a migration, a no-op on SQLite."""
    conn = schema_editor.connection if schema_editor else connection
    if conn.vendor != "postgresql":
        return
    table = "monitoring_mention"
    with conn.cursor() as cursor:
        cursor.execute(
            f"CREATE INDEX IF NOT EXISTS {FTS_INDEX} ON {table} "
            "USING gin (to_tsvector('simple'::regconfig, text))"
        )


def search_indexes_drop(apps=None, schema_editor=None) -> None:  # type: ignore[no-untyped-def]
    conn = schema_editor.connection if schema_editor else connection
    if conn.vendor != "postgresql":
        return
    with conn.cursor() as cursor:
        cursor.execute(f"DROP INDEX IF EXISTS {FTS_INDEX}")
        cursor.execute(f"DROP INDEX IF EXISTS {TRGM_INDEX}")


def has_cjk(text: str) -> bool:
    return bool(_CJK_RE.search(text))


def search_filter(queryset: QuerySet, query: str) -> QuerySet:
    """Mentions whose text matches ``query`` (web-search syntax on PostgreSQL)."""
    query = query.strip()
    if not query:
        return queryset
    if connection.vendor != "postgresql" or has_cjk(query):
        # The same little syntax as web search: words and "phrases" must all appear,
        # -word must not.
        condition = Q()
        for token in _WORD_RE.findall(query):
            negate = token.startswith("-") and len(token) > 1
            word = token[1:] if negate else token
            word = word.strip('"')
            if not word or word.upper() == "OR":
                continue
            condition &= ~Q(text__icontains=word) if negate else Q(text__icontains=word)
        return queryset.filter(condition)
    # The expression must match the index's exactly for PostgreSQL to use it.
    return queryset.extra(  # noqa: S610 - parameters are bound, not interpolated
        where=[
            "to_tsvector('simple'::regconfig, monitoring_mention.text) "
            "@@ websearch_to_tsquery('simple'::regconfig, %s)"
        ],
        params=[query],
    )
