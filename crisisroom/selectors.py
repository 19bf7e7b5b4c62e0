"""Incident reads for pages, the API, consumers and emails."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Count, F, QuerySet, Sum
from django.http import Http404
from django.utils import timezone

from crisisroom.choices import ACTIVE_STATUSES
from crisisroom.models import Incident, TimelineEvent
from crisisroom.permissions import PermissionDenied, can_view_incidents
from monitoring.models import BUCKET_SECONDS, Mention, Rollup, bucket_start


def incident_get_for_user(*, user, pk: int) -> Incident:
    if not can_view_incidents(user):
        raise PermissionDenied("You are not allowed to see incidents.")
    incident = Incident.objects.select_related("brand").filter(pk=pk).first()
    if incident is None:
        raise Http404("No such incident.")
    return incident


def incidents_active() -> QuerySet[Incident]:
    return (
        Incident.objects.filter(status__in=ACTIVE_STATUSES)
        .select_related("brand")
        .annotate(signal_count=Count("signals"))
        .order_by("-opened_at")
    )


def incidents_recent(limit: int = 20) -> QuerySet[Incident]:
    return Incident.objects.select_related("brand").order_by("-opened_at")[:limit]


def incident_feed(*, incident: Incident, limit: int = 50) -> list[Mention]:
    """The newest mentions of the incident's brand, newest first (reposts add reach, not voices)."""
    return list(
        Mention.objects.filter(brand_id=incident.brand_id, repost_of__isnull=True).order_by(
            "-published_at", "-pk"
        )[:limit]
    )


def incident_timeline(*, incident: Incident) -> QuerySet[TimelineEvent]:
    return incident.timeline.select_related("actor").order_by("at", "pk")


def incident_top_mentions(*, incident: Incident, limit: int = 5) -> list[Mention]:
    """The incident's most-reached original mentions since it started (reach includes reposts)."""
    return list(
        Mention.objects.filter(
            brand_id=incident.brand_id,
            published_at__gte=incident.started_at,
            repost_of__isnull=True,
        )
        .annotate(total_reach=F("author_followers") + F("amplified_reach"))
        .order_by("-total_reach", "-published_at")[:limit]
    )


def incident_chat(*, incident: Incident, user, limit: int = 100) -> list[dict]:
    """The latest team chat messages, oldest first, marked where they mention ``user``."""
    messages = list(
        incident.chat_messages.select_related("author")
        .prefetch_related("mentioned")
        .order_by("-created_at", "-pk")[:limit]
    )
    return [
        {
            "id": m.pk,
            "author": m.author.get_username(),
            "body": m.body,
            "created_at": m.created_at,
            "for_me": any(u.pk == user.pk for u in m.mentioned.all()),
        }
        for m in reversed(messages)
    ]


def incident_platforms(*, incident: Incident) -> list[str]:
    return list(
        Rollup.objects.filter(
            brand_id=incident.brand_id, bucket__gte=incident.started_at - SERIES_BEFORE
        )
        .values_list("platform", flat=True)
        .distinct()
        .order_by("platform")
    )


SERIES_BEFORE = timedelta(hours=12)
SERIES_MOST = timedelta(days=3)


def incident_series(*, incident: Incident, now=None) -> dict:  # type: ignore[no-untyped-def]
    """Mentions per 5-minute bucket (all platforms) around the incident, from rollups."""
    now = now or timezone.now()
    start = max(incident.started_at - SERIES_BEFORE, now - SERIES_MOST)
    rows = (
        Rollup.objects.filter(brand_id=incident.brand_id, bucket__gte=start, bucket__lte=now)
        .values("bucket")
        .annotate(
            count=Sum("count"),
            negative=Sum("negative"),
            neutral=Sum("neutral"),
            positive=Sum("positive"),
        )
        .order_by("bucket")
    )
    by_bucket = {row["bucket"]: row for row in rows}
    series: dict[str, list] = {"t": [], "count": [], "negative": [], "neutral": [], "positive": []}
    moment = bucket_start(start)
    while moment <= now:
        row = by_bucket.get(moment)
        series["t"].append(int(moment.timestamp()))
        for key in ("count", "negative", "neutral", "positive"):
            series[key].append(row[key] if row else 0)
        moment += timedelta(seconds=BUCKET_SECONDS)
    return series
