"""Monitoring reads: brand overviews, key voices, the mentions explorer, corrections."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from django.db import connection, models
from django.db.models import Count, ExpressionWrapper, F, Max, Q, QuerySet, Sum
from django.db.models.expressions import RawSQL
from django.db.models.functions import TruncHour, TruncMinute
from django.utils import timezone

from monitoring.choices import SentimentLabel
from monitoring.models import Brand, LabelCorrection, Mention, Rollup, Source, bucket_start
from monitoring.search import search_filter


def brands_overview(*, hours: int = 24) -> list[Brand]:
    """Active brands with their mention totals over the last ``hours`` (from rollups)."""
    since = timezone.now() - timedelta(hours=hours)
    window = Q(rollups__bucket__gte=since)
    return list(
        Brand.objects.filter(active=True).annotate(
            volume=Sum("rollups__count", filter=window, default=0),
            negative=Sum("rollups__negative", filter=window, default=0),
            positive=Sum("rollups__positive", filter=window, default=0),
        )
    )


def brands_sparklines(*, brand_ids: list[int], hours: int = 24) -> dict[int, list[dict]]:
    """Mentions and negatives per hour over the last ``hours`` for every brand in
    ``brand_ids``, oldest hour first and empty hours as 0: {brand_id: [{at, count,
    negative}, ...]}. One query for all brands (grouped by hour in the database)."""
    now = timezone.now()
    first = now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=hours - 1)
    hours_list = [first + timedelta(hours=i) for i in range(hours)]
    lines = {
        pk: {at: {"at": at, "count": 0, "negative": 0} for at in hours_list} for pk in brand_ids
    }
    rows = (
        Rollup.objects.filter(brand_id__in=brand_ids, bucket__gte=first)
        .annotate(hour=TruncHour("bucket", tzinfo=UTC))
        .values("brand_id", "hour")
        .annotate(count=Sum("count"), negative=Sum("negative"))
        .order_by()
    )
    for row in rows:
        slot = lines[row["brand_id"]].get(row["hour"])
        if slot is not None:
            slot["count"], slot["negative"] = row["count"], row["negative"]
    return {pk: list(by_hour.values()) for pk, by_hour in lines.items()}


def sources_health() -> list[Source]:
    """Every source with its health, failing ones first."""
    return list(Source.objects.order_by("-consecutive_failures", "kind", "key"))


@dataclass(frozen=True)
class KeyVoice:
    """An author's weight in a time range: reach (followers) × activity (posts)."""

    author: str
    platform: str
    followers: int
    posts: int
    negative: int
    amplified_reach: int
    score: int


def key_voices(
    *,
    brand: Brand | int,
    since: datetime,
    until: datetime | None = None,
    limit: int = 10,
    sentiment: str | None = None,
) -> list[KeyVoice]:
    """Authors ranked by reach × activity about ``brand`` in [since, until).

    Reach is the author's largest follower count seen in the range plus the reach
    their posts gained from reposts; activity is their number of posts (reposts of
    others are not posts of their own). ``sentiment`` keeps only posts with that
    label, e.g. "negative" for the assessment's key critics. One query.
    """
    brand_id = brand if isinstance(brand, int) else brand.pk
    rows = Mention.objects.filter(
        brand_id=brand_id, published_at__gte=since, repost_of__isnull=True
    ).exclude(author="")
    if until is not None:
        rows = rows.filter(published_at__lt=until)
    if sentiment:
        rows = rows.filter(sentiment_label=sentiment)
    reach = Max("author_followers") + Sum("amplified_reach")
    ranked = (
        rows.values("author", "platform")
        .annotate(
            followers=Max("author_followers"),
            posts=Count("id"),
            negative=Count("id", filter=Q(sentiment_label=SentimentLabel.NEGATIVE)),
            amplified=Sum("amplified_reach"),
            score=ExpressionWrapper(
                (reach + 1) * Count("id"), output_field=models.BigIntegerField()
            ),
        )
        .order_by("-score", "author")[:limit]
    )
    return [
        KeyVoice(
            author=row["author"],
            platform=row["platform"],
            followers=row["followers"] or 0,
            posts=row["posts"],
            negative=row["negative"],
            amplified_reach=row["amplified"] or 0,
            score=row["score"],
        )
        for row in ranked
    ]


@dataclass(frozen=True)
class MentionFilters:
    """What the explorer shows; every field optional."""

    brand: Brand | None = None
    competitor_of: Brand | None = None
    platform: str = ""
    sentiment: str = ""
    lang: str = ""
    since: datetime | None = None
    until: datetime | None = None
    q: str = ""
    include_reposts: bool = False


