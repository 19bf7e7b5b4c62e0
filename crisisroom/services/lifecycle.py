"""An incident's lifecycle after acknowledgement: monitoring, resolved (with a one-line
summary), reopened. Acknowledge and dismiss live in ``incidents.py``.

open -> acknowledged -> monitoring -> resolved; dismissed from any active status;
resolved or dismissed -> reopened (back to acknowledged, or open if nobody had
acknowledged it). Resolving and reopening are the incident lead's call (the lead on
that incident) or an admin's; moving to monitoring is any responder's.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from crisisroom import events
from crisisroom.choices import (
    ACTIVE_STATUSES,
    CLOSED_STATUSES,
    CrisisRoleSlug,
    IncidentStatus,
    TimelineKind,
)
from crisisroom.models import Incident, IncidentMember, User
from crisisroom.services.incidents import IncidentStateError
from crisisroom.services.timeline import incident_event, timeline_add
from foundation.permissions import can_work_incidents, is_org_admin, require

SUMMARY_MAX = 300


class LifecycleInputError(IncidentStateError):
    """The summary or reason is missing or too long (the API answers 400)."""


def can_close_incident(user: Any, incident: Incident) -> bool:
    """The incident lead on this incident, or an admin."""
    if not can_work_incidents(user):
        return False
    if is_org_admin(user):
        return True
    return IncidentMember.objects.filter(
        incident=incident, user=user, crisis_role__slug=CrisisRoleSlug.INCIDENT_LEAD
    ).exists()


def _locked(incident: Incident) -> Incident:
    return Incident.objects.select_for_update().select_related("brand").get(pk=incident.pk)


def _announce(incident: Incident) -> None:
    events.broadcast_on_commit(incident.group_name, incident_event(incident, "incident.updated"))
    events.broadcast_on_commit(events.DASHBOARD_GROUP, incident_event(incident, "incident.updated"))


def _one_line(text: str, what: str) -> str:
    line = " ".join((text or "").split())
    if not line:
        raise LifecycleInputError(what)
    return line


@transaction.atomic
def incident_monitor(*, incident: Incident, user: User) -> Incident:
    """The response is out; the team watches the aftermath (status monitoring)."""
    require(can_work_incidents(user), "Only responders and admins change an incident's status.")
    incident = _locked(incident)
    if incident.status == IncidentStatus.MONITORING:
        return incident
    if incident.status not in ACTIVE_STATUSES:
        raise IncidentStateError(
            _("Only an active incident can move to monitoring; this one is %(status)s.")
            % {"status": incident.get_status_display()}
        )
    now = timezone.now()
    incident.status = IncidentStatus.MONITORING
    incident.monitoring_at = now
    fields = ["status", "monitoring_at"]
    if incident.acknowledged_at is None:  # moving on is acknowledging it
        incident.acknowledged_at = now
        fields.append("acknowledged_at")
    incident.save(update_fields=fields)
    timeline_add(
        incident=incident,
        kind=TimelineKind.STATUS,
        key=gettext_noop("Monitoring the aftermath (set by %(user)s)"),
        params={"user": user.get_username()},
        actor=user,
    )
    _announce(incident)
    return incident


@transaction.atomic
def incident_resolve(*, incident: Incident, user: User, summary: str) -> Incident:
    """Resolve with a one-line summary, which lands on the timeline."""
    require(
        can_close_incident(user, incident),
        "Only the incident lead on this incident, or an admin, resolves it.",
    )
    line = _one_line(summary, _("Give a one-line summary of how it was resolved."))
    if len(line) > SUMMARY_MAX:
        raise LifecycleInputError(
            _("Keep the summary to one line (at most %(n)s characters).") % {"n": SUMMARY_MAX}
        )
    incident = _locked(incident)
    if incident.status not in ACTIVE_STATUSES:
        raise IncidentStateError(
            _("Only an active incident can be resolved; this one is %(status)s.")
            % {"status": incident.get_status_display()}
        )
    incident.status = IncidentStatus.RESOLVED
    incident.resolved_at = timezone.now()
    incident.resolved_by = user
    incident.resolution_summary = line
    incident.save(update_fields=["status", "resolved_at", "resolved_by", "resolution_summary"])
    timeline_add(
        incident=incident,
        kind=TimelineKind.STATUS,
        key=gettext_noop("Resolved by %(user)s: %(summary)s"),
        params={"user": user.get_username(), "summary": line},
        actor=user,
        data={"status": IncidentStatus.RESOLVED},
    )
    _announce(incident)
    return incident


@transaction.atomic
def incident_reopen(*, incident: Incident, user: User, reason: str) -> Incident:
    """Reopen a resolved or dismissed incident; the earlier resolution stays on the timeline."""
    require(
        can_close_incident(user, incident),
        "Only the incident lead on this incident, or an admin, reopens it.",
    )
    line = _one_line(reason, _("Say why the incident is reopened."))
    incident = _locked(incident)
    if incident.status not in CLOSED_STATUSES:
        raise IncidentStateError(
            _("Only a resolved or dismissed incident can be reopened; this one is %(status)s.")
            % {"status": incident.get_status_display()}
        )
    incident.status = (
        IncidentStatus.ACKNOWLEDGED if incident.acknowledged_at else IncidentStatus.OPEN
    )
    # The milestones describe the incident as it stands: it is not resolved any more.
    incident.resolved_at = None
    incident.resolved_by = None
    incident.resolution_summary = ""
    incident.dismissed_at = None
    incident.dismissed_by = None
    incident.save(
        update_fields=[
            "status",
            "resolved_at",
            "resolved_by",
            "resolution_summary",
            "dismissed_at",
            "dismissed_by",
        ]
    )
    timeline_add(
        incident=incident,
        kind=TimelineKind.STATUS,
        key=gettext_noop("Reopened by %(user)s: %(reason)s"),
        params={"user": user.get_username(), "reason": line[:SUMMARY_MAX]},
        actor=user,
        data={"status": incident.status},
    )
    _announce(incident)
    return incident
