"""Detection over stored data: the streaming detector over closed rollup buckets,
the trigger-phrase and key-voice rules over mentions, and source-health warnings.

Firing signals are announced as ``monitoring.events.signal_raised``, inside the
detection transaction; incidents take them (``incident_take_signal`` opens an
incident or adds them to the brand's open one). A source-health warning never does.
"""

from __future__ import annotations

import logging
import math
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone

from foundation import observability
from foundation.permissions import is_org_admin, require
from monitoring import events
from monitoring.choices import SentimentLabel, SignalKind
from monitoring.detection import Bucket, DetectorConfig, StreamDetector
from monitoring.models import (
    BUCKET_SECONDS,
    Brand,
    DetectorState,
    Mention,
    Rollup,
    Signal,
    Source,
    bucket_start,
)
from monitoring.signal_explain import explain

logger = logging.getLogger(__name__)

BUCKET = timedelta(seconds=BUCKET_SECONDS)
# A bucket is read once it has closed and late arrivals have had this long to land.
CLOSE_GRACE = timedelta(seconds=30)
MAX_CATCH_UP = timedelta(days=28)
# Sources that delivered a mention for a brand within this long count as feeding it.
SOURCE_FEEDS_WITHIN = timedelta(days=14)
SOURCE_WARNING_COOLDOWN = timedelta(hours=6)


def brand_detector_config(brand: Brand) -> DetectorConfig:
    """The brand's detector settings; bad stored overrides fall back to the defaults."""
    try:
        return DetectorConfig.from_overrides(brand.detector_settings)
    except ValueError:
        logger.warning("brand %s has invalid detector settings; using defaults", brand.pk)
        return DetectorConfig()


def brand_detect(*, brand_id: int, now: datetime | None = None) -> list[Signal]:
    """Run every detector for one brand up to ``now``; open or feed its incident.

    Returns the signals that fired. Runs under a lock on the brand so two runs never
    consume the same buckets twice.
    """
    now = now or timezone.now()
    with transaction.atomic():
        brand = Brand.objects.select_for_update().filter(pk=brand_id, active=True).first()
        if brand is None:
            logger.info("brand %s is gone or inactive; skipping detection", brand_id)
            return []
        config = brand_detector_config(brand)
        failing = _failing_sources(brand, config, now)
        if failing:
            _warn_source_health(brand, failing, now)
        fired = (
            _detect_volume(brand, config, now, failing)
            + _detect_trigger_phrases(brand, config, now)
            + _detect_key_voices(brand, config, now)
        )
        for signal in fired:
            events.signal_raised.send(sender=Signal, detected=signal)
    observability.count(observability.DETECTION_RUNS, outcome="fired" if fired else "quiet")
    return fired


# --- Source health -------------------------------------------------------------


def _failing_sources(brand: Brand, config: DetectorConfig, now: datetime) -> list[Source]:
    """Sources feeding the brand that are failing now (enough consecutive failures)."""
    feeds = Q(
        pk__in=Mention.objects.filter(
            brand=brand, published_at__gte=now - SOURCE_FEEDS_WITHIN
        ).values("source_id")
    ) | Q(brand=brand)
    return list(
        Source.objects.filter(feeds, consecutive_failures__gte=config.source_failures_for_gap)
        .exclude(last_error_at__isnull=True)
        .order_by("pk")
    )


def _gap_since(failing: list[Source]) -> datetime | None:
    """Buckets from here on are holes: the earliest moment a failing source last worked."""
    starts = [s.last_success_at or s.created_at for s in failing]
    return min(starts) if starts else None


def _warn_source_health(brand: Brand, failing: list[Source], now: datetime) -> Signal | None:
    """One warning per brand per cooldown: a hole in the data is not a crisis."""
    if Signal.objects.filter(
        brand=brand, kind=SignalKind.SOURCE_HEALTH, at__gt=now - SOURCE_WARNING_COOLDOWN
    ).exists():
        return None
    signal, created = Signal.objects.get_or_create(
        brand=brand,
        kind=SignalKind.SOURCE_HEALTH,
        at=bucket_start(now),
        defaults={
            "baseline": 0,
            "threshold": min(s.consecutive_failures for s in failing),
            "observed": max(s.consecutive_failures for s in failing),
            "magnitude": 0,
            "fires": False,
            "detail": {
                "sources": [
                    {
                        "id": s.pk,
                        "name": str(s),
                        "consecutive_failures": s.consecutive_failures,
                        "last_error": s.last_error[:300],
                        "last_success_at": s.last_success_at and s.last_success_at.isoformat(),
                    }
                    for s in failing
                ]
            },
        },
    )
    if created:
        logger.warning(
            "brand %s: %d failing source(s); detection skips the gap", brand.pk, len(failing)
        )
    return signal if created else None


# --- Volume, velocity, negative share (the streaming detector) ------------------


