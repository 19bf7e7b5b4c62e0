"""The one ingest path: the HTTP API, polling, the import command and drills all call
``mentions_ingest``.

Per item: validate → match brand → detect language → score sentiment → dedupe →
bulk insert → rollups; after commit: push new mentions to open war rooms and queue
detection for the brands touched. A bad item is reported with its index and the
rest are stored.
"""

from __future__ import annotations

import io
import operator
import time
import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import F, Lookup, QuerySet
from django.utils import timezone

from foundation import observability
from foundation.jsonio import bad_text
from foundation.signals import send_on_commit
from foundation.validation import (
    EARLIEST_POST,
    MAX_BIGINT,
    MAX_INTEGER,
    FieldError,
    timestamp,
)
from monitoring import events
from monitoring.choices import SentimentLabel, SourceKind, TermKind
from monitoring.language import detect_language
from monitoring.matching import (
    PhraseSet,
    Predicate,
    QueryError,
    compile_query,
    near_duplicate_key,
    normalise,
    parse_query,
    query_terms,
)
from monitoring.models import Brand, Mention, Rollup, Source, WatchTerm, bucket_start
from monitoring.partitions import KEY_TABLE, KEYED_SETTING, SEQUENCE, is_partitioned
from monitoring.sentiment import get_analyzer

MAX_TEXT = 20_000
FUTURE_TOLERANCE = timedelta(hours=1)
# Same brand, same normalised text, published within this long of each other: one voice.
NEAR_DUPLICATE_WINDOW = timedelta(hours=24)
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
LANG_MAX_LENGTH = Mention._meta.get_field("lang").max_length


class _Any(Lookup):
    """``column = ANY(%s)`` with the list as one array parameter (PostgreSQL): the
    duplicate checks look up a batch's keys without building one placeholder and one
    bound parameter per key, as ``__in`` does."""

    lookup_name = "any"
    prepare_rhs = False

    def as_sql(self, compiler, connection):  # type: ignore[no-untyped-def]
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} = ANY({rhs})", [*lhs_params, *rhs_params]


for _name in ("external_id", "text_key"):
    Mention._meta.get_field(_name).register_lookup(_Any)


def _among(name: str, values: list[Any]) -> dict[str, list[Any]]:
    """A filter: the column is one of the values (one array parameter on PostgreSQL)."""
    return {f"{name}__{'any' if connection.vendor == 'postgresql' else 'in'}": values}


