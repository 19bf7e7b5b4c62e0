"""Monitoring writes other than ingest (see monitoring/ingest.py): brands and label
corrections. Detection lives in monitoring/detection_service.py (``brand_detect`` is
re-exported here)."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from foundation.permissions import can_work_incidents, is_org_admin, require
from monitoring.choices import SentimentLabel, TermKind
from monitoring.detection_service import brand_detect
from monitoring.ingest import rollups_move_label
from monitoring.models import (
    Brand,
    LabelCorrection,
    Mention,
    WatchTerm,
)

logger = logging.getLogger(__name__)


def brand_get_or_create(*, slug: str, name: str = "") -> Brand:
    slug = slugify(slug)[:60]
    if not slug:
        raise ValueError("a brand needs a slug of letters, digits or hyphens")
    brand, _ = Brand.objects.get_or_create(
        slug=slug, defaults={"name": name or slug.replace("-", " ").title()}
    )
    return brand


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
    allowed = [v for v in SentimentLabel.values if v != SentimentLabel.UNSCORED]
    if label not in allowed:
        raise ValueError(f"label must be one of {', '.join(allowed)}")
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


__all__ = ["brand_detect", "brand_get_or_create", "brand_save", "mention_label_correct"]
