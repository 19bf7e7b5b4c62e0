"""Monthly range partitions of the mentions table on PostgreSQL (services mode).

``monitoring_mention`` is partitioned by ``published_at``: one partition per calendar
month (UTC) and a DEFAULT partition, so an insert never fails for want of a
partition. A unique constraint on a partitioned table must contain the partition
key, so the database's primary key is ``(id, published_at)`` (Django keeps ``id``
as the pk: ids still come from one sequence and are unique) and the exact dedupe
on (source, external id) lives in an unpartitioned key table,
``monitoring_mention_key (source_id, external_id) PRIMARY KEY, mention_id,
published_at``. Ingest inserts into it first (``ON CONFLICT DO NOTHING RETURNING``)
and stores only the rows that got a key (monitoring/ingest.py); triggers keep it
right for every other write: an insert by the ORM gets its key (a duplicate raises
a unique violation, as the old constraint did), an update that changes the key or
the publication time (moving the row to another partition) updates it, a DELETE
or TRUNCATE of the table drops its keys.

Foreign keys that point at mentions (label corrections, team replies, reposts and
comments) cannot be database constraints without the partition key: they are
``db_constraint=False`` and Django applies their ``on_delete`` in Python; the one
raw-SQL delete (retention) applies them itself (monitoring/retention.py).

SQLite (embedded mode) keeps the plain table with its unique constraint: nothing
here runs there. The conversion of an existing table is migration
``monitoring/0012_partition_mentions``; ``mention_partitions_ensure`` (periodic task
``ensure-mention-partitions``) creates the coming months ahead of time.
"""

from __future__ import annotations

from datetime import UTC, datetime

from django.db import connection as default_connection
from django.db import transaction

TABLE = "monitoring_mention"
KEY_TABLE = "monitoring_mention_key"
SEQUENCE = "monitoring_mention_id_seq"
DEFAULT_PARTITION = "monitoring_mention_default"
# Ingest writes the keys itself (one set-based statement) and sets this for the
# statement that follows, so the per-row trigger stays out of its way.
KEYED_SETTING = "monitoring.mention_keyed"

KEY_TABLE_SQL = f"""
CREATE TABLE {KEY_TABLE} (
    source_id bigint NOT NULL,
    external_id varchar(255) NOT NULL,
    mention_id bigint NOT NULL,
    published_at timestamp with time zone NOT NULL,
    PRIMARY KEY (source_id, external_id)
)
"""