def _key_rows(source_id: int, external_ids: Sequence[str]) -> list[tuple[str, int, datetime]]:
    """(external id, mention id, published_at) of the stored keys among these: the
    key table is the truth for (source, external id) on PostgreSQL
    (monitoring/partitions.py)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT external_id, mention_id, published_at FROM {KEY_TABLE} "
            "WHERE source_id = %s AND external_id = ANY(%s)",
            [source_id, list(external_ids)],
        )
        return cursor.fetchall()


def _by_keys(source_id: int, external_ids: Sequence[str]) -> QuerySet[Mention]:
    """Stored mentions of one source with these external ids.

    PostgreSQL: the partitioned mentions table has no (source, external id) index;
    the key table gives each one's id and publication time, so the look-up reads
    only the partitions that hold them, by primary key.
    """
    external_ids = list(external_ids)
    queryset = Mention.objects.filter(source_id=source_id, **_among("external_id", external_ids))
    if not is_partitioned():
        return queryset
    found = [(pk, at) for _, pk, at in _key_rows(source_id, external_ids)]
    if not found:
        return Mention.objects.none()
    return queryset.filter(
        pk__in=[pk for pk, _ in found], published_at__in=sorted({at for _, at in found})
    )


class ItemError(ValueError):
    """An item that cannot be stored; the message is shown to the caller."""


@dataclass
class IngestResult:
    accepted: int = 0
    duplicates: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)
    # Parts of the totals above, for logs and the import summary (not in the API answer).
    near_duplicates: int = 0
    reposts: int = 0
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
    repost_of: str = ""
    reply_to: str = ""
    # (positive, negative, neutral) reaction counts, or None when the item has none.
    reactions: tuple[int, int, int] | None = None


def _string(item: Mapping[str, Any], name: str, *, required: bool, limit: int) -> str:
    value = item.get(name)
    if value is None or value == "":
        if required:
            raise ItemError(f"{name} is required")
        return ""
    if value.__class__ is not str:
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise ItemError(f"{name} must be a string")
        value = str(value)
    # NUL cannot be stored in PostgreSQL text; it never carries meaning in a post.
    text = (value.replace("\x00", "") if "\x00" in value else value).strip()
    # a lone surrogate ("\ud800" in JSON) cannot be encoded to UTF-8 (ASCII has none)
    if not text.isascii() and bad_text(text):
        raise ItemError(f"{name} contains an invalid character (a lone surrogate)")
    if required and not text:
        raise ItemError(f"{name} must not be empty")
    if len(text) > limit:
        raise ItemError(f"{name} is longer than {limit} characters")
    return text


def parse_timestamp(value: Any, name: str = "published_at") -> datetime:
    """An ISO 8601 time in UTC (no offset: UTC), from 1970 to the end of year 9999."""
    try:
        return timestamp(value, name, earliest=EARLIEST_POST)
    except FieldError as exc:
        raise ItemError(str(exc)) from exc


def _reactions(raw: Mapping[str, Any]) -> tuple[int, int, int] | None:
    value = raw.get("reactions")
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise ItemError("reactions must be an object {positive, negative, neutral}")
    counts = []
    for name in ("positive", "negative", "neutral"):
        count = value.get(name, 0) or 0
        if isinstance(count, bool) or not isinstance(count, int) or not 0 <= count <= MAX_INTEGER:
            raise ItemError(f"reactions.{name} must be a whole number from 0 to {MAX_INTEGER}")
        counts.append(count)
    return counts[0], counts[1], counts[2]


def validate_item(raw: Any, *, now: datetime, source_given: bool = False) -> _Item:
    if not isinstance(raw, Mapping):
        raise ItemError("item must be a JSON object")
    published_at = parse_timestamp(raw.get("published_at"))
    if published_at > now + FUTURE_TOLERANCE:
        raise ItemError("published_at is in the future")
    followers = raw.get("author_followers", 0)
    if followers is None:
        followers = 0
    if (
        isinstance(followers, bool)
        or not isinstance(followers, int)
        or not 0 <= followers <= MAX_BIGINT
    ):
        raise ItemError(f"author_followers must be a whole number from 0 to {MAX_BIGINT}")
    url = _string(raw, "url", required=False, limit=1000)
    if url and not url.lower().startswith(("http://", "https://")):
        raise ItemError("url must start with http:// or https://")
    lang = _string(raw, "lang", required=False, limit=20).lower()
    lang = LANG_ALIASES.get(lang, lang.split("-")[0] if lang else "")
    if len(lang) > LANG_MAX_LENGTH:
        # Stored in Mention.lang: one tag too long would fail the whole batch's insert.
        raise ItemError(f"lang is longer than {LANG_MAX_LENGTH} characters")
    return _Item(
        source_key=_string(raw, "source", required=not source_given, limit=120).lower(),
        external_id=_string(raw, "external_id", required=True, limit=255),
        text=_string(raw, "text", required=True, limit=MAX_TEXT),
        published_at=published_at,
        url=url,
        author=_string(raw, "author", required=False, limit=200),
        author_followers=followers,
        lang=lang,
        brand_slug=_string(raw, "brand", required=False, limit=60).lower(),
        repost_of=_string(raw, "repost_of", required=False, limit=255),
        reply_to=_string(raw, "reply_to", required=False, limit=255),
        reactions=_reactions(raw),
    )


class BrandMatcher:
    """Which brand a text is about and which brand's competitor it names, from the
    compiled watch-term queries of every active brand (exclusions win).

    Built once per process and reused while the brands and terms are unchanged
    (see ``current``): parsing and regex compilation never happen per mention.
    """

    def __init__(self, brands: Iterable[Brand], terms: Iterable[WatchTerm]) -> None:
        self.by_slug = {brand.slug: brand for brand in brands}
        self.by_id = {brand.pk: brand for brand in self.by_slug.values()}
        include: dict[int, list[Predicate]] = defaultdict(list)
        exclude: dict[int, list[Predicate]] = defaultdict(list)
        competitor: dict[int, list[Predicate]] = defaultdict(list)
        positive_terms: list[str] = []
        for term in terms:
            if term.brand_id not in self.by_id:
                continue
            try:
                node = parse_query(term.query)
                predicate = compile_query(term.query)
            except QueryError:  # saved before validation existed: ignore, never crash ingest
                continue
            if term.kind == TermKind.EXCLUDE:
                exclude[term.brand_id].append(predicate)
            elif term.kind == TermKind.COMPETITOR:
                competitor[term.brand_id].append(predicate)
                positive_terms += query_terms(node)
            else:
                include[term.brand_id].append(predicate)
                positive_terms += query_terms(node)
        self.rules = [
            (self.by_id[pk], include.get(pk, []), exclude.get(pk, []), competitor.get(pk, []))
            for pk in self.by_id
        ]
        # One scan decides that a text names no term of any brand, the usual case for
        # unrelated chatter; only texts that pass it run the per-brand predicates.
        self.any_term = PhraseSet(positive_terms)
        self.triggers = {pk: PhraseSet(b.trigger_phrase_list()) for pk, b in self.by_id.items()}

    @classmethod
    def load(cls) -> BrandMatcher:
        brands = list(Brand.objects.filter(active=True))
        return cls(brands, WatchTerm.objects.filter(brand__active=True))

    @classmethod
    def current(cls) -> BrandMatcher:
        """The process's matcher, rebuilt when any brand or watch term has changed."""
        global _matcher_cache
        fingerprint = _terms_fingerprint()
        cached = _matcher_cache
        if cached is not None and cached[0] == fingerprint:
            return cached[1]
        matcher = cls.load()
        _matcher_cache = (fingerprint, matcher)
        return matcher

    def classify(self, normalised_text: str) -> tuple[Brand | None, Brand | None]:
        """(the brand the text is about, the brand whose competitor it names).

        Both can be set, and be the same brand ("Acme beats Bolt"): the mention counts
        for Acme and also shows in Acme's competitor tracking.
        """
        if self.any_term.any is None or self.any_term.any.search(normalised_text) is None:
            return None, None
        own: Brand | None = None
        rival: Brand | None = None
        for brand, include, exclude, competitor in self.rules:
            if any(p(normalised_text) for p in exclude):
                continue
            if own is None and any(p(normalised_text) for p in include):
                own = brand
            if rival is None and any(p(normalised_text) for p in competitor):
                rival = brand
            if own is not None and rival is not None:
                break
        return own, rival

    def trigger_phrases(self, brand: Brand, normalised_text: str) -> list[str]:
        phrases = self.triggers.get(brand.pk)
        if phrases is None:
            phrases = PhraseSet(brand.trigger_phrase_list())
        return phrases.find(normalised_text)


