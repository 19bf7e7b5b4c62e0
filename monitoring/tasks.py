from __future__ import annotations

import logging

from celery import shared_task

from monitoring.models import Brand
from monitoring.services import brand_detect

logger = logging.getLogger(__name__)


@shared_task(acks_late=True)
def brand_detect_task(brand_id: int) -> int:
    """Idempotent: detection reads rollups up to now and remembers what it consumed."""
    return len(brand_detect(brand_id=brand_id))


@shared_task
def brands_detect_task() -> int:
    """Periodic: detection for every active brand, so quiet periods are seen too."""
    ids = list(Brand.objects.filter(active=True).values_list("pk", flat=True))
    for brand_id in ids:
        brand_detect_task.delay(brand_id)
    return len(ids)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def source_poll_task(source_id: int) -> str:
    """Idempotent: the poll skips a source that is locked by another poll or not due,
    and the cursor only moves in the transaction that stored the items."""
    from monitoring.polling import source_poll

    return source_poll(source_id=source_id).status


@shared_task
def sources_poll_due_task() -> int:
    """Periodic (beat): queue one poll per due, unpaused source."""
    from monitoring.polling import sources_due

    ids = sources_due()
    for source_id in ids:
        source_poll_task.delay(source_id)
    return len(ids)
