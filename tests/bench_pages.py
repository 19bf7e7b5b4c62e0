"""Listing benchmark: the mentions explorer and ``GET /api/v1/mentions`` at a brand's scale.

    python tests/bench_pages.py [--rows 1000000] [--repeat 30] [--json] [--drop]

Loads ROWS synthetic mentions (two brands, 30 days, three platforms, English and
Chinese texts) with one INSERT … SELECT over generate_series, refreshes the rollups
the explorer reads its platform list from, ANALYZEs, then times each listing through
the Django test client (the whole view: auth, form, queries, template) REPEAT times
and prints p50/p95/max per page. The data stays for the next run with the same ROWS
(it is reloaded when the row count differs); --drop drops the database at the end.

Services mode only (PostgreSQL): DATABASE_URL defaults to
postgres://postgres@127.0.0.1:5432/cr_speed_bench, created and migrated if missing.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

LOAD_SQL = """
INSERT INTO monitoring_mention (
    source_id, external_id, brand_id, platform, text, url, author, author_followers,
    lang, published_at, ingested_at, sentiment_score, sentiment_label, triggers,
    repost_count, amplified_reach, duplicate_count, text_key, repost_of_id,
    competitor_of_id, ingest_batch, reactions_positive, reactions_negative, reactions_neutral)
SELECT
    (ARRAY[%(s1)s, %(s2)s, %(s3)s])[1 + g %% 3],
    'bench-' || g,
    CASE WHEN g %% 10 = 0 THEN %(brand_b)s ELSE %(brand_a)s END,
    (ARRAY['twitter', 'mastodon', 'ptt'])[1 + g %% 3],
    CASE WHEN g %% 7 = 0
        THEN (ARRAY['Acme咖啡的拿鐵真的很好喝', 'Acme咖啡把會員點數全部清零，太過分了',
                    '今天在Acme咖啡等了半小時'])[1 + (g / 7) %% 3]
        ELSE (ARRAY['Acme Coffee deleted my loyalty points, this is a scam',
                    'Just had the best latte at Acme Coffee, love the new menu',
                    'Is Acme Coffee open on Sunday?',
                    'Acme Coffee customer service kept me on hold for an hour',
                    'Great coffee and friendly staff at Acme today',
                    'Boycott Acme Coffee until they bring the points back',
                    'Acme app crashed again when I tried to pay',
                    'Meeting friends at Acme this afternoon'])[1 + (g / 3) %% 8]
    END || ' ' || (ARRAY['sunday', 'morning', 'refund', 'barista', 'queue', 'espresso',
                         'receipt', 'manager', 'cashback', 'oatmilk'])[1 + (g / 11) %% 10]
        || ' #' || (g %% 977),
    '',
    'user' || (g::bigint * 7919 %% 50000),
    (g::bigint * 104729) %% 100000,
    CASE WHEN g %% 7 = 0 THEN 'zh-hant' ELSE 'en' END,
    now() - make_interval(secs => (g::float8 * 2592000 / %(rows)s)),
    now(),
    0,
    (ARRAY['negative', 'neutral', 'neutral', 'positive', 'negative'])[1 + (g / 5) %% 5],
    '',
    0, 0, 0, NULL, NULL, NULL, NULL, 0, 0, 0
FROM generate_series(1, %(rows)s) AS g
"""

ROLLUP_SQL = """
INSERT INTO monitoring_rollup (brand_id, bucket, platform, count, negative, neutral,
                               positive, unscored, reach)
SELECT brand_id, to_timestamp(floor(extract(epoch FROM published_at) / 300) * 300),
       platform, count(*), count(*) FILTER (WHERE sentiment_label = 'negative'),
       count(*) FILTER (WHERE sentiment_label = 'neutral'),
       count(*) FILTER (WHERE sentiment_label = 'positive'),
       count(*) FILTER (WHERE sentiment_label = 'unscored'), sum(author_followers)
