"""Incident reads for pages, the API, consumers and emails."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db.models import Count, F, Q, QuerySet, Sum
from django.http import Http404
from django.utils import timezone

from crisisroom.choices import ACTIVE_STATUSES
from crisisroom.models import Drill, Incident, OnCallEntry, TimelineEvent, Webhook
from crisisroom.platform.permissions import PermissionDenied, can_view_incidents
from crisisroom.platform.roles import OrgRole
from monitoring.choices import SignalKind
from monitoring.models import BUCKET_SECONDS, Mention, Rollup, Signal, bucket_start


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


# --- On call and alerts ------------------------------------------------------------


def on_call_order(*, at: datetime | None = None) -> list:
    """Who is paged, in order: the active on-call entries (people with an email).

    ON_CALL_ROTATION "weekly" rotates the list by one place per week since
    ON_CALL_ROTATION_START; "ordered" keeps it as it is. Either way the rest of the
    list follows as the escalation order."""

    # Only people who can acknowledge are paged: a viewer left on the list is skipped.
    users = [
        entry.user
        for entry in OnCallEntry.objects.select_related("user")
        .filter(active=True, user__is_active=True)
        .filter(
            Q(user__is_superuser=True) | Q(user__org_role__in=[OrgRole.ADMIN, OrgRole.RESPONDER])
        )
        .exclude(user__email="")
        .order_by("position", "pk")
    ]
    seen: set[int] = set()
    users = [u for u in users if not (u.pk in seen or seen.add(u.pk))]
    if users and settings.ON_CALL_ROTATION == "weekly":
        at = at or timezone.now()
        start = datetime.fromisoformat(settings.ON_CALL_ROTATION_START).replace(tzinfo=UTC)
        shift = ((at - start).days // 7) % len(users)
        users = users[shift:] + users[:shift]
    return users


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
