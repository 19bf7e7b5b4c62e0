"""Incident reads for pages, the API, consumers and emails."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Count, F, Q, QuerySet, Sum
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from crisisroom.charts import svg_sparkline
from crisisroom.choices import ACTIVE_STATUSES, TimelineKind
from crisisroom.models import (
    Drill,
    Incident,
    OnCallEntry,
    OnCallOverride,
    OnCallRotation,
    TimelineEvent,
    Webhook,
)
from crisisroom.services.signals import describe_signal
from foundation.permissions import PermissionDenied, can_view_incidents
from foundation.roles import OrgRole
from monitoring.choices import SignalKind
from monitoring.models import BUCKET_SECONDS, Mention, Rollup, Signal, bucket_start
from monitoring.selectors import brands_sparklines


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
    """The incident's most-reached original mentions, from an hour before it started (the
    build-up of a spike comes before the bucket that fired); reach includes reposts."""
    since, _until = incident_window(incident)
    return list(
        Mention.objects.filter(
            brand_id=incident.brand_id, published_at__gte=since, repost_of__isnull=True
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


def incident_platform_names(*, incident: Incident) -> list[str]:
    """The platforms seen around the incident, for the war room's filter."""
    return list(
        Rollup.objects.filter(
            brand_id=incident.brand_id, bucket__gte=incident.started_at - SERIES_BEFORE
        )
        .values_list("platform", flat=True)
        .distinct()
        .order_by("platform")
    )


SERIES_BEFORE = timedelta(hours=12)  # the platform filter's look-back
# The chart's ranges: "incident" (the default) runs from a few hours before the
# incident started to now; the others are the last hour, 6 hours, day and week.
SERIES_RANGES: dict[str, timedelta | None] = {
    "incident": None,
    "1h": timedelta(hours=1),
    "6h": timedelta(hours=6),
    "24h": timedelta(hours=24),
    "7d": timedelta(days=7),
}
SERIES_LEAD_IN = timedelta(hours=3)  # the incident window starts this long before it started
SERIES_MOST = timedelta(days=14)  # a long incident's window is its last 14 days (4,032 buckets)
# Signals whose baseline/threshold are mentions per bucket: the expected band.
BAND_KINDS = (SignalKind.VOLUME, SignalKind.VELOCITY)


class SeriesRangeError(ValueError):
    """A chart range the series does not know."""


def series_window(*, incident: Incident, span: str, now: datetime) -> tuple[datetime, datetime]:
    """[start, end] of the chart for one of SERIES_RANGES, in whole 5-minute buckets."""
    if span not in SERIES_RANGES:
        raise SeriesRangeError(span)
    length = SERIES_RANGES[span]
    if length is None:
        start = max(incident.started_at - SERIES_LEAD_IN, now - SERIES_MOST)
    else:
        start = now - length
    return bucket_start(start), bucket_start(now)