FROM monitoring_mention GROUP BY 1, 2, 3
"""


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def load(rows: int) -> dict:
    from django.db import connection

    from monitoring.models import Brand, Mention, Rollup, Source

    have = Mention.objects.filter(external_id__startswith="bench-").count()
    brand_a, _ = Brand.objects.get_or_create(slug="acme-bench", defaults={"name": "Acme"})
    brand_b, _ = Brand.objects.get_or_create(slug="bolt-bench", defaults={"name": "Bolt"})
    sources = [
        Source.objects.get_or_create(kind="import", key=f"bench-{p}", defaults={"platform": p})[0]
        for p in ("twitter", "mastodon", "ptt")
    ]
    if have != rows:
        print(f"loading {rows:,} mentions (had {have:,}) …", file=sys.stderr)
        began = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE monitoring_mention, monitoring_rollup CASCADE")
            cursor.execute(
                LOAD_SQL,
                {
                    "rows": rows,
                    "brand_a": brand_a.pk,
                    "brand_b": brand_b.pk,
                    "s1": sources[0].pk,
                    "s2": sources[1].pk,
                    "s3": sources[2].pk,
                },
            )
            cursor.execute(ROLLUP_SQL)
            print(f"  loaded in {time.perf_counter() - began:.0f} s", file=sys.stderr)
    # VACUUM cannot run in a transaction block; autocommit is on outside atomic().
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE) monitoring_mention")
        cursor.execute("ANALYZE monitoring_rollup")
    return {"brand": brand_a, "rollups": Rollup.objects.count()}


def rss_mib() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bench_export(client) -> dict:  # type: ignore[no-untyped-def]
    """The explorer's CSV export of every row through the view, bytes counted as they
    stream, against PostgreSQL's own COPY of the same rows to nowhere."""
    from django.db import connection

    rss = rss_mib()
    began = time.perf_counter()
    # ?now=1: stream it in this request (over EXPORT_BACKGROUND_ROWS the explorer
    # otherwise offers a background export, monitoring/export_jobs.py)
    response = client.get("/mentions/export.csv", {"reposts": "on", "now": "1"})
    size = lines = 0
    for chunk in response.streaming_content:
        size += len(chunk)
        lines += chunk.count(b"\n")
    seconds = time.perf_counter() - began
    grown = rss_mib() - rss

    class Sink:
        def write(self, data) -> int:  # type: ignore[no-untyped-def]
            return len(data)

    began = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.cursor.copy_expert(
            "COPY (SELECT m.*, b.slug, s.key FROM monitoring_mention m "
            "LEFT JOIN monitoring_brand b ON b.id = m.brand_id "
            "JOIN monitoring_source s ON s.id = m.source_id "
            "ORDER BY m.published_at DESC, m.id DESC) TO STDOUT WITH CSV",
            Sink(),
        )
    copy_seconds = time.perf_counter() - began
    rows = lines - 1  # the header; texts here have no line breaks
    return {
        "rows": rows,
        "seconds": round(seconds, 2),
        "rows_per_s": round(rows / seconds),
        "mib": size / 2**20,
        "rss_growth_mib": round(grown, 1),
        "copy_seconds": round(copy_seconds, 2),
        "ratio": round(copy_seconds / seconds, 2),
    }