TRIGGERS_SQL = f"""
CREATE OR REPLACE FUNCTION monitoring_mention_key_insert() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO {KEY_TABLE} (source_id, external_id, mention_id, published_at)
    VALUES (NEW.source_id, NEW.external_id, NEW.id, NEW.published_at)
    ON CONFLICT DO NOTHING;
    -- A row moving to another partition (its published_at changed) keeps its key.
    IF NOT FOUND AND NOT EXISTS (
        SELECT 1 FROM {KEY_TABLE} WHERE source_id = NEW.source_id
        AND external_id = NEW.external_id AND mention_id = NEW.id
    ) THEN
        RAISE unique_violation USING
            MESSAGE = format('duplicate mention (source %s, external id %s)',
                             NEW.source_id, NEW.external_id),
            CONSTRAINT = 'uniq_mention_source_external_id';
    END IF;
    RETURN NEW;
END $$;

CREATE OR REPLACE FUNCTION monitoring_mention_key_update() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF (NEW.source_id, NEW.external_id) IS DISTINCT FROM (OLD.source_id, OLD.external_id) THEN
        DELETE FROM {KEY_TABLE} WHERE source_id = OLD.source_id
            AND external_id = OLD.external_id AND mention_id = OLD.id;
        INSERT INTO {KEY_TABLE} (source_id, external_id, mention_id, published_at)
        VALUES (NEW.source_id, NEW.external_id, NEW.id, NEW.published_at);
    ELSE
        UPDATE {KEY_TABLE} SET published_at = NEW.published_at
        WHERE source_id = NEW.source_id AND external_id = NEW.external_id
            AND mention_id = NEW.id;
    END IF;
    RETURN NEW;
END $$;

CREATE OR REPLACE FUNCTION monitoring_mention_key_delete() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM {KEY_TABLE} k USING gone g
    WHERE k.source_id = g.source_id AND k.external_id = g.external_id
        AND k.mention_id = g.id;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION monitoring_mention_key_truncate() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    TRUNCATE {KEY_TABLE};
    RETURN NULL;
END $$;

CREATE TRIGGER monitoring_mention_key_insert BEFORE INSERT ON {TABLE}
    FOR EACH ROW
    WHEN (current_setting('{KEYED_SETTING}', true) IS DISTINCT FROM 'on')
    EXECUTE FUNCTION monitoring_mention_key_insert();
CREATE TRIGGER monitoring_mention_key_update
    BEFORE UPDATE OF source_id, external_id, published_at ON {TABLE}
    FOR EACH ROW
    WHEN ((NEW.source_id, NEW.external_id, NEW.published_at)
          IS DISTINCT FROM (OLD.source_id, OLD.external_id, OLD.published_at))
    EXECUTE FUNCTION monitoring_mention_key_update();
CREATE TRIGGER monitoring_mention_key_delete AFTER DELETE ON {TABLE}
    REFERENCING OLD TABLE AS gone FOR EACH STATEMENT
    EXECUTE FUNCTION monitoring_mention_key_delete();
CREATE TRIGGER monitoring_mention_key_truncate AFTER TRUNCATE ON {TABLE}
    FOR EACH STATEMENT EXECUTE FUNCTION monitoring_mention_key_truncate();
"""

DROP_TRIGGERS_SQL = f"""
DROP TRIGGER IF EXISTS monitoring_mention_key_insert ON {TABLE};
DROP TRIGGER IF EXISTS monitoring_mention_key_update ON {TABLE};
DROP TRIGGER IF EXISTS monitoring_mention_key_delete ON {TABLE};
DROP TRIGGER IF EXISTS monitoring_mention_key_truncate ON {TABLE};
DROP FUNCTION IF EXISTS monitoring_mention_key_insert();
DROP FUNCTION IF EXISTS monitoring_mention_key_update();
DROP FUNCTION IF EXISTS monitoring_mention_key_delete();
DROP FUNCTION IF EXISTS monitoring_mention_key_truncate();
"""


def is_partitioned(conn=None) -> bool:  # type: ignore[no-untyped-def]
    """Whether the mentions table is partitioned: always on PostgreSQL once migrated."""
    return (conn or default_connection).vendor == "postgresql"


