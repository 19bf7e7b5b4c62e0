"""Monitoring reads: brand overviews for the dashboard."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Q, Sum
from django.utils import timezone

from monitoring.models import Brand, Source


def brands_overview(*, hours: int = 24) -> list[Brand]:
    """Active brands with their mention totals over the last ``hours`` (from rollups)."""
    since = timezone.now() - timedelta(hours=hours)
    window = Q(rollups__bucket__gte=since)
    return list(
        Brand.objects.filter(active=True).annotate(
            volume=Sum("rollups__count", filter=window, default=0),
            negative=Sum("rollups__negative", filter=window, default=0),
            positive=Sum("rollups__positive", filter=window, default=0),
        )
    )


def sources_health() -> list[Source]:
    """Every source with its health, failing ones first."""
    return list(Source.objects.order_by("-consecutive_failures", "kind", "key"))