def mentions_explore(*, filters: MentionFilters) -> QuerySet[Mention]:
    """Mentions matching the explorer's filters, newest first, ready to paginate."""
    rows = Mention.objects.select_related("brand", "source", "competitor_of")
    if filters.brand is not None:
        rows = rows.filter(brand=filters.brand)
    if filters.competitor_of is not None:
        rows = rows.filter(competitor_of=filters.competitor_of)
    if filters.platform:
        rows = rows.filter(platform=filters.platform)
    if filters.sentiment:
        rows = rows.filter(sentiment_label=filters.sentiment)
    if filters.lang:
        rows = rows.filter(lang=filters.lang)
    if filters.since is not None:
        rows = rows.filter(published_at__gte=filters.since)
    if filters.until is not None:
        rows = rows.filter(published_at__lt=filters.until)
    if not filters.include_reposts:
        rows = rows.filter(repost_of__isnull=True)
    rows = search_filter(rows, filters.q)
    return rows.order_by("-published_at", "-pk")


# The explorer's chart: at most this many points, over at most this long a period.
VOLUME_POINTS = 300
VOLUME_BUCKETS = (300, 900, 3600, 3 * 3600, 6 * 3600, 86400)  # 5 min … 1 day
VOLUME_DEFAULT_SPAN = timedelta(days=7)
VOLUME_MOST_ROLLUPS = timedelta(days=90)
# A search or a language filter counts mentions: its matches cost in proportion to the
# period (a phrase search over 1M rows: ~0.3 s a day, ~1 s a week, under load).
VOLUME_DEFAULT_SPAN_MENTIONS = timedelta(days=1)
VOLUME_MOST_MENTIONS = timedelta(days=7)


def volume_from_rollups(filters: MentionFilters) -> bool:
    """Whether the 5-minute rollups hold the explorer's filter: they count a brand's
    own mentions (no reposts, no competitor mentions) by platform and sentiment, not
    their text or language."""
    return not (filters.q or filters.lang or filters.include_reposts or filters.competitor_of)


def mentions_volume(*, filters: MentionFilters, now: datetime | None = None) -> dict:
    """The explorer's chart: mentions per bucket over the filter's time range (when it
    has none the last 7 days from rollups, the last day from mentions; bounded to 90
    and 7 days),
    the negative share, and the platform and sentiment splits over the same period.
    From rollups where the filter allows (volume_from_rollups; two queries), else one
    grouped count over the matching mentions inside the bounded period."""
    now = now or timezone.now()
    until = min(filters.until or now, now)
    from_rollups = volume_from_rollups(filters)
    most = VOLUME_MOST_ROLLUPS if from_rollups else VOLUME_MOST_MENTIONS
    since = filters.since or until - (
        VOLUME_DEFAULT_SPAN if from_rollups else VOLUME_DEFAULT_SPAN_MENTIONS
    )
    capped = until - since > most
    since = max(since, until - most)
    if since >= until:
        since = until - timedelta(hours=1)
    span = (until - since).total_seconds()
    step = next((b for b in VOLUME_BUCKETS if span / b <= VOLUME_POINTS), VOLUME_BUCKETS[-1])
    if from_rollups:
        per_time, per_platform = _volume_rollups(filters, since, until, hourly=step >= 3600)
    else:
        per_time, per_platform = _volume_mentions(filters, since, until, hourly=step >= 3600)
    # buckets start on the viewer's clock (a day is their midnight to midnight)
    offset = int(timezone.localtime(until).utcoffset().total_seconds())

    def floor(ts: int) -> int:
        return (ts + offset) // step * step - offset

    t = list(range(floor(int(since.timestamp())), floor(int(until.timestamp())) + 1, step))
    counts = dict.fromkeys(t, 0)
    negatives = dict.fromkeys(t, 0)
    scored = dict.fromkeys(t, 0)
    for at, count, negative, scored_count in per_time:
        slot = floor(int(at.timestamp()))
        if slot in counts:
            counts[slot] += count
            negatives[slot] += negative
            scored[slot] += scored_count
    sentiments = dict.fromkeys(SentimentLabel.values, 0)
    for _platform, by_label in per_platform.items():
        for label, n in by_label.items():
            sentiments[label] += n
    platforms = sorted(
        ((name, sum(by_label.values())) for name, by_label in per_platform.items()),
        key=lambda p: (-p[1], p[0]),
    )
    return {
        "t": t,
        "count": [counts[x] for x in t],
        "negative_share": [round(negatives[x] / scored[x], 4) if scored[x] else None for x in t],
        "bucket_seconds": step,
        "source": "rollups" if from_rollups else "mentions",
        "since": since,
        "until": until,
        "capped": capped,
        "total": sum(counts.values()),
        "platforms": [{"name": n, "count": c} for n, c in platforms if c],
        "sentiments": [
            {"label": label, "count": n}
            for label, n in sentiments.items()
            if n or label != "unscored"
        ],
    }


