"""manage.py bench_ingest [-n 100000] [--batch 1000] [--keep] [--no-copy] [--measure-fts]

N synthetic mentions through the real ingest service (validation, brand matching,
language, sentiment, dedupe, bulk insert, rollups) into the configured database.
Reports mentions per second, per CPU second of the command, of ``mentions_ingest``
alone and of the database backend, the share the sentiment scorer takes (the same
texts scored again after the run), and peak memory. The items are generated lazily, one
batch at a time, as a connector or the import command would hand them over, so
memory stays flat as N grows. Their timestamps run up to a minute before the start
of the run, however large N (1.5 s apart, so 10M reach back 174 days): none is
"in the future", none is rejected.

On PostgreSQL the same rows are then written again with one ``COPY … FROM`` into
the same table (its indexes and constraints included; a second throw-away source,
so nothing collides): the database's floor for these rows, reported as a ratio in
the same run. ``--measure-fts`` also times that COPY without the full-text GIN
index (dropped inside a transaction that is rolled back): what the search index
costs per insert, the part of ingest that could be deferred.

Writes into a throw-away brand and source and deletes them afterwards unless --keep.
"""

from __future__ import annotations

import gc
import os
import random
import resource
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from django.core.management.base import BaseCommand
from django.db import connection, transaction

from monitoring.ingest import mentions_ingest
from monitoring.models import Brand, Mention, Rollup, Source, WatchTerm
from monitoring.sentiment import get_analyzer

EN = [
    "{b} deleted all my loyalty points, this is a scam",
    "Just had the best latte at {b}, love the new menu",
    "Is {b} open on Sunday?",
    "{b} customer service kept me on hold for an hour, awful",
    "Great coffee and friendly staff at {b} today #coffee",
    "Boycott {b} until they bring the points back",
    "{b} app crashed again when I tried to pay",
    "Meeting friends at {b} this afternoon",
]
ZH = [
    "{b}的拿鐵真的很好喝，推薦",
    "{b}把會員點數全部清零，太過分了",
    "今天在{b}等了半小時，服務很差",
    "抵制{b}！",
    "{b}新出的季節限定還不錯",
]


STEP_SECONDS = 1.5


def synthetic(n: int, run: str, brands: list[str], seed: int = 1) -> Iterator[dict]:
    rng = random.Random(seed)
    # The last item a minute before now: ingest refuses published_at in the future.
    start = datetime.now(UTC) - timedelta(seconds=n * STEP_SECONDS + 60)
    for i in range(n):
        name = rng.choice(brands)
        template = rng.choice(ZH if rng.random() < 0.3 else EN)
        yield {
            "source": f"bench-{run}",
            "external_id": f"{run}-{i}",
            "text": template.format(b=name) + f" #{i % 977}",
            "published_at": (start + timedelta(seconds=i * STEP_SECONDS)).isoformat(),
            "author": f"user{rng.randint(1, 50_000)}",
            "author_followers": rng.randint(0, 100_000),
            **({"repost_of": f"{run}-{i - 7}"} if i > 7 and rng.random() < 0.05 else {}),
        }