def incident_series(*, incident: Incident, span: str = "incident", now=None) -> dict:  # type: ignore[no-untyped-def]
    """The war-room chart: mentions per 5-minute bucket (all platforms, from rollups),
    the negative share, the detector's expected band and the alert and statement
    markers, over one of SERIES_RANGES. Four queries whatever the range.

    ``expected``/``upper`` are the baseline and alert threshold (mentions per bucket)
    the detector stored with its volume signals; null where it stored none (it keeps
    them only for buckets it found unusual)."""
    now = now or timezone.now()
    start, end = series_window(incident=incident, span=span, now=now)
    rows = (
        Rollup.objects.filter(brand_id=incident.brand_id, bucket__gte=start, bucket__lte=end)
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
    band: dict[datetime, tuple[float, float]] = {}
    for at, baseline, threshold in (
        Signal.objects.filter(
            brand_id=incident.brand_id, kind__in=BAND_KINDS, at__gte=start, at__lte=end
        )
        .order_by("at", "kind")
        .values_list("at", "baseline", "threshold")
    ):
        band.setdefault(bucket_start(at), (baseline, threshold))
    keys = ("count", "negative", "neutral", "positive")
    series: dict = {"t": [], **{k: [] for k in keys}, "negative_share": []}
    series.update(expected=[], upper=[])
    moment = start
    while moment <= end:
        row = by_bucket.get(moment)
        series["t"].append(int(moment.timestamp()))
        for key in keys:
            series[key].append(row[key] if row else 0)
        scored = (row["negative"] + row["neutral"] + row["positive"]) if row else 0
        series["negative_share"].append(round(row["negative"] / scored, 4) if scored else None)
        expected, upper = band.get(moment, (None, None))
        series["expected"].append(None if expected is None else round(expected, 2))
        series["upper"].append(None if upper is None else round(upper, 2))
        moment += timedelta(seconds=BUCKET_SECONDS)
    series.update(
        range=span,
        start=int(start.timestamp()),
        end=int(end.timestamp()),
        started_at=int(incident.started_at.timestamp()),
        markers=series_markers(incident=incident, start=start, end=end),
    )
    return series


def series_markers(*, incident: Incident, start: datetime, end: datetime) -> list[dict]:
    """The chart's markers in [start, end + a bucket): detector alerts (signals that
    fired for this incident) and statements published, oldest first."""
    until = end + timedelta(seconds=BUCKET_SECONDS)
    markers = [
        {
            "t": int(signal.at.timestamp()),
            "kind": "alert",
            "label": str(SignalKind(signal.kind).label),
            "detail": describe_signal(signal),
        }
        for signal in Signal.objects.filter(
            incident=incident, fires=True, at__gte=start, at__lt=until
        ).order_by("at")
    ]
    for event in TimelineEvent.objects.filter(
        incident=incident,
        kind=TimelineKind.STATEMENT,
        data__has_key="publications",
        at__gte=start,
        at__lt=until,
    ).order_by("at"):
        markers.append(
            {
                "t": int(event.at.timestamp()),
                "kind": "statement",
                "label": _("Statement #%(id)s published") % {"id": event.data.get("statement")},
                "detail": event.text,
            }
        )
    return sorted(markers, key=lambda m: m["t"])


def brands_with_sparklines(brands: list) -> list:  # type: ignore[type-arg]
    """The dashboard's brands, each with ``spark``: its last 24 hours per hour as SVG
    coordinates (crisisroom/charts.py), the peak hour and the last hour. One query."""
    lines = brands_sparklines(brand_ids=[b.pk for b in brands])
    for brand in brands:
        hours = lines[brand.pk]
        counts = [h["count"] for h in hours]
        peak = max(hours, key=lambda h: h["count"])
        brand.spark = {
            **svg_sparkline(counts, [h["negative"] for h in hours]),
            "peak": peak,
            "last": hours[-1],
            "total": sum(counts),
        }
    return brands


# --- On call and alerts ------------------------------------------------------------


def _can_be_paged() -> Q:
    # Only people who can acknowledge are paged: a viewer left on the list is skipped.
    return (
        Q(user__is_active=True)
        & (Q(user__is_superuser=True) | Q(user__org_role__in=[OrgRole.ADMIN, OrgRole.RESPONDER]))
        & ~Q(user__email="")
    )


def on_call_rotation() -> tuple[str, datetime]:
    """The rotation's mode ("ordered" or "weekly") and first handover (UTC): the row
    set in the app, else the environment's ON_CALL_ROTATION and ON_CALL_ROTATION_START."""
    row = OnCallRotation.objects.order_by("pk").first()
    if row is not None:
        return row.mode, row.starts_at
    start = datetime.fromisoformat(settings.ON_CALL_ROTATION_START)
    return settings.ON_CALL_ROTATION, start if start.tzinfo else start.replace(tzinfo=UTC)


def on_call_override_at(at: datetime) -> OnCallOverride | None:
    """The override in force at ``at`` whose person can be paged, if any."""
    return (
        OnCallOverride.objects.select_related("user")
        .filter(_can_be_paged(), starts_at__lte=at, ends_at__gt=at)
        .order_by("-starts_at", "-pk")
        .first()
    )


def on_call_order(*, at: datetime | None = None) -> list:
    """Who is paged, in order, at ``at`` (now by default): the one selector alert
    delivery, escalation, the pages and the preview read.

    The active on-call entries (people who can acknowledge, with an email) in list
    order; a "weekly" rotation turns the list by one place per week since its first
    handover; an override in force puts its person first. The rest of the list
    follows as the escalation order."""
    at = at or timezone.now()
    entries = (
        OnCallEntry.objects.select_related("user")
        .filter(_can_be_paged(), active=True)
        .order_by("position", "pk")
    )
    users = [entry.user for entry in entries]
    mode, start = on_call_rotation()
    if users and mode == OnCallRotation.Mode.WEEKLY:
        shift = ((at - start).days // 7) % len(users)
        users = users[shift:] + users[:shift]
    override = on_call_override_at(at)
    if override is not None:
        users = [override.user, *(u for u in users if u.pk != override.user_id)]
    return users


@dataclass(frozen=True)
class OnCallStretch:
    """One stretch of the preview: from ``starts_at`` to ``ends_at`` ``user`` is paged
    first (``override`` when an override puts them there)."""

    starts_at: datetime
    ends_at: datetime
    user: Any
    override: OnCallOverride | None


def on_call_preview(*, since: datetime | None = None, days: int = 14) -> list[OnCallStretch]:
    """Who is paged first from ``since`` for ``days`` days, as stretches that change at
    each weekly handover and each override's start and end (the same selector as the
    alerts, asked at every change)."""
    since = since or timezone.now()
    until = since + timedelta(days=days)
    changes = {since, until}
    mode, start = on_call_rotation()
    if mode == OnCallRotation.Mode.WEEKLY:
        handover = start + timedelta(weeks=(since - start).days // 7 + 1)
        while handover < until:
            changes.add(handover)
            handover += timedelta(weeks=1)
    for override in OnCallOverride.objects.filter(ends_at__gt=since, starts_at__lt=until):
        changes |= {t for t in (override.starts_at, override.ends_at) if since < t < until}
    moments = sorted(changes)
    stretches: list[OnCallStretch] = []
    for begin, end in itertools.pairwise(moments):
        order = on_call_order(at=begin)
        user = order[0] if order else None
        override = on_call_override_at(begin)
        if override is not None and override.user_id != getattr(user, "pk", None):
            override = None
        last = stretches[-1] if stretches else None
        if last and last.user == user and last.override == override:
            stretches[-1] = OnCallStretch(last.starts_at, end, user, override)
        else:
            stretches.append(OnCallStretch(begin, end, user, override))
    return stretches


def incident_window(incident: Incident) -> tuple[datetime, datetime]:
    """What an alert looks at: from an hour before the incident started to now."""
    return incident.started_at - timedelta(hours=1), timezone.now()


def incident_volume_series(*, incident: Incident, hours: int = 6) -> list[tuple[datetime, int]]:
    """Mentions per 15 minutes over the last ``hours`` up to now (from the rollups)."""

    step = timedelta(minutes=15)
    end = bucket_start(timezone.now())
    start = end - timedelta(hours=hours) + timedelta(minutes=5)
    counts: dict[datetime, int] = {}
    for row in (
        Rollup.objects.filter(brand_id=incident.brand_id, bucket__gte=start, bucket__lte=end)
        .values("bucket")
        .annotate(n=Sum("count"))
    ):
        offset = (row["bucket"] - start) // step
        counts[start + offset * step] = counts.get(start + offset * step, 0) + row["n"]
    slots = []
    moment = start
    while moment <= end:
        slots.append((moment, counts.get(moment, 0)))
        moment += step
    return slots


def incident_sentiment_split(*, incident: Incident) -> dict[str, int]:
    since, _until = incident_window(incident)
    totals = Rollup.objects.filter(brand_id=incident.brand_id, bucket__gte=since).aggregate(
        negative=Sum("negative"), neutral=Sum("neutral"), positive=Sum("positive")
    )
    split = {k: int(v or 0) for k, v in totals.items()}
    split["total"] = sum(split.values())
    for key in ("negative", "neutral", "positive"):
        split[f"{key}_percent"] = round(100 * split[key] / split["total"]) if split["total"] else 0
    return split


def incident_platforms(*, incident: Incident, limit: int = 5) -> list[dict]:
    since, _until = incident_window(incident)
    return list(
        Rollup.objects.filter(brand_id=incident.brand_id, bucket__gte=since)
        .values("platform")
        .annotate(count=Sum("count"), reach=Sum("reach"))
        .order_by("-count", "platform")[:limit]
    )


def incident_trigger_phrases(*, incident: Incident, limit: int = 10) -> list[str]:
    since, _until = incident_window(incident)
    found: dict[str, int] = {}
    for triggers in (
        Mention.objects.filter(brand_id=incident.brand_id, published_at__gte=since)
        .exclude(triggers="")
        .values_list("triggers", flat=True)[:500]
    ):
        for phrase in triggers.split(","):
            if phrase.strip():
                found[phrase.strip()] = found.get(phrase.strip(), 0) + 1
    return sorted(found, key=lambda p: (-found[p], p))[:limit]


def webhooks_active() -> list:
    return list(Webhook.objects.filter(active=True))


def incident_alerts(*, incident: Incident) -> QuerySet:
    return incident.alerts.select_related("recipient", "webhook").order_by("created_at", "pk")


def source_warnings_recent(*, limit: int = 20) -> QuerySet:
    """Source-health warnings (a failing source left a hole): shown, never an incident."""

    return Signal.objects.filter(kind=SignalKind.SOURCE_HEALTH).select_related("brand")[:limit]


def drill_running(brand_id: int) -> Drill | None:
    """The brand's running fire drill, if any: its signals open drill incidents."""
    return Drill.objects.filter(brand_id=brand_id, status=Drill.Status.RUNNING).first()
