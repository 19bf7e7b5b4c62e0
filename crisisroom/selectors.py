"""Incident reads for pages, the API, consumers and emails."""

from __future__ import annotations

from django.db.models import Count, QuerySet
from django.http import Http404

from crisisroom.choices import ACTIVE_STATUSES
from crisisroom.models import Incident, TimelineEvent
from crisisroom.permissions import PermissionDenied, can_view_incidents
from monitoring.models import Mention


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
    """The newest mentions of the incident's brand, newest first."""
    return list(
        Mention.objects.filter(brand_id=incident.brand_id).order_by("-published_at", "-pk")[:limit]
    )


def incident_timeline(*, incident: Incident) -> QuerySet[TimelineEvent]:
    return incident.timeline.select_related("actor").order_by("at", "pk")


def incident_top_mentions(*, incident: Incident, limit: int = 5) -> list[Mention]:
    """The incident's most-reached mentions since it started."""
    return list(
        Mention.objects.filter(
            brand_id=incident.brand_id, published_at__gte=incident.started_at
        ).order_by("-author_followers", "-published_at")[:limit]
    )
