"""How long migration 0012 (partitioning the mentions table) takes on a table with rows.

    python tests/bench_partition_migration.py [--rows 200000] [--drop]

Migrates a scratch database to the state before partitioning (monitoring 0010, a
plain table), loads ROWS mentions with tests/bench_pages.py's INSERT … SELECT
(30 days, three sources), then runs the migrations forward and prints the time of
each step of 0012: the batched copy (rows and keys), building the indexes and
foreign keys, and the swap (the only step that blocks writes), with the total per
million rows.

Services mode only (PostgreSQL): DATABASE_URL defaults to
postgres://postgres@127.0.0.1:5432/cr_partition_bench, created if missing.
"""

from __future__ import annotations

import argparse
import logging
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


class _Steps(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--drop", action="store_true", help="drop the database afterwards")
    args = parser.parse_args()
    url = os.environ.setdefault(
        "DATABASE_URL", "postgres://postgres@127.0.0.1:5432/cr_partition_bench"
    )
    name = url.rsplit("/", 1)[1]
    subprocess.run(
        ["createdb", "-h", "127.0.0.1", "-U", "postgres", name], check=False, capture_output=True
    )
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crisisroom.settings")
    import django

    django.setup()

    from django.core.management import call_command
    from django.db import connection

    from monitoring.models import Brand, Source
    from tests.bench_pages import LOAD_SQL

    call_command("migrate", verbosity=0)
    call_command("migrate", "monitoring", "0010_background_exports", verbosity=0)
    brand_a, _ = Brand.objects.get_or_create(slug="acme-bench", defaults={"name": "Acme"})
    brand_b, _ = Brand.objects.get_or_create(slug="bolt-bench", defaults={"name": "Bolt"})
    sources = [
        Source.objects.get_or_create(kind="import", key=f"bench-{p}", defaults={"platform": p})[0]
        for p in ("twitter", "mastodon", "ptt")
    ]
    began = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE monitoring_mention CASCADE")
        cursor.execute(
            LOAD_SQL,
            {
                "rows": args.rows,
                "brand_a": brand_a.pk,
                "brand_b": brand_b.pk,
                "s1": sources[0].pk,
                "s2": sources[1].pk,
                "s3": sources[2].pk,
            },
        )
        cursor.execute("VACUUM (ANALYZE) monitoring_mention")
    print(f"loaded {args.rows:,} rows into the plain table in {time.perf_counter() - began:.1f} s")
    steps = _Steps()
    logger = logging.getLogger("monitoring.partitions")
    logger.addHandler(steps)
    logger.setLevel(logging.INFO)
    load = os.getloadavg()[0]
    began = time.perf_counter()
    call_command("migrate", verbosity=0)
    total = time.perf_counter() - began
    for line in steps.lines:
        print(f"  {line}")
    print(
        f"migrations forward: {total:.1f} s for {args.rows:,} rows, "
        f"{total * 1_000_000 / args.rows:.0f} s per million rows (load average at start {load:.1f})"
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM monitoring_mention_key")
        print(f"keys: {cursor.fetchone()[0]:,}")
    if args.drop:
        connection.close()
        subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "postgres", name], check=False)


if __name__ == "__main__":
    main()