def _detect_volume(
    brand: Brand, config: DetectorConfig, now: datetime, failing: list[Source]
) -> list[Signal]:
    state, _ = DetectorState.objects.get_or_create(brand=brand)
    last_closed = bucket_start(now - CLOSE_GRACE) - BUCKET
    if state.last_bucket is not None:
        start = state.last_bucket + BUCKET
    else:
        first = (
            Rollup.objects.filter(brand=brand)
            .order_by("bucket")
            .values_list("bucket", flat=True)
            .first()
        )
        if first is None:
            return []
        start = first
    start = max(start, last_closed - MAX_CATCH_UP)
    if start > last_closed:
        return []
    gap_from = _gap_since(failing)
    totals = {
        row["bucket"]: row
        for row in Rollup.objects.filter(brand=brand, bucket__gte=start, bucket__lte=last_closed)
        .values("bucket")
        .annotate(
            count=Sum("count"),
            negative=Sum("negative"),
            positive=Sum("positive"),
            reach=Sum("reach"),
        )
    }
    detector = StreamDetector(config, state.state or None)
    fired: list[Signal] = []
    moment = start
    while moment <= last_closed:
        row = totals.get(moment)
        bucket = Bucket(
            start=moment,
            count=row["count"] if row else 0,
            negative=row["negative"] if row else 0,
            positive=row["positive"] if row else 0,
            reach=row["reach"] if row else 0,
            gap=gap_from is not None and moment + BUCKET > gap_from,
        )
        for found in detector.update(bucket):
            signal, created = Signal.objects.get_or_create(
                brand=brand,
                kind=found.kind,
                at=found.at,
                defaults={
                    "baseline": found.baseline,
                    "threshold": found.threshold,
                    "observed": found.observed,
                    "magnitude": found.magnitude,
                    "fires": found.fires,
                    # what the count model saw over the signal's window, and the
                    # sentence that says so in every UI language
                    "detail": {
                        "reach": bucket.reach,
                        "count": bucket.count,
                        **explain(found.kind, found.at, found),
                        "realert": found.realert,
                    },
                },
            )
            if created and found.fires:
                fired.append(signal)
        moment += BUCKET
    state.state = detector.to_state()
    state.last_bucket = last_closed
    state.save(update_fields=["state", "last_bucket", "updated_at"])
    return fired


# --- Rules over mentions ----------------------------------------------------------


def _detect_trigger_phrases(brand: Brand, config: DetectorConfig, now: datetime) -> list[Signal]:
    """Negative posts naming a trigger phrase ("boycott", "抵制", …): no warm-up needed."""
    window = timedelta(minutes=config.trigger_window_minutes)
    negative_with_triggers = Mention.objects.filter(
        brand=brand, sentiment_label=SentimentLabel.NEGATIVE
    ).exclude(triggers="")
    observed = negative_with_triggers.filter(
        published_at__gt=now - window, published_at__lte=now
    ).count()
    week = negative_with_triggers.filter(
        published_at__gt=now - timedelta(days=7) - window, published_at__lte=now - window
    ).count()
    baseline = week / (7 * 24 * 60 / config.trigger_window_minutes)
    threshold = max(config.trigger_min_mentions, math.ceil(baseline * config.trigger_ratio))
    if observed < threshold:
        return []
    if Signal.objects.filter(
        brand=brand,
        kind=SignalKind.TRIGGER_PHRASE,
        at__gt=now - timedelta(minutes=config.trigger_cooldown_minutes),
    ).exists():
        return []
    phrases = sorted(
        {
            phrase.strip()
            for triggers in Mention.objects.filter(
                brand=brand, published_at__gt=now - window, published_at__lte=now
            )
            .exclude(triggers="")
            .values_list("triggers", flat=True)[:200]
            for phrase in triggers.split(",")
            if phrase.strip()
        }
    )
    signal, created = Signal.objects.get_or_create(
        brand=brand,
        kind=SignalKind.TRIGGER_PHRASE,
        at=bucket_start(now),
        defaults={
            "baseline": round(baseline, 3),
            "threshold": threshold,
            "observed": observed,
            "magnitude": observed / threshold,
            "detail": {"phrases": phrases[:20], "window_minutes": config.trigger_window_minutes},
        },
    )
    return [signal] if created else []


def _detect_key_voices(brand: Brand, config: DetectorConfig, now: datetime) -> list[Signal]:
    """A negative post from an author with a large following."""
    window = timedelta(minutes=config.key_voice_window_minutes)
    posts = list(
        Mention.objects.filter(
            brand=brand,
            sentiment_label=SentimentLabel.NEGATIVE,
            author_followers__gte=config.key_voice_followers,
            published_at__gt=now - window,
            published_at__lte=now,
        ).order_by("-author_followers")[:5]
    )
    if not posts:
        return []
    if Signal.objects.filter(
        brand=brand,
        kind=SignalKind.KEY_VOICE,
        at__gt=now - timedelta(minutes=config.key_voice_cooldown_minutes),
    ).exists():
        return []
    top = posts[0]
    signal, created = Signal.objects.get_or_create(
        brand=brand,
        kind=SignalKind.KEY_VOICE,
        at=bucket_start(now),
        defaults={
            "baseline": 0,
            "threshold": config.key_voice_followers,
            "observed": top.author_followers,
            "magnitude": top.author_followers / config.key_voice_followers,
            "detail": {
                "reach": sum(p.author_followers for p in posts),
                "mentions": [
                    {
                        "id": p.pk,
                        "author": p.author,
                        "followers": p.author_followers,
                        "url": p.url,
                        "text": p.text[:280],
                    }
                    for p in posts
                ],
            },
        },
    )
    return [signal] if created else []


# --- Settings ------------------------------------------------------------------------


@transaction.atomic
def brand_detector_settings_update(*, brand: Brand, overrides: dict, user) -> Brand:  # type: ignore[no-untyped-def]
    """Store a brand's detector overrides (admins only); validated like the detector does."""
    require(is_org_admin(user), "Only admins change detector settings.")
    DetectorConfig.from_overrides(overrides)
    brand.detector_settings = dict(overrides)
    brand.save(update_fields=["detector_settings"])
    return brand
