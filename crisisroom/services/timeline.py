"""The incident timeline and the incident event every live view shares."""

from __future__ import annotations

from crisisroom import events
from crisisroom.models import Incident, TimelineEvent, User


def timeline_add(
    *,
    incident: Incident,
    kind: str,
    message: str,
    actor: User | None = None,
    data: dict | None = None,
) -> TimelineEvent:
    event = TimelineEvent.objects.create(
        incident=incident, kind=kind, message=message, actor=actor, data=data or {}
    )
    payload: events.TimelineEventPayload = {
        "type": "timeline.new",
        "incident": incident.pk,
        "id": event.pk,
        "kind": kind,
        "message": message,
        "at": event.at.isoformat(),
    }
    if actor is not None:
        payload["actor"] = actor.get_username()
    events.broadcast_on_commit(incident.group_name, dict(payload))
    return event


def incident_event(incident: Incident, kind: str) -> dict:
    payload: events.IncidentEvent = {
        "type": kind,
        "incident": incident.pk,
        "brand": incident.brand.name,
        "title": incident.title,
        "status": incident.status,
        "severity": incident.severity,
        "is_drill": incident.is_drill,
    }
    return dict(payload)
