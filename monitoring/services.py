"""Monitoring writes other than ingest (see monitoring/ingest.py): brands.

Detection lives in monitoring/detection_service.py (``brand_detect`` is re-exported here).
"""

from __future__ import annotations

import logging

from django.utils.text import slugify

from monitoring.detection_service import brand_detect
from monitoring.models import Brand

__all__ = ["brand_detect", "brand_get_or_create"]

logger = logging.getLogger(__name__)


def brand_get_or_create(*, slug: str, name: str = "") -> Brand:
    slug = slugify(slug)[:60]
    if not slug:
        raise ValueError("a brand needs a slug of letters, digits or hyphens")
    brand, _ = Brand.objects.get_or_create(
        slug=slug, defaults={"name": name or slug.replace("-", " ").title()}
    )
    return brand
