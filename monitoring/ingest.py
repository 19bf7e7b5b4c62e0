"""The one ingest path: the HTTP API, polling, the import command and drills all call
``mentions_ingest``.

Per item: validate → match brand → detect language → score sentiment → dedupe →
bulk insert → rollups; after commit: push new mentions to open war rooms and queue
detection for the brands touched. A bad item is reported with its index and the
rest are stored.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from monitoring.choices import SentimentLabel, SourceKind
from monitoring.language import detect_language
from monitoring.matching import find_terms, normalise
from monitoring.models import Brand, Mention, Rollup, Source, WatchTerm, bucket_start
from monitoring.sentiment import get_analyzer

MAX_TEXT = 20_000
FUTURE_TOLERANCE = timedelta(hours=1)
LANG_ALIASES = {
    "zh-tw": "zh-hant",
    "zh-hk": "zh-hant",
    "zh-mo": "zh-hant",
    "zh-hant": "zh-hant",
    "zh-cn": "zh-hans",
    "zh-sg": "zh-hans",
    "zh-hans": "zh-hans",
    "zh": "zh-hans",
}


class ItemError(ValueError):
    """An item that cannot be stored; the message is shown to the caller."""


@dataclass
class IngestResult:
    accepted: int = 0
    duplicates: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)
    mention_ids: list[int] = field(default_factory=list)
    brand_ids: set[int] = field(default_factory=set)

    def as_dict(self) -> dict[str, Any]:
        return {"accepted": self.accepted, "duplicates": self.duplicates, "rejected": self.rejected}


@dataclass
class _Item:
    source_key: str
    external_id: str
    text: str
    published_at: datetime
    url: str = ""
    author: str = ""
    author_followers: int = 0
    lang: str = ""
    brand_slug: str = ""


def _string(item: Mapping[str, Any], name: str, *, required: bool, limit: int) -> str:
    value = item.get(name)
    if value is None or value == "":
        if required:
            raise ItemError(f"{name} is required")
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ItemError(f"{name} must be a string")
    text = str(value).strip()
    if required and not text:
        raise ItemError(f"{name} must not be empty")
    if len(text) > limit:
        raise ItemError(f"{name} is longer than {limit} characters")
    return text


def parse_timestamp(value: Any, name: str = "published_at") -> datetime:
    if not isinstance(value, str) or not value.strip():
        raise ItemError(f"{name} must be an ISO 8601 date-time string")
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError as exc:
        raise ItemError(f"{name} is not an ISO 8601 date-time: {value[:40]!r}") from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)  # a time without offset is taken as UTC
    return moment.astimezone(UTC)


def validate_item(raw: Any, *, now: datetime) -> _Item:
    if not isinstance(raw, Mapping):
        raise ItemError("item must be a JSON object")
    published_at = parse_timestamp(raw.get("published_at"))
    if published_at > now + FUTURE_TOLERANCE:
        raise ItemError("published_at is in the future")
    followers = raw.get("author_followers", 0)
    if followers is None:
        followers = 0
    if isinstance(followers, bool) or not isinstance(followers, int) or followers < 0:
        raise ItemError("author_followers must be a whole number ≥ 0")
    url = _string(raw, "url", required=False, limit=1000)
    if url and not url.lower().startswith(("http://", "https://")):
        raise ItemError("url must start with http:// or https://")
    lang = _string(raw, "lang", required=False, limit=20).lower()
    return _Item(
        source_key=_string(raw, "source", required=True, limit=120).lower(),
        external_id=_string(raw, "external_id", required=True, limit=255),
        text=_string(raw, "text", required=True, limit=MAX_TEXT),
        published_at=published_at,
        url=url,
        author=_string(raw, "author", required=False, limit=200),
        author_followers=followers,
        lang=LANG_ALIASES.get(lang, lang.split("-")[0] if lang else ""),
        brand_slug=_string(raw, "brand", required=False, limit=60).lower(),
    )


class BrandMatcher:
    """Which brand a text is about, from the brands' watch terms (exclusions win)."""

    def __init__(self, brands: Iterable[Brand], terms: Iterable[WatchTerm]) -> None:
        self.by_slug = {brand.slug: brand for brand in brands}
        by_id = {brand.pk: brand for brand in self.by_slug.values()}
        self.include: dict[int, list[str]] = defaultdict(list)
        self.exclude: dict[int, list[str]] = defaultdict(list)
        for term in terms:
            if term.brand_id not in by_id:
                continue
            target = self.exclude if term.kind == "exclude" else self.include
            if term.kind != "competitor":
                target[term.brand_id].append(term.query)
        self.order = [brand.pk for brand in self.by_slug.values()]
        self.by_id = by_id

    @classmethod
    def load(cls) -> BrandMatcher:
        brands = list(Brand.objects.filter(active=True))
        return cls(brands, WatchTerm.objects.filter(brand__active=True))

    def match(self, normalised_text: str) -> Brand | None:
        for brand_id in self.order:
            if find_terms(normalised_text, self.include[brand_id]) and not find_terms(
                normalised_text, self.exclude[brand_id]
            ):
                return self.by_id[brand_id]
        return None


def _sources_for(keys: Iterable[str], kind: str) -> dict[str, Source]:
    keys = set(keys)
    existing = {s.key: s for s in Source.objects.filter(kind=kind, key__in=keys)}
    for key in keys - existing.keys():
        source, _ = Source.objects.get_or_create(
            kind=kind, key=key, defaults={"name": key, "platform": key[:40]}
        )
        existing[key] = source
    return existing