_matcher_cache: tuple[tuple, BrandMatcher] | None = None


def _terms_fingerprint() -> tuple:
    """Changes whenever a brand or term is added, edited or deleted: one cheap query."""
    brand = connection.ops.quote_name(Brand._meta.db_table)
    term = connection.ops.quote_name(WatchTerm._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT (SELECT COUNT(*) FROM {brand}), (SELECT MAX(id) FROM {brand}), "
            f"(SELECT MAX(updated_at) FROM {brand}), (SELECT COUNT(*) FROM {term}), "
            f"(SELECT MAX(id) FROM {term}), (SELECT MAX(updated_at) FROM {term})"
        )
        return tuple(cursor.fetchone())


def _sources_for(keys: Iterable[str], kind: str) -> dict[str, Source]:
    keys = set(keys)
    existing = {s.key: s for s in Source.objects.filter(kind=kind, key__in=keys)}
    for key in keys - existing.keys():
        source, _ = Source.objects.get_or_create(
            kind=kind, key=key, defaults={"name": key, "platform": key[:40]}
        )
        existing[key] = source
    return existing


_COLUMNS = (
    "source_id",
    "external_id",
    "brand_id",
    "competitor_of_id",
    "platform",
    "text",
    "url",
    "author",
    "author_followers",
    "lang",
    "published_at",
    "ingested_at",
    "sentiment_score",
    "sentiment_label",
    "triggers",
    "ingest_batch",
    "text_key",
    "repost_of_id",
    "repost_count",
    "amplified_reach",
    "duplicate_count",
    "reply_to_id",
    "reactions_positive",
    "reactions_negative",
    "reactions_neutral",
)


@dataclass(slots=True, kw_only=True)
class _Values:
    """One mention row to insert: plain attributes, no model instance (ingest's hot path).
    The fields are the columns of ``_COLUMNS`` (checked by the tests)."""

    source_id: int
    external_id: str
    brand_id: int | None
    platform: str
    text: str
    lang: str
    published_at: datetime
    ingested_at: datetime
    ingest_batch: Any
    competitor_of_id: int | None = None
    url: str = ""
    author: str = ""
    author_followers: int = 0
    sentiment_score: float = 0.0
    sentiment_label: str = SentimentLabel.NEUTRAL.value
    triggers: str = ""
    text_key: int | None = None
    repost_of_id: int | None = None
    repost_count: int = 0
    amplified_reach: int = 0
    duplicate_count: int = 0
    reply_to_id: int | None = None
    reactions_positive: int = 0
    reactions_negative: int = 0
    reactions_neutral: int = 0

    def as_tuple(self) -> tuple:
        return _as_tuple(self)


_as_tuple = operator.attrgetter(*_COLUMNS)


def mentions_ingest(
    *,
    items: Sequence[Any],
    source_kind: str = SourceKind.API,
    source: Source | None = None,
) -> IngestResult:
    """Store a batch of mentions from any entry point and return what became of each.

    ``source``: the Source every item comes from (connectors); without it each item
    names its source and one of kind ``source_kind`` is found or created.

    Counting (the API answer): an item is *accepted* when a row is stored, including
    a repost of a known original (stored as amplification, see below); a *duplicate*
    when its (source, external_id) is already stored or repeated in the batch, or when
    its text is a near-duplicate of a mention of the same brand by the same author on
    the same platform within ``NEAR_DUPLICATE_WINDOW`` (not stored; the original's ``duplicate_count`` goes up);
    *rejected* with a reason otherwise.

    Reposts (an item with ``repost_of``, the external id of the original in the same
    source) whose original is stored are kept as rows pointing to it, with its brand
    and sentiment; they add their author's followers to the original's
    ``amplified_reach`` and to the reach of the original's rollup, but not to any
    count: a boost is reach, not a new voice. A repost whose original is unknown is
    stored as an ordinary mention.
    """
    now = timezone.now()
    result = IngestResult()
    valid: list[tuple[int, _Item]] = []
    for index, raw in enumerate(items):
        if source is not None and isinstance(raw, Mapping):
            raw = {**raw, "source": source.key}
        try:
            valid.append((index, validate_item(raw, now=now, source_given=source is not None)))
        except ItemError as exc:
            result.rejected.append({"index": index, "error": str(exc)})
    if not valid:
        return result

    matcher = BrandMatcher.current()
    batch = uuid.uuid4()
    started = time.monotonic()
    with transaction.atomic():
        if source is not None:
            sources = {item.source_key: source for _, item in valid}
        else:
            sources = _sources_for((item.source_key for _, item in valid), source_kind)
        fresh = _drop_exact_duplicates(valid, sources, result)
        _refresh_reactions(valid, fresh, sources)
        originals, reposts = _split_reposts(fresh, sources)
        langs: dict[str, str] = {}  # text -> detected language: reposts repeat texts
        rows: list[_Values] = []
        for index, item in originals:
            row = _build_row(
                index, item, sources[item.source_key], matcher, now, batch, result, langs
            )
            if row is not None:
                rows.append(row)
        boosts: list[tuple[int, _Item, tuple[int, str]]] = []
        known: dict[tuple[int, str], dict[str, Any]] = {}
        if reposts:
            pending = {(row.source_id, row.external_id) for row in rows}
            targets = _repost_targets(reposts, sources)
            known = _originals(set(targets.values()) - pending)
            for index, item in reposts:
                target = targets[index]
                if target in known or target in pending:
                    boosts.append((index, item, target))
                    continue
                # No original to amplify: an ordinary mention (and a voice) after all,
                # through the same checks as any other.
                row = _build_row(
                    index, item, sources[item.source_key], matcher, now, batch, result, langs
                )
                if row is not None:
                    rows.append(row)
        rows = _drop_near_duplicates(rows, result)
        in_batch_parents = _link_replies(rows, fresh, sources, matcher)
        _score(rows)
        stored = _insert(rows, batch)
        _link_in_batch_replies(in_batch_parents)
        transaction.on_commit(lambda: _count_stored(stored, sources, matcher, started))
        rollups_add(stored)
        result.accepted += len(stored)
        result.duplicates += len(rows) - len(stored)
        result.mention_ids = [row["id"] for row in stored]
        result.brand_ids = {row["brand_id"] for row in stored if row["brand_id"]}
        if boosts:
            _ingest_reposts(boosts, known, sources, now, batch, result, langs)
        if result.mention_ids or result.brand_ids:
            mention_ids, brand_ids = list(result.mention_ids), set(result.brand_ids)
            send_on_commit(
                events.mentions_stored, sender=Mention, mention_ids=mention_ids, brand_ids=brand_ids
            )
    result.rejected.sort(key=lambda r: r["index"])
    return result


