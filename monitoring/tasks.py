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
