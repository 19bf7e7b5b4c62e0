"""Convert ``monitoring_mention`` into a table partitioned by month of ``published_at``
(PostgreSQL only; a no-op on SQLite). See monitoring/partitions.py for the layout.

In place, for a deployment with rows:
1. create the partitioned table beside the old one (same columns, defaults and
   checks, primary key (id, published_at), one partition per month that has rows,
   this month and the next three, and a DEFAULT partition), its own id sequence and
   the key table;
2. a trigger on the old table records the ids of rows updated or deleted from now on;
3. copy the rows in batches of ``BATCH`` ids, each batch its own transaction (with
   its keys), so the old table stays readable and writable meanwhile;
4. build the indexes (the old table's, under temporary names) on the copy;
5. one short transaction, with writes to the old table blocked: copy the rows that
   arrived since step 3 began, copy again the rows recorded in step 2, move the
   sequence past the old one, point the other tables' links (no constraints any
   more: migration 0011), drop the old table, rename everything into place and
   install the key triggers.
Reads go on during the whole migration; writes wait only during step 5.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime

from django.db import migrations, transaction

from monitoring.partitions import (
    DEFAULT_PARTITION,
    DROP_TRIGGERS_SQL,
    KEY_TABLE,
    KEY_TABLE_SQL,
    SEQUENCE,
    TABLE,
    TRIGGERS_SQL,
    month_start,
    partition_create,
)

logger = logging.getLogger("monitoring.partitions")
BATCH = 50_000
NEW = f"{TABLE}_new"
OLD = f"{TABLE}_plain"
CHANGED = f"{TABLE}_changed"
NEW_SEQUENCE = f"{TABLE}_new_id_seq"

_TRACK_SQL = f"""
CREATE TABLE {CHANGED} (id bigint NOT NULL);
CREATE OR REPLACE FUNCTION {CHANGED}_note() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO {CHANGED} (id) VALUES (OLD.id);
    RETURN NULL;
END $$;
CREATE TRIGGER {CHANGED}_note AFTER UPDATE OR DELETE ON {TABLE}
    FOR EACH ROW EXECUTE FUNCTION {CHANGED}_note();
"""


def _relkind(cursor, name: str) -> str | None:  # type: ignore[no-untyped-def]
    cursor.execute("SELECT relkind FROM pg_class WHERE oid = to_regclass(%s)", [name])
    row = cursor.fetchone()
    return row[0] if row else None


def _indexes(cursor, table: str) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    """(name, definition) of the table's indexes other than its primary and unique keys."""
    cursor.execute(
        "SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i "
        "JOIN pg_class c ON c.oid = i.indexrelid "
        "WHERE i.indrelid = %s::regclass AND NOT i.indisprimary AND NOT i.indisunique "
        "ORDER BY c.relname",
        [table],
    )
    return list(cursor.fetchall())


def _foreign_keys(cursor, table: str) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    """(name, definition) of the table's foreign keys to other tables."""
    cursor.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = %s::regclass AND contype = 'f' AND confrelid <> conrelid",
        [table],
    )
    return list(cursor.fetchall())


def _drop_links_to(cursor, table: str) -> None:  # type: ignore[no-untyped-def]
    """Drop every foreign key constraint that points at ``table`` (its own included)."""
    cursor.execute(
        "SELECT conrelid::regclass::text, conname FROM pg_constraint "
        "WHERE confrelid = %s::regclass AND contype = 'f'",
        [table],
    )
    for owner, name in cursor.fetchall():
        cursor.execute(f'ALTER TABLE {owner} DROP CONSTRAINT "{name}"')


def _copy(cursor, where: str, params: list) -> int:  # type: ignore[no-untyped-def, type-arg]
    """Copy the rows (and their keys) that match ``where``; returns how many."""
    cursor.execute(f"INSERT INTO {NEW} SELECT * FROM {TABLE} WHERE {where}", params)
    rows = cursor.rowcount
    cursor.execute(
        f"INSERT INTO {KEY_TABLE} (source_id, external_id, mention_id, published_at) "
        f"SELECT source_id, external_id, id, published_at FROM {TABLE} WHERE {where}",
        params,
    )
    return rows