def _count_stored(
    stored: list[dict[str, Any]], sources: Mapping[str, Source], matcher: Any, started: float
) -> None:
    """Metrics after commit: mentions stored by source and brand, and the batch's time."""
    keys = {source.pk: source.key for source in sources.values()}
    counts: dict[tuple[str, str], float] = defaultdict(float)
    for row in stored:
        brand = matcher.by_id.get(row["brand_id"])
        counts[(keys.get(row["source_id"], ""), brand.slug if brand else "")] += 1
    observability.record(
        counts={observability.MENTIONS_INGESTED: counts},
        observations={observability.INGEST_SECONDS: time.monotonic() - started},
    )


def _drop_exact_duplicates(
    valid: list[tuple[int, _Item]], sources: Mapping[str, Source], result: IngestResult
) -> list[tuple[int, _Item]]:
    """Items whose (source, external_id) is neither repeated in the batch nor stored."""
    seen: set[tuple[int, str]] = set()
    fresh: list[tuple[int, _Item]] = []
    for index, item in valid:
        key = (sources[item.source_key].pk, item.external_id)
        if key in seen:
            result.duplicates += 1
            continue
        seen.add(key)
        fresh.append((index, item))
    stored = _stored_keys(seen)
    if stored:
        kept = []
        for index, item in fresh:
            if (sources[item.source_key].pk, item.external_id) in stored:
                result.duplicates += 1
            else:
                kept.append((index, item))
        fresh = kept
    return fresh


def _stored_keys(keys: set[tuple[int, str]]) -> set[tuple[int, str]]:
    by_source: dict[int, list[str]] = defaultdict(list)
    for source_id, external_id in keys:
        by_source[source_id].append(external_id)
    found: set[tuple[int, str]] = set()
    partitioned = is_partitioned()
    for source_id, external_ids in by_source.items():
        for start in range(0, len(external_ids), 2000):
            chunk = external_ids[start : start + 2000]
            if partitioned:
                found.update((source_id, key) for key, _, _ in _key_rows(source_id, chunk))
                continue
            found.update(
                Mention.objects.filter(source_id=source_id, **_among("external_id", chunk))
                .order_by()
                .values_list("source_id", "external_id")
            )
    return found


def _split_reposts(
    fresh: list[tuple[int, _Item]], sources: Mapping[str, Source]
) -> tuple[list[tuple[int, _Item]], list[tuple[int, _Item]]]:
    originals, reposts = [], []
    for index, item in fresh:
        (reposts if item.repost_of and item.repost_of != item.external_id else originals).append(
            (index, item)
        )
    return originals, reposts


def _build_row(
    index: int,
    item: _Item,
    source: Source,
    matcher: BrandMatcher,
    now: datetime,
    batch: uuid.UUID,
    result: IngestResult,
    langs: dict[str, str],
) -> _Values | None:
    folded = normalise(item.text)
    competitor = None
    if item.brand_slug:
        brand = matcher.by_slug.get(item.brand_slug)
        if brand is None:
            result.rejected.append({"index": index, "error": f"unknown brand {item.brand_slug!r}"})
            return None
    else:
        brand, competitor = matcher.classify(folded)
    lang = item.lang or _language(item.text, langs)
    return _Values(
        source_id=source.pk,
        external_id=item.external_id,
        brand_id=brand.pk if brand else None,
        competitor_of_id=competitor.pk if competitor else None,
        platform=source.platform or source.key,
        text=item.text,
        url=item.url,
        author=item.author,
        author_followers=item.author_followers,
        lang=lang,
        published_at=item.published_at,
        ingested_at=now,
        triggers=",".join(matcher.trigger_phrases(brand, folded))[:300] if brand else "",
        ingest_batch=batch,
        text_key=near_duplicate_key(item.text, folded=folded),
        reactions_positive=item.reactions[0] if item.reactions else 0,
        reactions_negative=item.reactions[1] if item.reactions else 0,
        reactions_neutral=item.reactions[2] if item.reactions else 0,
    )


