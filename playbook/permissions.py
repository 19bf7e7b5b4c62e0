"""Who may act on an incident's playbook.

Reading follows the organisation role (every member reads). Acting needs a
working organisation role (Responder or Admin) AND a place on the incident's
team (an IncidentMember row), except for Admins, who may step in anywhere.
Approving needs the required crisis role held ON THAT INCIDENT; an Admin gets no
shortcut there, so four eyes stay four eyes.
"""

from __future__ import annotations

from typing import Any

from crisisroom.choices import CrisisRoleSlug
from crisisroom.models import Incident, IncidentMember
from foundation.permissions import can_view_incidents, can_work_incidents, require


def incident_roles(user: Any, incident: Incident) -> set[str]:
    """The crisis role slugs ``user`` holds on ``incident``."""
    if user is None or not getattr(user, "is_authenticated", False):
        return set()
    return set(
        IncidentMember.objects.filter(incident=incident, user=user).values_list(
            "crisis_role__slug", flat=True
        )
    )


def can_view_playbook(user: Any, incident: Incident) -> bool:
    return can_view_incidents(user)


def can_act_on_playbook(user: Any, incident: Incident) -> bool:
    if not can_work_incidents(user):
        return False
    return bool(user.is_org_admin or incident_roles(user, incident))


def can_assemble_team(user: Any, incident: Incident) -> bool:
    """Admins, members of the team, or, while the team is still empty, a responder on
    the roster as incident lead (whoever takes charge first; not any responder, who
    could otherwise open an incident and make themselves its team)."""
    if not can_work_incidents(user):
        return False
    if user.is_org_admin or incident_roles(user, incident):
        return True
    if IncidentMember.objects.filter(incident=incident).exists():
        return False
    return user.crisis_roles.filter(slug=CrisisRoleSlug.INCIDENT_LEAD).exists()


def can_pause_outbound(user: Any, incident: Incident | None) -> bool:
    """The organisation-wide posting pause (and lifting it): an admin, or the incident
    lead of an active incident. Other team members cannot stop or restart every
    scheduled post of the organisation."""
    if not can_work_incidents(user):
        return False
    if user.is_org_admin:
        return True
    return (
        incident is not None
        and incident.is_active
        and CrisisRoleSlug.INCIDENT_LEAD in incident_roles(user, incident)
    )


def require_act(user: Any, incident: Incident) -> None:
    require(
        can_act_on_playbook(user, incident),
        "Only the incident's team (or an admin) may act on its playbook.",
    )


def require_admin(user: Any) -> None:
    require(can_work_incidents(user) and user.is_org_admin, "Only admins may change this setting.")