def month_start(moment: datetime, ahead: int = 0) -> datetime:
    """The first instant (UTC) of the month ``ahead`` months after ``moment``'s."""
    moment = moment.astimezone(UTC)
    months = moment.year * 12 + moment.month - 1 + ahead
    return datetime(months // 12, months % 12 + 1, 1, tzinfo=UTC)


def partition_name(start: datetime) -> str:
    return f"{TABLE}_p{start:%Y_%m}"


def partition_create(cursor, start: datetime, *, parent: str = TABLE) -> bool:  # type: ignore[no-untyped-def]
    """Create the partition of the month starting at ``start`` unless it exists.

    Rows of that month already in the DEFAULT partition (inserted while no partition
    existed for it) are moved into the new one first, in the same transaction: a
    partition cannot be attached while the default holds rows of its range. Moving
    rows between partitions directly fires no trigger of the parent table, so their
    keys stay as they are (id and published_at do not change).
    """
    name = partition_name(start)
    cursor.execute("SELECT to_regclass(%s)", [name])
    if cursor.fetchone()[0] is not None:
        return False
    end = month_start(start, 1)
    default, table = DEFAULT_PARTITION, parent
    bounds = [start, end]
    cursor.execute("SELECT to_regclass(%s)", [default])
    moved = False
    if cursor.fetchone()[0] is not None:
        cursor.execute(
            f"SELECT EXISTS (SELECT 1 FROM {default} "
            "WHERE published_at >= %s AND published_at < %s)",
            bounds,
        )
        moved = cursor.fetchone()[0]
    if not moved:
        cursor.execute(
            f"CREATE TABLE {name} PARTITION OF {table} FOR VALUES FROM (%s) TO (%s)", bounds
        )
        return True
    # INCLUDING GENERATED: a partition's generated columns (the search vector,
    # migration 0013) must be generated like the parent's to be attached; the
    # database computes them again, so they are left out of the copy.
    cursor.execute(
        f"CREATE TABLE {name} (LIKE {table} "
        "INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING GENERATED)"
    )
    cursor.execute(
        "SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) FROM pg_attribute "
        "WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped "
        "AND attgenerated = ''",
        [table],
    )
    columns = cursor.fetchone()[0]
    cursor.execute(
        f"WITH moved AS (DELETE FROM {default} WHERE published_at >= %s AND published_at < %s "
        f"RETURNING {columns}) INSERT INTO {name} ({columns}) SELECT {columns} FROM moved",
        bounds,
    )
    cursor.execute(
        f"ALTER TABLE {table} ATTACH PARTITION {name} FOR VALUES FROM (%s) TO (%s)", bounds
    )
    return True


def mention_partitions_ensure(
    *, months_ahead: int = 3, now: datetime | None = None, conn=None
) -> list[str]:  # type: ignore[no-untyped-def]
    """Create this month's partition and the next ``months_ahead`` months' if missing
    (a no-op on SQLite). Returns the names created."""
    conn = conn or default_connection
    if not is_partitioned(conn):
        return []
    now = now or datetime.now(UTC)
    created = []
    for ahead in range(months_ahead + 1):
        start = month_start(now, ahead)
        with transaction.atomic(using=conn.alias), conn.cursor() as cursor:
            if partition_create(cursor, start):
                created.append(partition_name(start))
    return created


def partitions_list(conn=None) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    """(partition name, bound expression) of every partition, for checks and the README."""
    conn = conn or default_connection
    with conn.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i "
            "JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = %s::regclass "
            "ORDER BY c.relname",
            [TABLE],
        )
        return list(cursor.fetchall())


def monthly_partitions(conn=None) -> list[tuple[str, datetime, datetime]]:  # type: ignore[no-untyped-def]
    """(name, start, end) of each monthly partition, oldest first (not the default)."""
    found = []
    for name, _ in partitions_list(conn):
        if name == DEFAULT_PARTITION or not name.startswith(f"{TABLE}_p"):
            continue
        start = datetime.strptime(name.removeprefix(f"{TABLE}_p"), "%Y_%m").replace(tzinfo=UTC)
        found.append((name, start, month_start(start, 1)))
    return sorted(found, key=lambda part: part[1])


def partition_drop(cursor, name: str, start: datetime, end: datetime) -> int:  # type: ignore[no-untyped-def]
    """Drop one monthly partition with its rows' keys; returns how many rows it held.

    DROP fires no delete trigger: the keys go here, by the publication time they
    carry (the partition holds exactly the keys of its range). The caller has
    released the links that point into it."""
    cursor.execute(f"SELECT count(*) FROM {name}")
    rows = cursor.fetchone()[0]
    cursor.execute(
        f"DELETE FROM {KEY_TABLE} WHERE published_at >= %s AND published_at < %s", [start, end]
    )
    # Foreign-key checks deferred to the commit of rows written earlier in this
    # transaction would otherwise forbid the DROP; run them now, then defer again
    # (Django's constraints are all INITIALLY DEFERRED).
    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    cursor.execute(f"DROP TABLE {name}")
    cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    return rows