def _language(text: str, langs: dict[str, str]) -> str:
    """``detect_language``, once per distinct text of the batch."""
    lang = langs.get(text)
    if lang is None:
        lang = langs[text] = detect_language(text)
    return lang


def _link_replies(
    rows: list[_Values],
    fresh: list[tuple[int, _Item]],
    sources: Mapping[str, Source],
    matcher: BrandMatcher,
) -> dict[int, list[tuple[str, str]]]:
    """Point comments at the post they answer (same source) and give a comment that
    names no brand its post's brand: a push under an article about Acme is about Acme.

    Parents already stored are linked here; parents in this same batch are returned
    ({source_id: [(child external id, parent external id)]}) to be linked once stored.
    """
    wanted = {
        (sources[item.source_key].pk, item.external_id): item.reply_to
        for _, item in fresh
        if item.reply_to and item.reply_to != item.external_id
    }
    if not wanted:
        return {}
    replies = [row for row in rows if (row.source_id, row.external_id) in wanted]
    if not replies:
        return {}
    batch_brand = {(row.source_id, row.external_id): row.brand_id for row in rows}
    stored: dict[tuple[int, str], tuple[int, int | None]] = {}
    by_source: dict[int, set[str]] = defaultdict(set)
    for row in replies:
        by_source[row.source_id].add(wanted[(row.source_id, row.external_id)])
    for source_id, parent_ids in by_source.items():
        for pk, external_id, brand_id in (
            _by_keys(source_id, sorted(parent_ids))
            .order_by()
            .values_list("pk", "external_id", "brand_id")
        ):
            stored[(source_id, external_id)] = (pk, brand_id)
    later: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for row in replies:
        parent_key = (row.source_id, wanted[(row.source_id, row.external_id)])
        if parent_key in stored:
            row.reply_to_id, parent_brand = stored[parent_key]
        elif parent_key in batch_brand:
            parent_brand = batch_brand[parent_key]
            later[row.source_id].append((row.external_id, parent_key[1]))
        else:
            continue
        if row.brand_id is None and parent_brand is not None and parent_brand in matcher.by_id:
            row.brand_id = parent_brand
            brand = matcher.by_id[parent_brand]
            row.triggers = ",".join(matcher.trigger_phrases(brand, normalise(row.text)))[:300]
    return later


def _link_in_batch_replies(later: dict[int, list[tuple[str, str]]]) -> None:
    """Set reply_to for comments whose post was stored in the same batch."""
    for source_id, pairs in later.items():
        external_ids = {child for child, _ in pairs} | {parent for _, parent in pairs}
        ids = dict(
            _by_keys(source_id, sorted(external_ids)).order_by().values_list("external_id", "pk")
        )
        updates = [
            Mention(pk=ids[child], reply_to_id=ids[parent])
            for child, parent in pairs
            if child in ids and parent in ids
        ]
        Mention.objects.bulk_update(updates, ["reply_to_id"], batch_size=500)


def _refresh_reactions(
    valid: list[tuple[int, _Item]], fresh: list[tuple[int, _Item]], sources: Mapping[str, Source]
) -> None:
    """A post polled again (PTT re-reads an article whose pushes grew) brings its new
    reaction counts: stored posts take them, though the post itself is a duplicate."""
    if len(fresh) == len(valid) or all(item.reactions is None for _, item in valid):
        return  # no duplicates, or none that carries reactions: the usual case
    fresh_keys = {(sources[item.source_key].pk, item.external_id) for _, item in fresh}
    counts: dict[int, dict[str, tuple[int, int, int]]] = defaultdict(dict)
    for _, item in valid:
        key = (sources[item.source_key].pk, item.external_id)
        if item.reactions is not None and key not in fresh_keys:
            counts[key[0]][item.external_id] = item.reactions
    for source_id, by_id in counts.items():
        mentions = list(
            _by_keys(source_id, sorted(by_id)).only(
                "pk", "external_id", "reactions_positive", "reactions_negative", "reactions_neutral"
            )
        )
        changed = []
        for mention in mentions:
            new = by_id[mention.external_id]
            old = (
                mention.reactions_positive,
                mention.reactions_negative,
                mention.reactions_neutral,
            )
            if new != old:
                (
                    mention.reactions_positive,
                    mention.reactions_negative,
                    mention.reactions_neutral,
                ) = new
                changed.append(mention)
        Mention.objects.bulk_update(
            changed,
            ["reactions_positive", "reactions_negative", "reactions_neutral"],
            batch_size=500,
        )