def _score_cpu(batch: list[tuple[str, str]]) -> float:
    by_analyzer: dict[int, tuple[object, dict[str, None]]] = {}
    for lang, text in batch:
        analyzer = get_analyzer(lang)
        by_analyzer.setdefault(id(analyzer), (analyzer, {}))[1][text] = None
    began = time.process_time()
    for analyzer, texts in by_analyzer.values():
        analyzer.analyze_many(list(texts))
    return time.process_time() - began


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Command(BaseCommand):
    help = "Measure ingest throughput (mentions/s) and peak memory on synthetic mentions."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("-n", type=int, default=100_000)
        parser.add_argument("--batch", type=int, default=1000)
        parser.add_argument("--keep", action="store_true", help="keep the rows afterwards")
        parser.add_argument(
            "--no-copy", action="store_true", help="skip the COPY baseline (PostgreSQL)"
        )
        parser.add_argument(
            "--measure-fts",
            action="store_true",
            help="also time the COPY without the full-text index (takes a table lock)",
        )

    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        n, size = options["n"], options["batch"]
        run = uuid.uuid4().hex[:8]
        names = ["Acme Coffee", "Acme咖啡", "Bolt Beans", "閃電豆"]
        brand = Brand.objects.create(name=f"Bench {run}", slug=f"bench-{run}")
        for query in ['"acme coffee" OR acme咖啡', "bolt beans OR 閃電豆"]:
            WatchTerm.objects.create(brand=brand, kind="name", query=query)
        WatchTerm.objects.create(brand=brand, kind="exclude", query="grinder")
        WatchTerm.objects.create(brand=brand, kind="competitor", query="nespresso")
        mentions_ingest(items=[])  # warm-up: models and matcher load outside the clock

        get_analyzer("en").analyze("warm up")
        get_analyzer("zh").analyze("熱身")
        gc.collect()
        rss_start = peak_rss_mib()
        backend_start = self._backend_cpu()
        cpu_start = time.process_time()
        load = os.getloadavg()[0]
        totals = {"accepted": 0, "duplicates": 0, "rejected": 0}
        self.ingest_cpu = 0.0
        checkpoints = []
        batch: list[dict] = []
        done = 0
        began = time.perf_counter()
        try:
            for raw in synthetic(n, run, names):
                batch.append(raw)
                if len(batch) == size:
                    self._ingest(batch, totals)
                    done += len(batch)
                    batch = []
                    if done % max(size, n // 10) == 0:
                        elapsed = time.perf_counter() - began
                        checkpoints.append((done, done / elapsed, peak_rss_mib()))
                        self.stderr.write(
                            f"  {done:>9,} mentions  {done / elapsed:>8,.0f}/s  "
                            f"peak RSS {peak_rss_mib():.0f} MiB"
                        )
            if batch:
                self._ingest(batch, totals)
                done += len(batch)
            elapsed = time.perf_counter() - began
            cpu = time.process_time() - cpu_start
            backend = self._backend_cpu() - backend_start if backend_start >= 0 else -1.0
            peak = peak_rss_mib()
            scorer = self._scorer_cpu(run)
            self.ingest_cpu = max(self.ingest_cpu, 1e-6)  # a tiny run, below the clock
            copies = {}
            if connection.vendor == "postgresql" and not options["no_copy"]:
                copies = self._copy_baseline(run, measure_fts=options["measure_fts"])
        finally:
            if not options["keep"]:
                self._clean(brand, run)
        self.stdout.write(
            f"database: {connection.vendor}; N={n:,}; batch={size}\n"
            f"accepted {totals['accepted']:,}, duplicates {totals['duplicates']:,}, "
            f"rejected {totals['rejected']:,}\n"
            f"elapsed {elapsed:.1f} s; {n / elapsed:,.0f} mentions/s "
            f"(this process used {cpu:.1f} CPU s: {n / cpu:,.0f} mentions per CPU second; "
            f"load average at start {load:.1f})\n"
            f"of it inside mentions_ingest {self.ingest_cpu:.1f} CPU s: "
            f"{n / self.ingest_cpu:,.0f} mentions per CPU second (the rest makes the items)\n"
            f"sentiment scoring of the stored texts alone, scored again after the run: "
            f"{scorer:.1f} CPU s, {100 * scorer / self.ingest_cpu:.0f}% of ingest's CPU\n"
            f"peak RSS {peak:.0f} MiB (after warm-up {rss_start:.0f} MiB, "
            f"growth {peak - rss_start:.0f} MiB)"
        )
        if backend >= 0:
            self.stdout.write(
                f"the database server process used {backend:.1f} CPU s; both together "
                f"{n / (cpu + backend):,.0f} mentions per CPU second"
            )
        rate = n / elapsed
        for label, seconds in copies.items():
            if seconds <= 0:  # below the clock's resolution (a tiny run)
                continue
            if label.endswith("database CPU"):
                both = cpu + backend
                self.stdout.write(
                    f"{label}: {seconds:.1f} CPU s, {totals['accepted'] / seconds:,.0f} rows per "
                    f"CPU second; ingest per CPU second (both processes) is "
                    f"{(n / both) / (totals['accepted'] / seconds):.2f}x of it"
                )
                continue
            self.stdout.write(
                f"{label}: {totals['accepted']:,} rows in {seconds:.1f} s, "
                f"{totals['accepted'] / seconds:,.0f} rows/s; "
                f"ingest is {rate / (totals['accepted'] / seconds):.2f}x of it"
            )

    def _ingest(self, batch: list[dict], totals: dict[str, int]) -> None:
        began = time.process_time()
        result = mentions_ingest(items=batch, source_kind="import")
        self.ingest_cpu += time.process_time() - began
        totals["accepted"] += result.accepted
        totals["duplicates"] += result.duplicates
        totals["rejected"] += len(result.rejected)

    def _scorer_cpu(self, run: str, size: int = 1000) -> float:
        """CPU seconds the sentiment analyzers take for the texts this run scored (its
        stored mentions, reposts aside: they take their original's score), in batches
        of distinct texts per analyzer as ingest hands them over: the scorer's share of
        ingest, the model treated as a black box."""
        rows = (
            Mention.objects.filter(source__key=f"bench-{run}", repost_of__isnull=True)
            .order_by("pk")
            .values_list("lang", "text")
        )
        spent, pending = 0.0, []
        for lang, text in rows.iterator(chunk_size=size):
            pending.append((lang, text))
            if len(pending) == size:
                spent += _score_cpu(pending)
                pending = []
        return spent + (_score_cpu(pending) if pending else 0.0)

    def _backend_cpu(self) -> float:
        """CPU seconds of this connection's PostgreSQL process, when it runs on this
        machine (-1 otherwise): on a shared machine wall time says little."""
        if connection.vendor != "postgresql":
            return -1.0
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            pid = cursor.fetchone()[0]
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return -1.0
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def _copy_baseline(self, run: str, *, measure_fts: bool) -> dict[str, float]:
        """Seconds to COPY the rows ingest stored (read out to a temporary file first,
        off the clock) into the same table again, under a second source."""
        from monitoring.search import FTS_INDEX

        stored = Source.objects.get(key=f"bench-{run}")
        twin = Source.objects.create(kind=stored.kind, key=f"bench-{run}-copy", platform="bench")
        columns = [
            f.column
            for f in Mention._meta.concrete_fields
            if f.column not in ("id", "source_id", "repost_of_id")
        ]
        listed = ", ".join(columns)
        out: dict[str, float] = {}
        with tempfile.TemporaryFile() as spool, connection.cursor() as cursor:
            raw = cursor.cursor  # psycopg2's cursor: copy_expert
            raw.copy_expert(
                f"COPY (SELECT {twin.pk}, {listed} FROM monitoring_mention "
                f"WHERE source_id = {stored.pk}) TO STDOUT",
                spool,
            )
            target = f"COPY monitoring_mention (source_id, {listed}) FROM STDIN"
            runs = [("COPY of the same rows", False)]
            if measure_fts:
                runs.append(("COPY without the full-text index", True))
            for label, drop_fts in runs:
                spool.seek(0)
                with transaction.atomic():
                    if drop_fts:
                        cursor.execute(f"DROP INDEX IF EXISTS {FTS_INDEX}")
                    began, backend = time.perf_counter(), self._backend_cpu()
                    raw.copy_expert(target, spool)
                    out[label] = time.perf_counter() - began
                    if backend >= 0:
                        out[f"{label}, database CPU"] = self._backend_cpu() - backend
                    # Keep nothing: the ingest rows are the ones the run measured.
                    transaction.set_rollback(True)
        twin.delete()
        return out

    def _clean(self, brand: Brand, run: str) -> None:
        source = Source.objects.filter(key=f"bench-{run}")
        # A plain DELETE: the ORM's cascade collector would load every row into memory.
        for reposts in (True, False):
            rows = Mention.objects.filter(source__in=source, repost_of__isnull=not reposts)
            rows._raw_delete(rows.db)
        Rollup.objects.filter(brand=brand).delete()
        source.delete()
        brand.delete()
