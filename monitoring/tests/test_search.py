"""Explorer search (monitoring/search.py): words, phrases, exclusions and Chinese
substrings on both databases; on PostgreSQL the stored search vector (migration 0013)
and the trigram index (0014) serve them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection

from monitoring import partitions
from monitoring.ingest import mentions_ingest
from monitoring.models import Mention
from monitoring.search import FTS_INDEX, SEARCH_VECTOR, TRGM_INDEX, search_filter

pytestmark = pytest.mark.django_db
postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the stored vector and trigrams are PostgreSQL's"
)
NOW = datetime.now(UTC).replace(microsecond=0)


def item(name: str, text: str, at: datetime | None = None) -> dict:
    return {
        "source": "twitter",
        "external_id": name,
        "text": text,
        "published_at": (at or NOW - timedelta(minutes=5)).isoformat(),
    }


@pytest.fixture
def texts(brand):  # type: ignore[no-untyped-def]
    mentions_ingest(
        items=[
            item("points", "Acme Coffee deleted my loyalty points, a scam"),
            item("reverse", "Points for loyalty at Acme Coffee? None"),
            item("latte", "Best LATTE at Acme Coffee today"),
            item("zh", "Acme咖啡把會員點數全部清零，太過分了"),
            item("zh-other", "今天在Acme咖啡等了半小時"),
            item("percent", "Acme咖啡 打折100%了"),
        ]
    )


def found(query: str) -> set[str]:
    return set(search_filter(Mention.objects.all(), query).values_list("external_id", flat=True))


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("latte", {"latte"}),
        ("Latte", {"latte"}),
        ("loyalty points", {"points", "reverse"}),
        ('"loyalty points"', {"points"}),
        ("coffee -latte -loyalty", set()),
        ("coffee -latte", {"points", "reverse"}),
        ("會員點數", {"zh"}),  # inside a run of CJK characters: a substring
        ("咖啡", {"zh", "zh-other", "percent"}),
        ("acme咖啡 -清零", {"zh-other", "percent"}),
        ("ACME咖啡", {"zh", "zh-other", "percent"}),  # case-insensitive
        ("100%了", {"percent"}),  # % is a character here, not a wildcard
        ("打折_", set()),  # and so is _
    ],
)
def test_search_finds_words_phrases_and_chinese_substrings(texts, query, expected):
    assert found(query) == expected


@postgresql_only
def test_word_and_phrase_search_read_the_stored_vector_through_its_index(texts):
    sql = str(search_filter(Mention.objects.all(), '"loyalty points"').query)
    assert f"monitoring_mention.{SEARCH_VECTOR} @@ websearch_to_tsquery" in sql
    assert "to_tsvector" not in sql  # never parsed again at query time
    with connection.cursor() as cursor:
        # The column is generated on the parent and on every partition.
        cursor.execute(
            "SELECT c.relname, a.attgenerated FROM pg_attribute a "
            "JOIN pg_class c ON c.oid = a.attrelid WHERE a.attname = %s "
            "AND (c.relname = 'monitoring_mention' OR c.oid IN (SELECT inhrelid FROM "
            "pg_inherits WHERE inhparent = 'monitoring_mention'::regclass))",
            [SEARCH_VECTOR],
        )
        generated = dict(cursor.fetchall())
        assert set(generated) == {"monitoring_mention"} | {
            n for n, _ in partitions.partitions_list()
        }
        assert set(generated.values()) == {"s"}
        cursor.execute("SELECT pg_get_indexdef(%s::regclass)", [FTS_INDEX])
        assert f"gin ({SEARCH_VECTOR})" in cursor.fetchone()[0]
        cursor.execute("SET LOCAL enable_seqscan = off")
        queryset = search_filter(Mention.objects.all(), '"loyalty points"')
        plan = queryset.explain()
    # Each partition's index is named after the parent's (…_search_vector_idx).
    assert f"{SEARCH_VECTOR}_idx" in plan, plan


@postgresql_only
def test_chinese_substring_search_is_served_by_the_trigram_index(texts):
    queryset = search_filter(Mention.objects.all(), "會員點數 -太過")
    sql = str(queryset.query)
    # ILIKE on the column itself: Django's icontains (UPPER(text) LIKE …) misses the index
    assert "monitoring_mention.text ILIKE" in sql and "monitoring_mention.text NOT ILIKE" in sql
    assert "UPPER(" not in sql
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_indexdef(%s::regclass)", [TRGM_INDEX])
        assert "gin (text gin_trgm_ops)" in cursor.fetchone()[0]
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        plan = search_filter(Mention.objects.all(), "會員點數").explain()
    # the partitions' trigram indexes are named …_text_idx
    assert "Bitmap Index Scan on monitoring_mention_p" in plan and "_text_idx" in plan, plan


@postgresql_only
def test_a_row_moved_out_of_the_default_partition_keeps_its_vector(brand):
    """partition_create copies a month's rows out of the default partition: every
    column but the generated one, which the new partition computes again."""
    old = partitions.month_start(NOW, -14) + timedelta(days=2)  # no partition that far back
    mentions_ingest(items=[item("old", "an old loyalty points complaint", at=old)])
    month = partitions.partition_name(partitions.month_start(old))

    def home() -> str:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT tableoid::regclass::text FROM monitoring_mention WHERE external_id = 'old'"
            )
            return cursor.fetchone()[0]

    assert home() == partitions.DEFAULT_PARTITION
    assert month in partitions.mention_partitions_ensure(months_ahead=0, now=old)
    assert home() == month
    assert found('"loyalty points"') == {"old"}