def partition(apps, schema_editor) -> None:  # type: ignore[no-untyped-def]
    conn = schema_editor.connection
    if conn.vendor != "postgresql":
        return
    if conn.in_atomic_block:
        raise RuntimeError("0012_partition_mentions must run outside a transaction")
    with transaction.atomic(using=conn.alias), conn.cursor() as cursor:
        if _relkind(cursor, TABLE) == "p":
            return  # converted already
        # What an earlier attempt that stopped half-way left: start again.
        cursor.execute(
            f"DROP TRIGGER IF EXISTS {CHANGED}_note ON {TABLE}; "
            f"DROP FUNCTION IF EXISTS {CHANGED}_note(); "
            f"DROP TABLE IF EXISTS {NEW}, {KEY_TABLE}, {CHANGED}; "
            f"DROP SEQUENCE IF EXISTS {NEW_SEQUENCE}"
        )
        # Step 1.
        cursor.execute(f"CREATE SEQUENCE {NEW_SEQUENCE}")
        cursor.execute(
            f"CREATE TABLE {NEW} (LIKE {TABLE} INCLUDING DEFAULTS INCLUDING CONSTRAINTS) "
            "PARTITION BY RANGE (published_at)"
        )
        cursor.execute(f"ALTER TABLE {NEW} ALTER COLUMN id SET DEFAULT nextval('{NEW_SEQUENCE}')")
        cursor.execute(
            f"ALTER TABLE {NEW} ADD CONSTRAINT {NEW}_pkey PRIMARY KEY (id, published_at)"
        )
        cursor.execute(
            f"SELECT DISTINCT date_trunc('month', published_at AT TIME ZONE 'UTC') FROM {TABLE}"
        )
        months = {month.replace(tzinfo=UTC) for (month,) in cursor.fetchall()}
        now = datetime.now(UTC)
        months |= {month_start(now, ahead) for ahead in range(4)}
        for start in sorted(months):
            partition_create(cursor, start, parent=NEW)
        cursor.execute(f"CREATE TABLE {DEFAULT_PARTITION} PARTITION OF {NEW} DEFAULT")
        cursor.execute(KEY_TABLE_SQL)
        # Step 2. CREATE TRIGGER waits for every transaction writing to the table, so
        # the max(id) read after it bounds what the batches copy: a row stored later
        # has a higher id (copied at the swap) or is noted by the trigger.
        cursor.execute(_TRACK_SQL)
        cursor.execute(f"SELECT coalesce(max(id), 0) FROM {TABLE}")
        copied = cursor.fetchone()[0]
    began, rows = time.perf_counter(), 0
    # Step 3: each batch commits on its own (the migration is not atomic).
    for start in range(0, copied, BATCH):
        with transaction.atomic(using=conn.alias), conn.cursor() as cursor:
            rows += _copy(cursor, "id > %s AND id <= %s", [start, min(start + BATCH, copied)])
    logger.info("copied %s rows and their keys in %.1f s", rows, time.perf_counter() - began)
    began = time.perf_counter()
    with transaction.atomic(using=conn.alias), conn.cursor() as cursor:
        # Step 4: building an index after the copy is faster than keeping it during.
        indexes = _indexes(cursor, TABLE)
        for name, definition in indexes:
            cursor.execute(
                definition.replace(f"INDEX {name} ON", f"INDEX {name}_new ON", 1).replace(
                    f" ON public.{TABLE} ", f" ON public.{NEW} ", 1
                )
            )
        # Same names: a constraint's name is its table's own.
        for name, definition in _foreign_keys(cursor, TABLE):
            cursor.execute(f'ALTER TABLE {NEW} ADD CONSTRAINT "{name}" {definition}')
    logger.info("built the indexes and foreign keys in %.1f s", time.perf_counter() - began)
    began = time.perf_counter()
    with transaction.atomic(using=conn.alias), conn.cursor() as cursor:
        # Step 5.
        cursor.execute(f"LOCK TABLE {TABLE} IN EXCLUSIVE MODE")
        rows = _copy(cursor, "id > %s", [copied])
        cursor.execute(f"DELETE FROM {NEW} WHERE id IN (SELECT id FROM {CHANGED})")
        cursor.execute(f"DELETE FROM {KEY_TABLE} WHERE mention_id IN (SELECT id FROM {CHANGED})")
        again = _copy(cursor, f"id <= %s AND id IN (SELECT id FROM {CHANGED})", [copied])
        cursor.execute(
            f"SELECT setval('{NEW_SEQUENCE}', greatest((SELECT coalesce(max(id), 0) FROM {TABLE}), "
            f"(SELECT last_value FROM {SEQUENCE})), true)"
        )
        _drop_links_to(cursor, TABLE)
        cursor.execute(f"DROP TABLE {TABLE}")
        cursor.execute(f"DROP TABLE {CHANGED}")
        cursor.execute(f"DROP FUNCTION {CHANGED}_note()")
        cursor.execute(f"ALTER TABLE {NEW} RENAME TO {TABLE}")
        cursor.execute(f"ALTER TABLE {TABLE} RENAME CONSTRAINT {NEW}_pkey TO {TABLE}_pkey")
        for name, _ in indexes:
            cursor.execute(f"ALTER INDEX {name}_new RENAME TO {name}")
        cursor.execute(f"ALTER SEQUENCE {NEW_SEQUENCE} RENAME TO {SEQUENCE}")
        cursor.execute(f"ALTER SEQUENCE {SEQUENCE} OWNED BY {TABLE}.id")
        cursor.execute(TRIGGERS_SQL)
    logger.info(
        "swapped (writes blocked) in %.1f s: %s rows that arrived and %s that changed "
        "during the copy",
        time.perf_counter() - began,
        rows,
        again,
    )
    with conn.cursor() as cursor:
        cursor.execute(f"ANALYZE {TABLE}")
        cursor.execute(f"ANALYZE {KEY_TABLE}")


