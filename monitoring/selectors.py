"""Monitoring reads: brand overviews, key voices, the mentions explorer, corrections."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import models
from django.db.models import Count, ExpressionWrapper, Max, Q, QuerySet, Sum
from django.utils import timezone

from monitoring.choices import SentimentLabel
from monitoring.models import Brand, LabelCorrection, Mention, Rollup, Source
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
