"""Mention retention with incidents in mind: what monitoring/retention.py must keep.

An incident's mentions are those of its brand from a day before it started to a day
after it was resolved or dismissed (or now, while it is open): the war room, the
review and the exports read them, so they outlive the retention age.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db.models.functions import Coalesce
from django.utils import timezone

from crisisroom.models import Incident
from monitoring.retention import KeepWindow, mentions_prune

INCIDENT_CONTEXT = timedelta(days=1)


def mentions_retention_apply() -> int:
    """Delete raw mentions older than MENTION_RETENTION_DAYS (0: keep forever), keeping
    every incident's mentions. Returns how many were deleted."""
    days = settings.MENTION_RETENTION_DAYS
    if days <= 0:
        return 0
    now = timezone.now()
    before = now - timedelta(days=days)
    keep = [
        KeepWindow(
            brand_id=brand_id,
            start=started - INCIDENT_CONTEXT,
            end=(ended or now) + INCIDENT_CONTEXT,
        )
        for brand_id, started, ended in Incident.objects.filter(
            started_at__lt=before + INCIDENT_CONTEXT
        )
        .annotate(ended=Coalesce("resolved_at", "dismissed_at"))
        .values_list("brand_id", "started_at", "ended")
    ]
    return mentions_prune(
        before=before,
        keep=keep,
        batch_size=settings.MENTION_RETENTION_BATCH,
        max_batches=settings.MENTION_RETENTION_MAX_BATCHES,
    )
