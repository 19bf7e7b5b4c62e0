"""Retention of raw mentions: delete what is older than the configured age, in batches.

Rollups (the counts detection and the charts read), incidents and their timelines
are never touched here. The caller says which mentions to keep besides the young
ones: the time windows around incidents (crisisroom/retention.py passes them, since
monitoring does not know incidents). Mentions with label corrections are kept too:
they are the evaluation set ``evaluate_sentiment`` reads.

Each batch is one short transaction: the oldest ``batch_size`` ids, reposts of them
that stay are detached (their ``repost_of`` set to null, as the model's SET_NULL
would), then one plain DELETE. A run stops after ``max_batches`` so a first run on
a large table does not hold a worker for an hour; the next run goes on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import Exists, OuterRef, Q

from monitoring.models import LabelCorrection, Mention


@dataclass(frozen=True)
class KeepWindow:
    """Mentions of ``brand_id`` published in [start, end] stay, whatever their age."""

    brand_id: int
    start: datetime
    end: datetime


def mentions_prune(
    *,
    before: datetime,
    keep: Sequence[KeepWindow] = (),
    batch_size: int = 5000,
    max_batches: int = 200,
) -> int:
    """Delete mentions published before ``before`` except those in ``keep`` windows or
    with label corrections. Returns how many were deleted."""
    candidates = Mention.objects.filter(published_at__lt=before).exclude(
        Exists(LabelCorrection.objects.filter(mention=OuterRef("pk")))
    )
    for window in keep:
        candidates = candidates.exclude(
            Q(brand_id=window.brand_id)
            & Q(published_at__gte=window.start)
            & Q(published_at__lte=window.end)
        )
    deleted = 0
    for _ in range(max_batches):
        with transaction.atomic():
            # Oldest first: the (published_at, id) index read from its far end.
            ids = list(
                candidates.order_by("published_at", "pk").values_list("pk", flat=True)[:batch_size]
            )
            if not ids:
                break
            Mention.objects.filter(repost_of_id__in=ids).exclude(pk__in=ids).update(repost_of=None)
            doomed = Mention.objects.filter(pk__in=ids)
            # A plain DELETE: the ORM's collector would load every row (and find nothing
            # to cascade: corrections are excluded above).
            deleted += doomed._raw_delete(doomed.db)
        if len(ids) < batch_size:
            break
    return deleted