def _volume_rollups(filters: MentionFilters, since: datetime, until: datetime, *, hourly: bool):  # type: ignore[no-untyped-def]
    rows = Rollup.objects.filter(bucket__gte=bucket_start(since), bucket__lte=until)
    if filters.brand is not None:
        rows = rows.filter(brand=filters.brand)
    if filters.platform:
        rows = rows.filter(platform=filters.platform)
    labels = [filters.sentiment] if filters.sentiment else list(SentimentLabel.values)
    moment = TruncHour("bucket", tzinfo=UTC) if hourly else F("bucket")
    if filters.sentiment:
        # one sentiment: its column is the count, and every counted mention has it
        share_of = {
            SentimentLabel.NEGATIVE: (1, 1),
            SentimentLabel.UNSCORED: (0, 0),
        }.get(filters.sentiment, (0, 1))
        per_time = [
            (row["at"], row["n"] or 0, (row["n"] or 0) * share_of[0], (row["n"] or 0) * share_of[1])
            for row in rows.annotate(at=moment)
            .values("at")
            .annotate(n=Sum(filters.sentiment))
            .order_by()
        ]
    else:
        per_time = [
            (row["at"], row["n"] or 0, row["neg"] or 0, row["scored"] or 0)
            for row in rows.annotate(at=moment)
            .values("at")
            .annotate(
                n=Sum("count"),
                neg=Sum("negative"),
                scored=Sum("negative") + Sum("neutral") + Sum("positive"),
            )
            .order_by()
        ]
    per_platform = {
        row["platform"]: {label: row[label] or 0 for label in labels}
        for row in rows.values("platform")
        .annotate(**{label: Sum(label) for label in labels})
        .order_by()
    }
    return per_time, per_platform


# The finest chart bucket: every time zone's offset is a multiple of it, so these
# UTC-aligned slots add up exactly into the viewer's 5- and 15-minute buckets.
_FINEST_BUCKET = VOLUME_BUCKETS[0]


def _volume_moment(hourly: bool):  # type: ignore[no-untyped-def]
    """The instant a mention is counted at: its hour, or its 5-minute slot (on
    PostgreSQL grouped in SQL, a fifth of the rows a per-minute count hands over;
    SQLite counts per minute)."""
    if hourly:
        return TruncHour("published_at", tzinfo=UTC)
    if connection.vendor == "postgresql":
        return RawSQL(
            "to_timestamp(floor(extract(epoch FROM monitoring_mention.published_at) / %s) * %s)",
            [_FINEST_BUCKET, _FINEST_BUCKET],
            output_field=models.DateTimeField(),
        )
    return TruncMinute("published_at", tzinfo=UTC)


def _volume_mentions(filters: MentionFilters, since: datetime, until: datetime, *, hourly: bool):  # type: ignore[no-untyped-def]
    """One grouped count (time × platform × sentiment) over the matching mentions of
    the bounded period: a search's matches are found once for the chart and the bars."""
    bounded = replace(filters, since=since, until=until)
    rows = mentions_explore(filters=bounded).order_by()
    per_time: dict[datetime, list[int]] = {}
    per_platform: dict[str, dict[str, int]] = {}
    for at, platform, label, n in (
        rows.annotate(at=_volume_moment(hourly))
        .values_list("at", "platform", "sentiment_label")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        slot = per_time.setdefault(at, [0, 0, 0])
        slot[0] += n
        slot[1] += n if label == SentimentLabel.NEGATIVE else 0
        slot[2] += n if label != SentimentLabel.UNSCORED else 0
        by_label = per_platform.setdefault(platform, {})
        by_label[label] = by_label.get(label, 0) + n
    return [(at, *counts) for at, counts in per_time.items()], per_platform


def mention_platforms() -> list[str]:
    """Platforms seen, for the explorer's filter (from rollups: small, no mention scan)."""
    # order_by(): without it Meta.ordering adds bucket to the DISTINCT.
    return list(Rollup.objects.order_by("platform").values_list("platform", flat=True).distinct())


def label_corrections_export() -> Iterator[str]:
    """``label<TAB>text`` lines (evaluate_sentiment's format): each corrected mention
    once, with its latest label. Tabs and newlines in text become spaces."""
    latest: dict[int, str] = {}
    texts: dict[int, str] = {}
    for mention_id, label, text in LabelCorrection.objects.order_by("at", "pk").values_list(
        "mention_id", "new_label", "mention__text"
    ):
        latest[mention_id] = label
        texts[mention_id] = text
    for mention_id, label in latest.items():
        yield f"{label}\t{' '.join(texts[mention_id].split())}\n"


def brands_settings() -> list[Brand]:
    """Every brand with its terms (prefetched) for the settings list."""
    return list(Brand.objects.prefetch_related("terms").order_by("name"))