def mentions_ingest(
    *, items: Sequence[Any], source_kind: str = SourceKind.API, source: Source | None = None
) -> IngestResult:
    """Store a batch of mentions from any entry point and return what became of each.

    With ``source`` (polling), every item belongs to that source and its ``source``
    field may be omitted.
    """
    now = timezone.now()
    result = IngestResult()
    valid: list[tuple[int, _Item]] = []
    for index, raw in enumerate(items):
        if source is not None and isinstance(raw, Mapping):
            raw = {**raw, "source": source.key}
        try:
            valid.append((index, validate_item(raw, now=now)))
        except ItemError as exc:
            result.rejected.append({"index": index, "error": str(exc)})
    if not valid:
        return result

    matcher = BrandMatcher.load()
    batch = uuid.uuid4()
    with transaction.atomic():
        if source is not None:
            sources = {item.source_key: source for _, item in valid}
        else:
            sources = _sources_for((item.source_key for _, item in valid), source_kind)
        seen: set[tuple[int, str]] = set()
        rows: list[Mention] = []
        pending: list[tuple[int, _Item, Brand | None, str]] = []
        for index, item in valid:
            source = sources[item.source_key]
            key = (source.pk, item.external_id)
            if key in seen:
                result.duplicates += 1
                continue
            seen.add(key)
            folded = normalise(item.text)
            if item.brand_slug:
                brand = matcher.by_slug.get(item.brand_slug)
                if brand is None:
                    result.rejected.append(
                        {"index": index, "error": f"unknown brand {item.brand_slug!r}"}
                    )
                    continue
            else:
                brand = matcher.match(folded)
            lang = item.lang or detect_language(item.text)
            pending.append((index, item, brand, lang))
            rows.append(
                Mention(
                    source=source,
                    external_id=item.external_id,
                    brand=brand,
                    platform=source.platform or source.key,
                    text=item.text,
                    url=item.url,
                    author=item.author,
                    author_followers=item.author_followers,
                    lang=lang,
                    published_at=item.published_at,
                    ingested_at=now,
                    triggers=",".join(find_terms(folded, brand.trigger_phrase_list()))[:300]
                    if brand
                    else "",
                    ingest_batch=batch,
                )
            )
        _score(rows)
        Mention.objects.bulk_create(rows, batch_size=500, ignore_conflicts=True)
        stored = list(
            Mention.objects.filter(ingest_batch=batch).values(
                "id", "brand_id", "platform", "published_at", "sentiment_label", "author_followers"
            )
        )
        result.accepted = len(stored)
        result.duplicates += len(rows) - len(stored)
        result.mention_ids = [row["id"] for row in stored]
        result.brand_ids = {row["brand_id"] for row in stored if row["brand_id"]}
        rollups_add(stored)
        if result.mention_ids:
            transaction.on_commit(lambda: _after_commit(result.mention_ids, result.brand_ids))
    result.rejected.sort(key=lambda r: r["index"])
    return result


def _score(rows: list[Mention]) -> None:
    by_lang: dict[str, list[Mention]] = defaultdict(list)
    for row in rows:
        by_lang[row.lang].append(row)
    for lang, group in by_lang.items():
        scores = get_analyzer(lang).analyze_many([row.text for row in group])
        for row, score in zip(group, scores, strict=True):
            row.sentiment_score = round(score.score, 4)
            row.sentiment_label = score.label


def rollups_add(stored: Iterable[Mapping[str, Any]]) -> None:
    """Add freshly stored mentions to their brand × bucket × platform rollups (upsert)."""
    totals: dict[tuple[int, datetime, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
    column = {SentimentLabel.NEGATIVE: 1, SentimentLabel.NEUTRAL: 2, SentimentLabel.POSITIVE: 3}
    for row in stored:
        if not row["brand_id"]:
            continue
        key = (row["brand_id"], bucket_start(row["published_at"]), row["platform"])
        counts = totals[key]
        counts[0] += 1
        counts[column.get(row["sentiment_label"], 2)] += 1
        counts[4] += row["author_followers"]
    if not totals:
        return
    table = connection.ops.quote_name(Rollup._meta.db_table)
    sql = (
        f"INSERT INTO {table} (brand_id, bucket, platform, count, negative, neutral, positive, reach) "
        "VALUES (%s, %s, %s, %s, %s, %s, %s, %s) "
        "ON CONFLICT (brand_id, bucket, platform) DO UPDATE SET "
        f"count = {table}.count + excluded.count, negative = {table}.negative + excluded.negative, "
        f"neutral = {table}.neutral + excluded.neutral, positive = {table}.positive + excluded.positive, "
        f"reach = {table}.reach + excluded.reach"
    )
    # Sorted so that concurrent ingests lock rollup rows in the same order.
    params = [
        (brand_id, connection.ops.adapt_datetimefield_value(bucket), platform, *counts)
        for (brand_id, bucket, platform), counts in sorted(totals.items())
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


def _after_commit(mention_ids: list[int], brand_ids: set[int]) -> None:
    from crisisroom.services import mentions_push_to_war_rooms
    from monitoring.tasks import brand_detect_task

    mentions_push_to_war_rooms(mention_ids=mention_ids)
    for brand_id in sorted(brand_ids):
        brand_detect_task.delay(brand_id)
