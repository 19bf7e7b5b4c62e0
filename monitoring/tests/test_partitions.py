"""The partitioned mentions table (PostgreSQL): exact dedupe across partitions through
the key table, the triggers that keep it right, the periodic partition task, and the
in-place migration of a table that already has rows (monitoring/partitions.py,
migration 0012)."""

from __future__ import annotations

import importlib
from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings as django_settings
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

from monitoring.ingest import mentions_ingest
from monitoring.models import LabelCorrection, Mention, Source
from monitoring.partitions import (
    DEFAULT_PARTITION,
    KEY_TABLE,
    mention_partitions_ensure,
    month_start,
    partition_name,
    partitions_list,
)
from monitoring.retention import mentions_prune
from monitoring.tasks import mention_partitions_ensure_task

pytestmark = pytest.mark.django_db
POSTGRESQL = django_settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
postgresql_only = pytest.mark.skipif(
    not POSTGRESQL, reason="partitioning is PostgreSQL's (SQLite keeps the plain table)"
)

NOW = datetime.now(UTC).replace(microsecond=0)
# Two different months, both with a partition (this month and, 40 days back, an
# earlier one that the first ingest of it lands in the default partition).
RECENT = NOW - timedelta(hours=1)
LAST_MONTH = month_start(NOW, -1) + timedelta(days=3, hours=5)


def item(name: str, at: datetime, **extra):  # type: ignore[no-untyped-def]
    return {
        "source": "twitter",
        "external_id": name,
        "text": f"Acme Coffee {name} is on the news tonight",
        "published_at": at.isoformat(),
        **extra,
    }


def keys() -> dict[tuple[int, str], tuple[int, datetime]]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT source_id, external_id, mention_id, published_at FROM {KEY_TABLE}")
        return {(s, e): (m, p) for s, e, m, p in cursor.fetchall()}


def partition_of(mention_id: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tableoid::regclass::text FROM monitoring_mention WHERE id = %s", [mention_id]
        )
        return cursor.fetchone()[0]


def test_a_resent_mention_with_another_published_at_is_a_duplicate(brand):
    first = mentions_ingest(items=[item("a", RECENT)])
    assert first.accepted == 1
    mention = Mention.objects.get()
    # Same source and external id, published a month earlier: another partition, and
    # a unique index there could not see the stored row; the key table does.
    again = mentions_ingest(items=[item("a", LAST_MONTH), item("b", LAST_MONTH)])
    assert (again.accepted, again.duplicates) == (1, 1)
    assert Mention.objects.filter(external_id="a").count() == 1
    if not POSTGRESQL:
        return  # SQLite: the plain table's unique constraint
    assert partition_of(mention.pk) == partition_name(month_start(RECENT))
    assert set(keys()) == {(mention.source_id, "a"), (mention.source_id, "b")}
    assert keys()[(mention.source_id, "a")] == (mention.pk, mention.published_at)


@postgresql_only
def test_an_orm_insert_of_a_stored_key_fails_like_the_unique_constraint_did(brand):
    mentions_ingest(items=[item("a", RECENT)])
    stored = Mention.objects.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        Mention.objects.create(
            source=stored.source,
            external_id="a",
            platform="twitter",
            text="again",
            published_at=LAST_MONTH,
        )
    other = Mention.objects.create(
        source=stored.source, external_id="c", platform="twitter", text="c", published_at=RECENT
    )
    assert keys()[(stored.source_id, "c")] == (other.pk, other.published_at)
    assert mentions_ingest(items=[item("c", LAST_MONTH)]).duplicates == 1


@postgresql_only
def test_moving_a_mention_to_another_month_keeps_its_key(brand):
    mentions_ingest(items=[item("a", RECENT)])
    mention = Mention.objects.get()
    Mention.objects.filter(pk=mention.pk).update(published_at=LAST_MONTH)
    assert partition_of(mention.pk) != partition_name(month_start(RECENT))
    assert keys() == {(mention.source_id, "a"): (mention.pk, LAST_MONTH)}
    assert mentions_ingest(items=[item("a", RECENT)]).duplicates == 1
    Mention.objects.filter(pk=mention.pk).update(external_id="renamed")
    assert set(keys()) == {(mention.source_id, "renamed")}
    assert mentions_ingest(items=[item("a", RECENT)]).accepted == 1


