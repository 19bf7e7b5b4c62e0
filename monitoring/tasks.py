from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from celery import shared_task

from monitoring.detection_service import brand_detect
from monitoring.export_jobs import mention_export_run, mention_exports_sweep
from monitoring.models import Brand
from monitoring.partitions import mention_partitions_ensure
from monitoring.polling import source_poll, sources_due

logger = logging.getLogger(__name__)


# How long "detection for this brand is queued" holds off queueing it again; if that
# message is lost, the marker expires and the next batch (or the periodic run) queues it.
DETECT_QUEUED_SECONDS = 120


def _detect_queued_key(brand_id: int) -> str:
    return f"brands:detect-queued:{brand_id}"


@shared_task(acks_late=True)
def brand_detect_task(brand_id: int) -> int:
    """Idempotent: detection reads rollups up to now and remembers what it consumed."""
    from django.core.cache import cache

    # Cleared before detection reads anything: a batch committed from here on queues
    # a new run, so the last batch of an import is always detected.
    cache.delete(_detect_queued_key(brand_id))
    return len(brand_detect(brand_id=brand_id))


def brands_detect_queue(brand_ids: Iterable[int]) -> int:
    """Queue detection for these brands, except those already queued and not started:
    a large import (many batches) queues one run per brand at a time, not one per batch."""
    from django.core.cache import cache

    queued = 0
    for brand_id in sorted(set(brand_ids)):
        if cache.add(_detect_queued_key(brand_id), 1, timeout=DETECT_QUEUED_SECONDS):
            try:
                brand_detect_task.delay(brand_id)
            except Exception:
                # Not queued: drop the marker so the next batch or round queues it.
                cache.delete(_detect_queued_key(brand_id))
                raise
            queued += 1
    return queued


def on_mentions_stored(sender: Any, *, brand_ids: Iterable[int], **kwargs: Any) -> None:
    """Receiver of ``monitoring.events.mentions_stored``."""
    brands_detect_queue(brand_ids)


@shared_task
def brands_detect_task() -> int:
    """Periodic: detection for every active brand, so quiet periods are seen too."""
    return brands_detect_queue(Brand.objects.filter(active=True).values_list("pk", flat=True))


def _queued_key(source_id: int) -> str:
    return f"sources:poll-queued:{source_id}"


@shared_task(acks_late=True, reject_on_worker_lost=True)
def source_poll_task(source_id: int) -> str:
    """Idempotent: the poll skips a source that is locked by another poll or not due,
    and the cursor only moves in the transaction that stored the items."""
    from django.core.cache import cache

    cache.delete(_queued_key(source_id))
    return source_poll(source_id=source_id).status


@shared_task
def sources_poll_due_task() -> int:
    """Periodic (beat): queue one poll per due, unpaused source.

    A source already queued and not yet started is not queued again (a short-lived
    cache marker), so a busy worker does not find a backlog of repeats; if that
    message is lost the marker expires and the next round queues it again.
    """
    from django.conf import settings
    from django.core.cache import cache

    ttl = max(60, 4 * int(settings.CELERY_BEAT_SCHEDULE["poll-due-sources"]["schedule"]))
    queued = 0
    for source_id in sources_due():
        if cache.add(_queued_key(source_id), 1, timeout=ttl):
            source_poll_task.delay(source_id)
            queued += 1
    return queued


@shared_task(acks_late=True)
def mention_export_run_task(export_id: int) -> int:
    """Idempotent: an export resumes after its last written part, and a second worker
    leaves an export whose heartbeat is fresh alone."""
    export = mention_export_run(export_id=export_id)
    return export.rows_written if export else 0


def on_export_requested(sender: Any, *, export_id: int, **kwargs: Any) -> None:
    """Receiver of ``monitoring.events.export_requested``."""
    mention_export_run_task.delay(export_id)


@shared_task
def mention_exports_sweep_task() -> int:
    return mention_exports_sweep()


@shared_task
def mention_partitions_ensure_task() -> int:
    """This month's and the coming months' partitions of the mentions table
    (PostgreSQL; nothing on SQLite). Idempotent: an existing partition is left alone."""
    from django.conf import settings

    return len(mention_partitions_ensure(months_ahead=settings.MENTION_PARTITION_MONTHS_AHEAD))