def _drop_near_duplicates(rows: list[_Values], result: IngestResult) -> list[_Values]:
    """Drop rows whose text repeats a mention of the same brand, by the same author on the
    same platform, within the window.

    Scoped to the author: one account's copies (re-sent with new ids, deleted and
    posted again, spam) are one voice; the same words from many accounts (a
    copy-paste campaign) are many voices, and exactly the volume detection must see.
    """
    candidates = [r for r in rows if r.brand_id and r.text_key is not None]
    if not candidates:
        return rows
    earliest = min(r.published_at for r in candidates) - NEAR_DUPLICATE_WINDOW
    latest = max(r.published_at for r in candidates) + NEAR_DUPLICATE_WINDOW
    keys = sorted({r.text_key for r in candidates})
    known: dict[tuple[int, str, str, int], list[tuple[datetime, int | None]]] = defaultdict(list)
    for start in range(0, len(keys), 2000):
        for pk, brand_id, platform, author, text_key, published_at in (
            Mention.objects.filter(
                **_among("text_key", keys[start : start + 2000]),
                published_at__gte=earliest,
                published_at__lte=latest,
                brand__isnull=False,
                repost_of__isnull=True,
            )
            .order_by()
            .values_list("pk", "brand_id", "platform", "author", "text_key", "published_at")
        ):
            known[(brand_id, platform, author, text_key)].append((published_at, pk))
    kept: list[_Values] = []
    bumps: dict[int, int] = defaultdict(int)
    for mention in rows:
        if not mention.brand_id or mention.text_key is None:
            kept.append(mention)
            continue
        slot = known[(mention.brand_id, mention.platform, mention.author, mention.text_key)]
        match = next(
            (pk for at, pk in slot if abs(at - mention.published_at) <= NEAR_DUPLICATE_WINDOW),
            False,
        )
        if match is False:
            slot.append((mention.published_at, None))  # the first of its kind in this batch
            kept.append(mention)
            continue
        result.duplicates += 1
        result.near_duplicates += 1
        if match is not None:
            bumps[match] += 1
    if bumps:
        _mentions_add(("duplicate_count",), sorted((pk, n) for pk, n in bumps.items()))
    return kept