@postgresql_only
def test_deleting_a_mention_frees_its_key(brand):
    mentions_ingest(items=[item("a", RECENT), item("b", LAST_MONTH)])
    Mention.objects.filter(external_id="a").delete()
    b = Mention.objects.filter(external_id="b")
    b._raw_delete(b.db)
    assert keys() == {}
    assert mentions_ingest(items=[item("a", LAST_MONTH), item("b", RECENT)]).accepted == 2


@postgresql_only
def test_a_month_without_a_partition_lands_in_the_default_one_until_it_is_made(brand):
    old = month_start(NOW, -14) + timedelta(days=2)  # no partition that far back
    assert mentions_ingest(items=[item("old", old)]).accepted == 1
    mention = Mention.objects.get()
    assert partition_of(mention.pk) == DEFAULT_PARTITION
    assert partition_name(month_start(old)) in mention_partitions_ensure(months_ahead=0, now=old)
    # Moved into its month, key and all.
    assert partition_of(mention.pk) == partition_name(month_start(old))
    assert keys() == {(mention.source_id, "old"): (mention.pk, mention.published_at)}
    assert mentions_ingest(items=[item("old", RECENT)]).duplicates == 1
    assert mention_partitions_ensure(months_ahead=0, now=old) == []


@postgresql_only
def test_retention_drops_a_whole_old_month_and_keeps_a_month_with_a_correction(brand, bob):
    gone, older = (month_start(NOW, ago) + timedelta(days=2) for ago in (-14, -15))
    mention_partitions_ensure(months_ahead=1, now=older)
    mentions_ingest(
        items=[
            item("gone-1", gone),
            item("gone-2", gone + timedelta(days=1)),
            item("kept", older),
            item("goes-by-batch", older + timedelta(days=1)),
            item("young-repost", RECENT, repost_of="gone-1"),
            item("young-comment", RECENT, reply_to="gone-2"),
        ]
    )
    LabelCorrection.objects.create(
        mention=Mention.objects.get(external_id="kept"),
        user=bob,
        old_label="neutral",
        new_label="negative",
    )
    assert Mention.objects.get(external_id="young-repost").repost_of_id is not None
    assert Mention.objects.get(external_id="young-comment").reply_to_id is not None
    assert mentions_prune(before=NOW - timedelta(days=30)) == 3
    names = {name for name, _ in partitions_list()}
    assert partition_name(month_start(gone)) not in names  # dropped whole
    assert partition_name(month_start(older)) in names  # it has a correction to keep
    left = dict(Mention.objects.values_list("external_id", "pk"))
    assert set(left) == {"kept", "young-repost", "young-comment"}
    assert Mention.objects.get(external_id="young-repost").repost_of_id is None
    assert Mention.objects.get(external_id="young-comment").reply_to_id is None
    assert {(e, m) for (_, e), (m, _) in keys().items()} == set(left.items())


def test_the_periodic_task_makes_the_coming_months(settings):
    entry = django_settings.CELERY_BEAT_SCHEDULE["ensure-mention-partitions"]
    assert entry["task"] == "monitoring.tasks.mention_partitions_ensure_task"
    if not POSTGRESQL:
        assert mention_partitions_ensure_task() == 0  # nothing to make on SQLite
        return
    settings.MENTION_PARTITION_MONTHS_AHEAD = 6
    names = {name for name, _ in partitions_list()}
    wanted = {partition_name(month_start(NOW, ahead)) for ahead in range(7)}
    assert mention_partitions_ensure_task() == len(wanted - names)
    assert wanted <= {name for name, _ in partitions_list()}
    assert mention_partitions_ensure_task() == 0


def _migrate(targets) -> None:  # type: ignore[no-untyped-def]
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    connection.close()  # the next query reconnects with the new schema's caches


