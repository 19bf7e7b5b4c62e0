"""Retention of raw mentions: delete what is older than the configured age, in batches.

Rollups (the counts detection and the charts read), incidents and their timelines
are never touched here. The caller says which mentions to keep besides the young
ones: the time windows around incidents (crisisroom/retention.py passes them, since
monitoring does not know incidents). Mentions with label corrections are kept too:
they are the evaluation set ``evaluate_sentiment`` reads.

On PostgreSQL a whole month whose partition holds nothing to keep is dropped
instead (monitoring/partitions.py), keys and links seen to first; what is left
(months with kept rows, the default partition, SQLite) goes in batches.

Each batch is one short transaction: the oldest ``batch_size`` ids, then what
Django's ``on_delete`` would do to the rows that point at them (none of those links
is a database constraint: the table is partitioned on PostgreSQL, see
monitoring/partitions.py): reposts and comments that stay are detached
(``repost_of``/``reply_to`` set to null), the team's replies lose their mention
(SET_NULL), then one plain DELETE (its keys go with it, by trigger). A run stops after ``max_batches`` so a first run on
a large table does not hold a worker for an hour; the next run goes on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db import connection, models, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet

from monitoring.models import LabelCorrection, Mention
from monitoring.partitions import is_partitioned, monthly_partitions, partition_drop


@dataclass(frozen=True)
class KeepWindow:
    """Mentions of ``brand_id`` published in [start, end] stay, whatever their age."""

    brand_id: int
    start: datetime
    end: datetime


def _links_release(ids: list[int] | QuerySet, staying: Q) -> None:
    """Apply every link's ``on_delete`` to the rows pointing at the mentions ``ids``
    that are about to be deleted in SQL (``staying``: the mentions that are not):
    found through the model's relations, so a link added by a higher app (playbook's
    replies) is covered without importing it."""
    for relation in Mention._meta.related_objects:
        if not (relation.one_to_many or relation.one_to_one):
            continue
        pointing = relation.related_model._base_manager.filter(
            **{f"{relation.field.attname}__in": ids}
        )
        if relation.related_model is Mention:
            pointing = pointing.filter(staying)
        if relation.on_delete is models.SET_NULL:
            pointing.update(**{relation.field.attname: None})
        elif relation.on_delete is models.CASCADE:
            pointing.delete()
        elif relation.on_delete is not models.DO_NOTHING:
            raise NotImplementedError(f"retention cannot apply {relation.on_delete.__name__}")


def _kept(keep: Sequence[KeepWindow]) -> Q:
    """The mentions retention keeps: those with label corrections and those of a
    brand inside one of its ``keep`` windows."""
    kept = Q(Exists(LabelCorrection.objects.filter(mention=OuterRef("pk"))))
    for window in keep:
        kept |= Q(
            brand_id=window.brand_id,
            published_at__gte=window.start,
            published_at__lte=window.end,
        )
    return kept


def mentions_prune(
    *,
    before: datetime,
    keep: Sequence[KeepWindow] = (),
    batch_size: int = 5000,
    max_batches: int = 200,
) -> int:
    """Delete mentions published before ``before`` except those in ``keep`` windows or
    with label corrections. Returns how many were deleted."""
    candidates = Mention.objects.filter(published_at__lt=before).exclude(_kept(keep))
    deleted = _partitions_drop(before=before, keep=keep) if is_partitioned() else 0
    for _ in range(max_batches):
        with transaction.atomic():
            # Oldest first: the (published_at, id) index read from its far end.
            ids = list(
                candidates.order_by("published_at", "pk").values_list("pk", flat=True)[:batch_size]
            )
            if not ids:
                break
            _links_release(ids, ~Q(pk__in=ids))
            doomed = Mention.objects.filter(pk__in=ids)
            # A plain DELETE: the ORM's collector would load every row (and find nothing
            # to cascade: corrections are excluded above).
            deleted += doomed._raw_delete(doomed.db)
        if len(ids) < batch_size:
            break
    return deleted


def _partitions_drop(*, before: datetime, keep: Sequence[KeepWindow]) -> int:
    """PostgreSQL: drop each monthly partition that ends before ``before`` and holds
    nothing to keep (no label correction, no incident's window): one DROP instead of
    a million-row DELETE and its index clean-up. A month with something to keep is
    left to the batched deletes."""
    dropped = 0
    for name, start, end in monthly_partitions():
        if end > before:
            break
        rows = Mention.objects.filter(published_at__gte=start, published_at__lt=end)
        overlapping = [w for w in keep if w.start < end and w.end >= start]
        if rows.filter(_kept(overlapping)).exists():
            continue
        with transaction.atomic():
            staying = Q(published_at__lt=start) | Q(published_at__gte=end)
            _links_release(rows.values("pk"), staying)
            with connection.cursor() as cursor:
                dropped += partition_drop(cursor, name, start, end)
    return dropped
