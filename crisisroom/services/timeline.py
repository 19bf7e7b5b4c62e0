"""The incident timeline and the incident event every live view shares."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crisisroom import events
from crisisroom.choices import TimelineKind
from crisisroom.models import Incident, IncidentMember, TimelineEvent, User
from crisisroom.platform.permissions import can_work_incidents, require

NOTE_MAX = 2000


class NoteError(ValueError):
    """A note or pin the timeline refuses (empty, too long, another incident's entry)."""


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
    if data and data.get("note"):
        payload["note"] = True
    events.broadcast_on_commit(incident.group_name, dict(payload))
    return event


def can_write_notes(user: User | None, incident: Incident) -> bool:
    """Any member of the incident's team (a responder on it) or an admin."""
    if not can_work_incidents(user):
        return False
    return user.is_org_admin or IncidentMember.objects.filter(incident=incident, user=user).exists()


@transaction.atomic
def timeline_note_add(*, incident: Incident, by: User, text: str) -> TimelineEvent:
    """A hand-written line on the timeline, by any member of the team."""
    require(can_write_notes(by, incident), "Only the incident's team (or an admin) writes notes.")
    text = (text or "").strip()
    if not text:
        raise NoteError(_("Write the note."))
    if len(text) > NOTE_MAX:
        raise NoteError(_("A note is at most %(n)s characters.") % {"n": NOTE_MAX})
    return timeline_add(
        incident=incident, kind=TimelineKind.NOTE, message=text, actor=by, data={"note": True}
    )


def timeline_pinned(*, incident: Incident) -> list[TimelineEvent]:
    return list(
        incident.timeline.filter(pinned_at__isnull=False)
        .select_related("actor")
        .order_by("-pinned_at", "-pk")
    )


def pinned_payload(incident: Incident) -> dict:
    """What every open war room needs to redraw the pinned entries at the top."""
    payload: events.TimelinePinsEvent = {
        "type": "timeline.pins",
        "incident": incident.pk,
        "pinned": [
            {
                "id": e.pk,
                "kind": e.kind,
                "message": e.message,
                "at": e.at.isoformat(),
                "actor": e.actor.get_username() if e.actor else "",
            }
            for e in timeline_pinned(incident=incident)
        ],
    }
    return dict(payload)


@transaction.atomic
def timeline_pin(
    *, incident: Incident, event_id: int, by: User, pinned: bool = True
) -> TimelineEvent:
    """Pin (or unpin) an entry of this incident's timeline; the change is on the
    timeline too, so the record says who put what at the top."""
    require(can_write_notes(by, incident), "Only the incident's team (or an admin) pins entries.")
    event = TimelineEvent.objects.select_for_update().filter(pk=event_id, incident=incident).first()
    if event is None:
        raise NoteError(_("No such entry on this incident's timeline."))
    if pinned == (event.pinned_at is not None):
        return event  # already so: nothing to record
    event.pinned_at = timezone.now() if pinned else None
    event.pinned_by = by if pinned else None
    event.save(update_fields=["pinned_at", "pinned_by"])
    timeline_add(
        incident=incident,
        kind=TimelineKind.NOTE,
        message=(
            _("Pinned by %(user)s: %(entry)s") if pinned else _("Unpinned by %(user)s: %(entry)s")
        )
        % {"user": by.get_username(), "entry": event.message[:80]},
        actor=by,
        data={"pin": event.pk, "pinned": pinned},
    )
    events.broadcast_on_commit(incident.group_name, pinned_payload(incident))
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