def _relkind() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT relkind FROM pg_class WHERE oid = 'monitoring_mention'::regclass")
        return cursor.fetchone()[0]


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_the_migration_converts_a_table_with_rows_in_place(brand, bob):
    leaves = MigrationExecutor(connection).loader.graph.leaf_nodes()
    _migrate([("monitoring", "0010_background_exports")])
    try:
        assert _relkind() == "r"
        source = Source.objects.create(kind="api", key="twitter", platform="twitter")
        rows = [
            Mention(
                source=source,
                external_id=f"m{n}",
                brand=brand,
                platform="twitter",
                text=f"Acme Coffee number {n}",
                published_at=at,
                sentiment_label="negative" if n % 2 else "neutral",
                author_followers=n,
            )
            for n, at in enumerate(
                [RECENT, LAST_MONTH, month_start(NOW, -5) + timedelta(days=9), RECENT]
            )
        ]
        Mention.objects.bulk_create(rows)
        original, repost = Mention.objects.order_by("pk")[:2]
        Mention.objects.filter(pk=repost.pk).update(repost_of=original)
        LabelCorrection.objects.create(
            mention=original, user=bob, old_label="neutral", new_label="negative"
        )
        before = {m["id"]: m for m in Mention.objects.values()}
    finally:
        _migrate(leaves)
    assert _relkind() == "p"
    assert {m["id"]: m for m in Mention.objects.values()} == before
    # Every row has its key and sits in its month's partition (the one five months
    # back made for it by the migration).
    assert keys() == {
        (m["source_id"], m["external_id"]): (pk, m["published_at"]) for pk, m in before.items()
    }
    for pk, m in before.items():
        assert partition_of(pk) == partition_name(month_start(m["published_at"]))
    # Links still resolve; the sequence goes on after the copied ids.
    assert Mention.objects.get(pk=repost.pk).repost_of == original
    assert LabelCorrection.objects.get().mention == original
    fresh = mentions_ingest(items=[item("m2", RECENT), item("new", RECENT)])
    assert (fresh.accepted, fresh.duplicates) == (1, 1)
    assert min(fresh.mention_ids) > max(before)
    # The partitioned table still refuses a mention of a source that does not exist.
    with pytest.raises(IntegrityError), transaction.atomic():
        Mention.objects.create(
            source_id=10**9, external_id="x", platform="x", text="x", published_at=RECENT
        )


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_writes_made_while_the_migration_copies_are_not_lost(brand, monkeypatch):
    leaves = MigrationExecutor(connection).loader.graph.leaf_nodes()
    _migrate([("monitoring", "0010_background_exports")])
    try:
        source = Source.objects.create(kind="api", key="twitter", platform="twitter")
        Mention.objects.bulk_create(
            Mention(
                source=source,
                external_id=f"m{n}",
                platform="twitter",
                text="t",
                published_at=RECENT,
            )
            for n in range(3)
        )
        module = importlib.import_module("monitoring.migrations.0012_partition_mentions")
        indexes = module._indexes

        def write_during_the_copy(cursor, table):  # type: ignore[no-untyped-def]
            # Called after the batched copy, before the swap: the old table is still
            # the one the application writes to.
            if table == "monitoring_mention" and not hasattr(write_during_the_copy, "done"):
                write_during_the_copy.done = True  # type: ignore[attr-defined]
                cursor.execute(
                    "UPDATE monitoring_mention SET sentiment_label = 'negative' "
                    "WHERE external_id = 'm0'"
                )
                cursor.execute("DELETE FROM monitoring_mention WHERE external_id = 'm1'")
                cursor.execute(
                    "INSERT INTO monitoring_mention (source_id, external_id, platform, text, "
                    "url, author, author_followers, lang, published_at, ingested_at, "
                    "sentiment_score, sentiment_label, triggers, repost_count, "
                    "amplified_reach, duplicate_count, reactions_positive, reactions_negative, "
                    "reactions_neutral) VALUES (%s, 'late', 'twitter', 't', '', '', 0, '', "
                    "%s, now(), 0, 'neutral', '', 0, 0, 0, 0, 0, 0)",
                    [source.pk, LAST_MONTH],
                )
            return indexes(cursor, table)

        monkeypatch.setattr(module, "_indexes", write_during_the_copy)
    finally:
        _migrate(leaves)
    assert write_during_the_copy.done  # type: ignore[attr-defined]
    labels = dict(Mention.objects.values_list("external_id", "sentiment_label"))
    assert labels == {"m0": "negative", "m2": "neutral", "late": "neutral"}
    assert {e for _, e in keys()} == {"m0", "m2", "late"}
    assert mentions_ingest(items=[item("m1", RECENT), item("late", RECENT)]).accepted == 1