def user_and_token():  # type: ignore[no-untyped-def]
    from django.contrib.auth import get_user_model

    from crisisroom.services.users import api_token_create
    from foundation.roles import OrgRole

    user, _ = get_user_model().objects.get_or_create(
        username="bench-viewer", defaults={"org_role": OrgRole.RESPONDER}
    )
    return user, api_token_create(user=user)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--drop", action="store_true", help="drop the database afterwards")
    parser.add_argument("--no-export", action="store_true", help="skip the CSV export timing")
    args = parser.parse_args()
    url = os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/cr_speed_bench")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crisisroom.settings")
    sys.path.insert(0, str(ROOT / "tests"))
    from bench_war_room import ensure_database

    ensure_database(url)
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    settings.ALLOWED_HOSTS = ["*"]
    call_command("migrate", verbosity=0)
    data = load(args.rows)
    user, token = user_and_token()
    client = Client()
    client.force_login(user)
    api = Client(headers={"Authorization": f"Bearer {token}"})

    first = api.get("/api/v1/mentions", {"limit": 100}).json()
    deep = first["next_cursor"]
    for _ in range(99):  # the 100th page, walked by cursor as a client would
        deep = api.get("/api/v1/mentions", {"limit": 100, "cursor": deep}).json()["next_cursor"]

    def older(html: str) -> str:
        return html.split('rel="next"', 1)[0].rsplit("cursor=", 1)[1].split('"', 1)[0]

    cursor = older(client.get("/mentions/").content.decode())
    deep_page = cursor
    for _ in range(98):  # the explorer's 100th page, clicking "Older"
        deep_page = older(client.get("/mentions/", {"cursor": deep_page}).content.decode())
    brand = data["brand"].slug
    pages = {
        "explorer": (client, "/mentions/", {}),
        "explorer, brand": (client, "/mentions/", {"brand": brand}),
        "explorer, next page": (client, "/mentions/", {"cursor": cursor}),
        "explorer, page 100": (client, "/mentions/", {"cursor": deep_page}),
        "explorer, sentiment": (client, "/mentions/", {"sentiment": "positive"}),
        "explorer, brand + sentiment": (
            client,
            "/mentions/",
            {"brand": brand, "sentiment": "negative"},
        ),
        "explorer, platform": (client, "/mentions/", {"platform": "ptt"}),
        "explorer, word search": (client, "/mentions/", {"q": "refund"}),
        "explorer, rare word search": (client, "/mentions/", {"q": "cashback boycott"}),
        "explorer, phrase search": (client, "/mentions/", {"q": '"loyalty points"'}),
        "explorer, CJK search": (client, "/mentions/", {"q": "會員點數"}),
        # a search's chart and bars: their own request, fetched after the list
        "search chart, word": (client, "/mentions/charts/", {"q": "refund"}),
        "search chart, phrase": (client, "/mentions/charts/", {"q": '"loyalty points"'}),
        "search chart, CJK": (client, "/mentions/charts/", {"q": "會員點數"}),
        # and its heading count (pagination.capped_count, with its time budget)
        "search count, rare words": (client, "/mentions/count/", {"q": "cashback boycott"}),
        "search count, phrase": (client, "/mentions/count/", {"q": '"loyalty points"'}),
        "api ?limit=100": (api, "/api/v1/mentions", {"limit": 100}),
        "api ?brand&sentiment": (
            api,
            "/api/v1/mentions",
            {"brand": brand, "sentiment": "negative", "limit": 100},
        ),
        "api page 100 (cursor)": (api, "/api/v1/mentions", {"limit": 100, "cursor": deep}),
    }
    results = {}
    for name, (who, path, params) in pages.items():
        response = who.get(path, params)
        assert response.status_code == 200, (name, response.status_code)
        times, sql = [], []
        for _ in range(args.repeat):
            spent = [0.0]

            def timed(execute, query, params_, many, context, spent=spent):  # type: ignore[no-untyped-def]
                began_sql = time.perf_counter()
                try:
                    return execute(query, params_, many, context)
                finally:
                    spent[0] += time.perf_counter() - began_sql

            began = time.perf_counter()
            with connection.execute_wrapper(timed):
                response = who.get(path, params)
            times.append((time.perf_counter() - began) * 1000)
            sql.append(spent[0] * 1000)
            assert response.status_code == 200
        results[name] = {
            "p50_ms": round(statistics.median(times), 1),
            "p95_ms": round(percentile(times, 0.95), 1),
            "max_ms": round(max(times), 1),
            "sql_p50_ms": round(statistics.median(sql), 1),
            "sql_p95_ms": round(percentile(sql, 0.95), 1),
        }
        if not args.json:
            row = results[name]
            print(
                f"{name:<30} p50 {row['p50_ms']:>7.1f} ms  p95 {row['p95_ms']:>7.1f} ms"
                f"  max {row['max_ms']:>7.1f} ms   of it SQL: p50 {row['sql_p50_ms']:>6.1f}"
                f"  p95 {row['sql_p95_ms']:>6.1f} ms"
            )
    export = bench_export(client) if not args.no_export else {}
    if export and not args.json:
        print(
            f"CSV export of {export['rows']:,} rows: {export['seconds']:.1f} s, "
            f"{export['rows_per_s']:,.0f} rows/s, {export['mib']:.0f} MiB, peak RSS growth "
            f"{export['rss_growth_mib']:.0f} MiB; COPY … TO STDOUT of the same rows "
            f"{export['copy_seconds']:.1f} s ({export['ratio']:.2f}x of it)"
        )
    load_avg = os.getloadavg()[0]
    if args.json:
        print(
            json.dumps(
                {"rows": args.rows, "load_average": load_avg, "pages": results, "export": export}
            )
        )
    else:
        print(f"rows {args.rows:,}; repeat {args.repeat}; load average {load_avg:.1f}")
    if args.drop:
        from django.db import connections

        connections.close_all()
        import psycopg2

        name = url.rsplit("/", 1)[1]
        admin = psycopg2.connect(url.rsplit("/", 1)[0] + "/postgres")
        admin.autocommit = True
        with admin.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.close()


if __name__ == "__main__":
    main()
