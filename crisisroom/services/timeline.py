"""The incident timeline and the incident event every live view shares."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from crisisroom import events, timeline_text
from crisisroom.choices import TimelineKind
from crisisroom.models import Incident, IncidentMember, TimelineEvent, User
from foundation.permissions import can_work_incidents, require

NOTE_MAX = 2000


class NoteError(ValueError):
    """A note or pin the timeline refuses (empty, too long, another incident's entry)."""


def timeline_add(
    *,
    incident: Incident,
    kind: str,
    key: str = "",
    params: Mapping[str, Any] | None = None,
    message: str = "",
    actor: User | None = None,
    data: dict | None = None,
) -> TimelineEvent:
    """One line on the timeline. A system-written line gives ``key``, its English text
    marked with ``gettext_noop`` (``%(name)s`` placeholders), and ``params``: every
    reader sees it in their own language (crisisroom/timeline_text.py). User text goes
    in ``params`` as written; a translatable parameter (a choice label, a nested line)
    is ``timeline_text.message(msgid, params)``. ``message`` alone is a line stored and
    shown verbatim: what a person wrote (a note)."""
    if bool(key) == bool(message):
        raise ValueError("timeline_add takes key (+ params) or message, not both")
    params = timeline_text.params_stored(params)
    if key:
        message = timeline_text.english(key, params)
    event = TimelineEvent.objects.create(
        incident=incident,
        kind=kind,
        message=message,
        message_key=key,
        message_params=params,
        actor=actor,
        data=data or {},
    )
    payload: events.TimelineEventPayload = {
        "type": "timeline.new",
        "incident": incident.pk,
        "id": event.pk,
        "kind": kind,
        "message": message,
        "message_key": key,
        "message_params": params,
        "at": event.at.isoformat(),
    }
    if actor is not None:
        payload["actor"] = actor.get_username()
    if data and data.get("note"):
        payload["note"] = True
    events.broadcast_on_commit(incident.group_name, dict(payload))
    return event


def timeline_entry(event: TimelineEvent) -> dict[str, Any] | str:
    """An entry as a parameter of another line (a pin): translated when it has a key,
    its text as written (cut to 80 characters) when it has none."""
    if event.message_key:
        return timeline_text.message(event.message_key, event.message_params)
    return event.message[:80]


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
                "message_key": e.message_key,
                "message_params": e.message_params,
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
        key=(
            gettext_noop("Pinned by %(user)s: %(entry)s")
            if pinned
            else gettext_noop("Unpinned by %(user)s: %(entry)s")
        ),
        params={"user": by.get_username(), "entry": timeline_entry(event)},
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