def unpartition(apps, schema_editor) -> None:  # type: ignore[no-untyped-def]
    """Back to one plain table (one transaction: for going back, and for the tests)."""
    conn = schema_editor.connection
    if conn.vendor != "postgresql":
        return
    with transaction.atomic(using=conn.alias), conn.cursor() as cursor:
        if _relkind(cursor, TABLE) != "p":
            return
        cursor.execute(f"LOCK TABLE {TABLE} IN EXCLUSIVE MODE")
        cursor.execute(DROP_TRIGGERS_SQL)
        cursor.execute(
            f"CREATE TABLE {OLD} (LIKE {TABLE} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)"
        )
        cursor.execute(f"INSERT INTO {OLD} SELECT * FROM {TABLE}")
        cursor.execute(f"ALTER TABLE {OLD} ADD CONSTRAINT {OLD}_pkey PRIMARY KEY (id)")
        cursor.execute(
            f"ALTER TABLE {OLD} ADD CONSTRAINT {OLD}_uniq UNIQUE (source_id, external_id)"
        )
        indexes = _indexes(cursor, TABLE)
        for name, definition in indexes:
            cursor.execute(
                definition.replace(f"INDEX {name} ON ONLY public.{TABLE} ", "INDEX ", 1).replace(
                    "INDEX ", f"INDEX {name}_old ON public.{OLD} ", 1
                )
            )
        for name, definition in _foreign_keys(cursor, TABLE):
            cursor.execute(f'ALTER TABLE {OLD} ADD CONSTRAINT "{name}" {definition}')
        cursor.execute(f"ALTER SEQUENCE {SEQUENCE} OWNED BY {OLD}.id")
        cursor.execute(f"DROP TABLE {TABLE}")
        cursor.execute(f"DROP TABLE {KEY_TABLE}")
        cursor.execute(f"ALTER TABLE {OLD} RENAME TO {TABLE}")
        cursor.execute(f"ALTER TABLE {TABLE} RENAME CONSTRAINT {OLD}_pkey TO {TABLE}_pkey")
        cursor.execute(
            f"ALTER TABLE {TABLE} RENAME CONSTRAINT {OLD}_uniq TO uniq_mention_source_external_id"
        )
        for name, _ in indexes:
            cursor.execute(f"ALTER INDEX {name}_old RENAME TO {name}")


class Migration(migrations.Migration):
    atomic = False
    dependencies = [("monitoring", "0011_mention_links_no_db_constraint")]

    operations = [migrations.RunPython(partition, unpartition)]
