"""Monitoring writes other than ingest (see monitoring/ingest.py): brands, detection,
label corrections."""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.text import slugify

from crisisroom.permissions import can_work_incidents, is_org_admin, require
from monitoring.choices import SentimentLabel, SignalKind, TermKind
from monitoring.detection import Bucket, DetectorConfig, StreamDetector
from monitoring.ingest import rollups_move_label
from monitoring.models import (
    BUCKET_SECONDS,
    Brand,
    DetectorState,
    LabelCorrection,
    Mention,
    Rollup,
    Signal,
    WatchTerm,
    bucket_start,
)

logger = logging.getLogger(__name__)

BUCKET = timedelta(seconds=BUCKET_SECONDS)
# A bucket is read once it has closed and late arrivals have had this long to land.
CLOSE_GRACE = timedelta(seconds=30)
MAX_CATCH_UP = timedelta(days=28)
TRIGGER_WINDOW = timedelta(hours=1)
TRIGGER_MIN_MENTIONS = 3
TRIGGER_COOLDOWN = timedelta(hours=2)


def brand_get_or_create(*, slug: str, name: str = "") -> Brand:
    slug = slugify(slug)[:60]
    if not slug:
        raise ValueError("a brand needs a slug of letters, digits or hyphens")
    brand, _ = Brand.objects.get_or_create(
        slug=slug, defaults={"name": name or slug.replace("-", " ").title()}
    )
    return brand


def brand_detect(*, brand_id: int, now: datetime | None = None) -> list[Signal]:
    """Run the streaming detectors for one brand up to ``now``; open or feed its incident.

    Returns the signals that fired. Runs under a lock on the brand so two runs never
    consume the same buckets twice.
    """
    from crisisroom.services import incident_take_signal

    now = now or timezone.now()
    with transaction.atomic():
        brand = Brand.objects.select_for_update().filter(pk=brand_id, active=True).first()
        if brand is None:
            logger.info("brand %s is gone or inactive; skipping detection", brand_id)
            return []
        fired = _detect_volume(brand, now) + _detect_trigger_phrases(brand, now)
        for signal in fired:
            incident_take_signal(signal=signal)
    return fired


def _detect_volume(brand: Brand, now: datetime) -> list[Signal]:
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
    detector = StreamDetector(
        DetectorConfig.from_overrides(brand.detector_settings), state.state or None
    )
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
                },
            )
            if created and found.fires:
                fired.append(signal)
        moment += BUCKET
    state.state = detector.to_state()
    state.last_bucket = last_closed
    state.save(update_fields=["state", "last_bucket", "updated_at"])
    return fired


def _detect_trigger_phrases(brand: Brand, now: datetime) -> list[Signal]:
    """Negative posts naming a trigger phrase ("boycott", "抵制", …): no warm-up needed."""
    observed = (
        Mention.objects.filter(
            brand=brand,
            published_at__gt=now - TRIGGER_WINDOW,
            published_at__lte=now,
            sentiment_label=SentimentLabel.NEGATIVE,
        )
        .exclude(triggers="")
        .count()
    )
    week = (
        Mention.objects.filter(
            brand=brand,
            published_at__gt=now - timedelta(days=7) - TRIGGER_WINDOW,
            published_at__lte=now - TRIGGER_WINDOW,
            sentiment_label=SentimentLabel.NEGATIVE,
        )
        .exclude(triggers="")
        .count()
    )
    baseline = week / (7 * 24)
    threshold = max(TRIGGER_MIN_MENTIONS, math.ceil(baseline * 3))
    if observed < threshold:
        return []
    if Signal.objects.filter(
        brand=brand, kind=SignalKind.TRIGGER_PHRASE, at__gt=now - TRIGGER_COOLDOWN
    ).exists():
        return []
    phrases = sorted(
        {
            phrase
            for triggers in Mention.objects.filter(
                brand=brand, published_at__gt=now - TRIGGER_WINDOW, published_at__lte=now
            )
            .exclude(triggers="")
            .values_list("triggers", flat=True)[:200]
            for phrase in triggers.split(",")
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
            "magnitude": observed / threshold - 1,
            "detail": {
                "phrases": phrases[:20],
                "window_minutes": int(TRIGGER_WINDOW.total_seconds() // 60),
            },
        },
    )
    return [signal] if created else []


# --- Brand settings and label corrections ---------------------------------------------


def brand_save(
    *,
    user: Any,
    brand: Brand | None,
    name: str,
    slug: str,
    active: bool,
    trigger_phrases: str,
    terms: Mapping[str, Sequence[str]],
) -> Brand:
    """Create or update a brand and replace its watch terms, kind by kind.

    ``terms`` maps a TermKind value to its queries, each already validated
    (monitoring.matching.validate_query). The ingest matcher notices the change by
    itself (its fingerprint covers brands and terms) and recompiles.
    """
    require(is_org_admin(user), "Only admins configure brands.")
    with transaction.atomic():
        if brand is None:
            brand = Brand(created_at=timezone.now())
        brand.name, brand.slug, brand.active = name, slug, active
        brand.trigger_phrases = "\n".join(
            line.strip() for line in trigger_phrases.splitlines() if line.strip()
        )
        brand.save()
        wanted = {
            (kind, query.strip())
            for kind, queries in terms.items()
            if kind in TermKind.values
            for query in queries
            if query.strip()
        }
        existing = {(t.kind, t.query): t for t in brand.terms.all()}
        stale = [t.pk for key, t in existing.items() if key not in wanted]
        if stale:
            WatchTerm.objects.filter(pk__in=stale).delete()
        WatchTerm.objects.bulk_create(
            [
                WatchTerm(brand=brand, kind=kind, query=query)
                for kind, query in sorted(wanted - existing.keys())
            ]
        )
    return brand


def mention_label_correct(*, user: Any, mention: Mention, label: str) -> LabelCorrection | None:
    """A responder's correction of a mention's sentiment label.

    Kept as a LabelCorrection (an evaluation set for the models); the mention takes
    the new label and its rollup moves one count between sentiment columns, so charts
    and detection stay exact. Returns None when the label is unchanged.
    """
    require(can_work_incidents(user), "Only responders and admins correct labels.")
    if label not in SentimentLabel.values:
        raise ValueError(f"label must be one of {', '.join(SentimentLabel.values)}")
    with transaction.atomic():
        mention = Mention.objects.select_for_update().get(pk=mention.pk)
        old = mention.sentiment_label
        if old == label:
            return None
        mention.sentiment_label = label
        mention.save(update_fields=["sentiment_label"])
        if mention.brand_id and mention.repost_of_id is None:
            rollups_move_label(
                brand_id=mention.brand_id,
                published_at=mention.published_at,
                platform=mention.platform,
                old=old,
                new=label,
            )
        return LabelCorrection.objects.create(
            mention=mention, user=user, old_label=old, new_label=label, at=timezone.now()
        )