def _mentions_add(columns: tuple[str, ...], rows: list[tuple[int, ...]]) -> None:
    """Add (id, *amounts) to counters of stored mentions: one statement on PostgreSQL."""
    if not rows:
        return
    table = connection.ops.quote_name(Mention._meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            from psycopg2.extras import execute_values

            names = ", ".join(columns)
            sets = ", ".join(f"{c} = {table}.{c} + v.{c}" for c in columns)
            execute_values(
                cursor.cursor,
                f"UPDATE {table} SET {sets} FROM (VALUES %s) AS v(id, {names}) "
                f"WHERE {table}.id = v.id",
                rows,
                page_size=1000,
            )
        else:
            sets = ", ".join(f"{c} = {c} + %s" for c in columns)
            cursor.executemany(
                f"UPDATE {table} SET {sets} WHERE id = %s", [(*r[1:], r[0]) for r in rows]
            )


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_STAGE = "monitoring_ingest_stage"


def _copy_value(value: Any) -> str:
    """One value in COPY's text format (the reference ``_copy_line`` is tested against)."""
    if value is None:
        return "\\N"
    if isinstance(value, str):
        return value.translate(_COPY_ESCAPES)
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def _null(value: int | None) -> int | str:
    return "\\N" if value is None else value


def _copy_line(m: _Values, ingested_at: str) -> str:
    """A row in COPY's text format, columns in ``_COLUMNS`` order: one f-string per row
    instead of a type test per value (``ingested_at`` is formatted once per batch)."""
    e = _COPY_ESCAPES
    return (
        f"{m.source_id}\t{m.external_id.translate(e)}\t{_null(m.brand_id)}\t"
        f"{_null(m.competitor_of_id)}\t{m.platform.translate(e)}\t{m.text.translate(e)}\t"
        f"{m.url.translate(e)}\t{m.author.translate(e)}\t{m.author_followers}\t"
        f"{m.lang.translate(e)}\t{m.published_at.isoformat()}\t{ingested_at}\t"
        f"{m.sentiment_score}\t{m.sentiment_label.translate(e)}\t{m.triggers.translate(e)}\t"
        f"{m.ingest_batch}\t{_null(m.text_key)}\t{_null(m.repost_of_id)}\t{m.repost_count}\t"
        f"{m.amplified_reach}\t{m.duplicate_count}\t{_null(m.reply_to_id)}\t"
        f"{m.reactions_positive}\t{m.reactions_negative}\t{m.reactions_neutral}"
    )


def _copy_insert(
    mentions: list[_Values], batch: uuid.UUID, returning: tuple[str, ...]
) -> list[dict[str, Any]]:
    table = connection.ops.quote_name(Mention._meta.db_table)
    columns = ", ".join(_COLUMNS)
    batch_text = str(batch)
    stamps: dict[datetime, str] = {}
    lines = []
    for mention in mentions:
        mention.ingest_batch = batch_text
        ingested = stamps.get(mention.ingested_at)
        if ingested is None:
            ingested = stamps[mention.ingested_at] = mention.ingested_at.isoformat()
        lines.append(_copy_line(mention, ingested))
    lines.append("")
    buffer = io.StringIO("\n".join(lines))
    with connection.cursor() as cursor:
        # One staging table per database session, emptied at each commit.
        cursor.execute(
            f"CREATE TEMPORARY TABLE IF NOT EXISTS {_STAGE} ON COMMIT DELETE ROWS AS "
            f"SELECT {columns} FROM {table} WITH NO DATA"
        )
        cursor.execute(f"TRUNCATE {_STAGE}")
        cursor.cursor.copy_expert(f"COPY {_STAGE} ({columns}) FROM STDIN", buffer)
        # Exact dedupe across partitions: a row is stored only if its (source,
        # external id) got a key, whatever its published_at (monitoring/partitions.py).
        # The per-row key trigger is switched off for this one statement.
        staged = ", ".join(f"s.{name}" for name in _COLUMNS)
        cursor.execute(
            f"SELECT set_config('{KEYED_SETTING}', 'on', true); "
            f"WITH keyed AS (INSERT INTO {KEY_TABLE} "
            "(source_id, external_id, mention_id, published_at) "
            f"SELECT source_id, external_id, nextval('{SEQUENCE}'), published_at FROM {_STAGE} "
            "ON CONFLICT DO NOTHING RETURNING source_id, external_id, mention_id) "
            f"INSERT INTO {table} (id, {columns}) SELECT k.mention_id, {staged} "
            f"FROM {_STAGE} s JOIN keyed k "
            "ON k.source_id = s.source_id AND k.external_id = s.external_id "
            f"RETURNING {', '.join(returning)}"
        )
        found = cursor.fetchall()
        cursor.execute(f"SELECT set_config('{KEYED_SETTING}', 'off', true)")
    return [dict(zip(returning, row, strict=True)) for row in found]


_STORED = (
    "id",
    "source_id",
    "brand_id",
    "platform",
    "published_at",
    "sentiment_label",
    "author_followers",
)


def _insert(
    mentions: list[_Values], batch: uuid.UUID, *, returning: tuple[str, ...] = _STORED
) -> list[dict[str, Any]]:
    """Insert, skipping rows a concurrent ingest stored first; return what was stored.

    PostgreSQL: COPY into a temporary table, then one statement: the keys into the
    key table (``ON CONFLICT DO NOTHING RETURNING``), and the rows that got one into
    the partitioned table (``RETURNING``): no model instances, no per-value quoting
    in Python, no re-read. SQLite: bulk_create, then the rows are read back by their unique key.
    """
    if not mentions:
        return []
    if connection.vendor == "postgresql":
        return _copy_insert(mentions, batch, returning)
    Mention.objects.bulk_create(
        [Mention(**{name: getattr(m, name) for name in _COLUMNS}) for m in mentions],
        batch_size=500,
        ignore_conflicts=True,
    )
    # Read back through the unique (source, external_id) index; a row a concurrent
    # ingest stored first carries that ingest's batch, not this one.
    by_source: dict[int, list[str]] = defaultdict(list)
    for m in mentions:
        by_source[m.source_id].append(m.external_id)
    stored: list[dict[str, Any]] = []
    for source_id, external_ids in by_source.items():
        for start in range(0, len(external_ids), 500):
            stored += (
                Mention.objects.filter(
                    source_id=source_id,
                    external_id__in=external_ids[start : start + 500],
                    ingest_batch=batch,
                )
                .order_by()
                .values(*returning)
            )
    return stored


def _repost_targets(
    reposts: list[tuple[int, _Item]], sources: Mapping[str, Source]
) -> dict[int, tuple[int, str]]:
    """(source_id, external_id) of the post each repost amplifies, by item index."""
    # A repost of a repost in this same batch amplifies the first one's original.
    in_batch = {
        (sources[item.source_key].pk, item.external_id): item.repost_of for _, item in reposts
    }
    targets: dict[int, tuple[int, str]] = {}
    for index, item in reposts:
        source_id = sources[item.source_key].pk
        target, hops = item.repost_of, 0
        while (source_id, target) in in_batch and hops < 20:
            target, hops = in_batch[(source_id, target)], hops + 1
        targets[index] = (source_id, target)
    return targets


def _originals(keys: set[tuple[int, str]]) -> dict[tuple[int, str], dict[str, Any]]:
    """Stored mentions by (source_id, external_id), with what a repost takes from them."""
    wanted: dict[int, set[str]] = defaultdict(set)
    for source_id, external_id in keys:
        wanted[source_id].add(external_id)
    found: dict[tuple[int, str], dict[str, Any]] = {}
    for source_id, external_ids in wanted.items():
        for row in (
            _by_keys(source_id, sorted(external_ids))
            .order_by()
            .values(
                "id",
                "source_id",
                "external_id",
                "repost_of_id",
                "brand_id",
                "platform",
                "published_at",
                "sentiment_label",
                "sentiment_score",
            )
        ):
            found[(source_id, row["external_id"])] = row
    return found


def _ingest_reposts(
    boosts: list[tuple[int, _Item, tuple[int, str]]],
    known: Mapping[tuple[int, str], dict[str, Any]],
    sources: Mapping[str, Source],
    now: datetime,
    batch: uuid.UUID,
    result: IngestResult,
    langs: dict[str, str],
) -> None:
    """Store reposts as amplification of their originals (see ``mentions_ingest``).

    ``known``: the originals that were stored before this batch; the others were
    stored by it, and are read now.
    """
    originals = {**_originals({t for _, _, t in boosts} - known.keys()), **known}
    root_ids = {row["repost_of_id"] for row in originals.values() if row["repost_of_id"]}
    roots = {
        row["id"]: row
        for row in Mention.objects.filter(pk__in=root_ids)
        .order_by()
        .values("id", "brand_id", "platform", "published_at", "sentiment_label", "sentiment_score")
    }
    amplified: list[tuple[int, _Item, dict[str, Any]]] = []
    for index, item, target in boosts:
        original = originals.get(target)
        if original is not None and original["repost_of_id"]:
            original = roots.get(original["repost_of_id"], original)
        if original is None:
            # Its original came in this batch but was dropped as a near-duplicate of an
            # earlier post by the same author: the boost repeats what is counted already.
            result.duplicates += 1
            continue
        amplified.append((index, item, original))
    if not amplified:
        return
    rows = []
    for _, item, original in amplified:
        source = sources[item.source_key]
        rows.append(
            _Values(
                source_id=source.pk,
                external_id=item.external_id,
                brand_id=original["brand_id"],
                platform=source.platform or source.key,
                text=item.text,
                url=item.url,
                author=item.author,
                author_followers=item.author_followers,
                lang=item.lang or _language(item.text, langs),
                published_at=item.published_at,
                ingested_at=now,
                sentiment_label=original["sentiment_label"],
                sentiment_score=original["sentiment_score"],
                ingest_batch=batch,
                repost_of_id=original["id"],
            )
        )
    stored = _insert(rows, batch, returning=("id", "repost_of_id", "author_followers"))
    result.accepted += len(stored)
    result.reposts += len(stored)
    result.duplicates += len(rows) - len(stored)
    by_original: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for row in stored:
        counts = by_original[row["repost_of_id"]]
        counts[0] += 1
        counts[1] += row["author_followers"]
    _mentions_add(
        ("repost_count", "amplified_reach"),
        [(pk, n, reach) for pk, (n, reach) in sorted(by_original.items())],
    )
    by_id = {original["id"]: original for _, _, original in amplified}
    rollups_add_reach(
        (
            by_id[pk]["brand_id"],
            by_id[pk]["published_at"],
            by_id[pk]["platform"],
            reach,
        )
        for pk, (_, reach) in by_original.items()
        if by_id[pk]["brand_id"]
    )
    result.brand_ids |= {by_id[pk]["brand_id"] for pk in by_original if by_id[pk]["brand_id"]}


def _score(rows: list[_Values]) -> None:
    """Sentiment for the rows about to be stored (duplicates were dropped before): one
    ``analyze_many`` per analyzer, each distinct text scored once (copy-paste posts)."""
    by_lang: dict[str, list[_Values]] = defaultdict(list)
    for row in rows:
        by_lang[row.lang].append(row)
    # zh-hant and zh-hans share one analyzer: one call for both.
    pending: dict[int, tuple[Any, dict[str, list[_Values]]]] = {}
    for lang, group in by_lang.items():
        analyzer = get_analyzer(lang)
        texts = pending.setdefault(id(analyzer), (analyzer, defaultdict(list)))[1]
        for row in group:
            texts[row.text].append(row)
    for analyzer, texts in pending.values():
        scores = analyzer.analyze_many(list(texts))
        for same, score in zip(texts.values(), scores, strict=True):
            value, label = round(score.score, 4), score.label
            for row in same:
                row.sentiment_score = value
                row.sentiment_label = label


def rollups_add(stored: Iterable[Mapping[str, Any]]) -> None:
    """Add freshly stored mentions (new voices) to their brand × bucket × platform rollups."""
    totals: dict[tuple[int, datetime, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0, 0])
    # [count, negative, neutral, positive, reach, unscored]
    column = {
        SentimentLabel.NEGATIVE: 1,
        SentimentLabel.NEUTRAL: 2,
        SentimentLabel.POSITIVE: 3,
        SentimentLabel.UNSCORED: 5,
    }
    for row in stored:
        if not row["brand_id"]:
            continue
        key = (row["brand_id"], bucket_start(row["published_at"]), row["platform"])
        counts = totals[key]
        counts[0] += 1
        counts[column.get(row["sentiment_label"], 2)] += 1
        counts[4] += row["author_followers"]
    _rollups_upsert(totals)


def rollups_add_reach(entries: Iterable[tuple[int, datetime, str, int]]) -> None:
    """Add amplification (brand_id, original's published_at, platform, reach) to rollups'
    reach only: reposts count as reach for the original's bucket, never as mentions."""
    totals: dict[tuple[int, datetime, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0, 0])
    for brand_id, published_at, platform, reach in entries:
        totals[(brand_id, bucket_start(published_at), platform)][4] += reach
    _rollups_upsert(totals)


def rollups_move_label(
    *, brand_id: int, published_at: datetime, platform: str, old: str, new: str
) -> None:
    """Move one mention from one sentiment column to another (a label correction)."""
    if old == new:
        return
    names = {
        SentimentLabel.NEGATIVE: "negative",
        SentimentLabel.NEUTRAL: "neutral",
        SentimentLabel.POSITIVE: "positive",
        SentimentLabel.UNSCORED: "unscored",
    }
    Rollup.objects.filter(
        brand_id=brand_id, bucket=bucket_start(published_at), platform=platform
    ).update(**{names[old]: F(names[old]) - 1, names[new]: F(names[new]) + 1})


def _rollups_upsert(totals: Mapping[tuple[int, datetime, str], list[int]]) -> None:
    if not totals:
        return
    table = connection.ops.quote_name(Rollup._meta.db_table)
    sql = (
        f"INSERT INTO {table} "
        "(brand_id, bucket, platform, count, negative, neutral, positive, reach, unscored) "
        "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) "
        "ON CONFLICT (brand_id, bucket, platform) DO UPDATE SET "
        f"count = {table}.count + excluded.count, negative = {table}.negative + excluded.negative, "
        f"neutral = {table}.neutral + excluded.neutral, positive = {table}.positive + excluded.positive, "
        f"reach = {table}.reach + excluded.reach, unscored = {table}.unscored + excluded.unscored"
    )
    # Sorted so that concurrent ingests lock rollup rows in the same order.
    params = [
        (brand_id, connection.ops.adapt_datetimefield_value(bucket), platform, *counts)
        for (brand_id, bucket, platform), counts in sorted(totals.items())
    ]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            from psycopg2.extras import execute_values

            execute_values(
                cursor.cursor, sql.replace("(%s, %s, %s, %s, %s, %s, %s, %s, %s)", "%s"), params
            )
        else:
            cursor.executemany(sql, params)
