"""Step 1: the incident team (assigning and notifying members)."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from crisisroom.models import CrisisRole, Incident, IncidentMember, User
from crisisroom.services.incidents import member_assign
from foundation.permissions import can_view_incidents, require
from foundation.signals import send_on_commit
from playbook import events as playbook_events
from playbook.permissions import can_assemble_team
from playbook.services.base import InvalidInput


@transaction.atomic
def team_member_add(
    *, incident: Incident, user: User, crisis_role: str, by: User
) -> IncidentMember:
    """Assign a roster member to a crisis role on the incident and notify them."""
    require(
        can_assemble_team(by, incident),
        "Only the incident's team (or an admin) may assign its members.",
    )
    role = CrisisRole.objects.filter(slug=crisis_role).first()
    if role is None:
        raise InvalidInput(_("Unknown crisis role %(role)s.") % {"role": crisis_role})
    if not can_view_incidents(user):
        raise InvalidInput(
            _("%(user)s has no organisation role and cannot join.") % {"user": user.get_username()}
        )
    if not user.crisis_roles.filter(pk=role.pk).exists():
        raise InvalidInput(
            _("%(user)s is not on the roster as %(role)s.")
            % {"user": user.get_username(), "role": role.label}
        )
    existed = IncidentMember.objects.filter(incident=incident, user=user, crisis_role=role).exists()
    member = member_assign(incident=incident, user=user, crisis_role=crisis_role, by=by)
    if not existed and user.email:
        send_on_commit(playbook_events.member_assigned, sender=IncidentMember, member_id=member.pk)
    return member


def member_notify(*, member_id: int) -> bool:
    """Tell a newly assigned member which role they hold and where the war room is."""

    member = (
        IncidentMember.objects.select_related("incident", "user", "crisis_role")
        .filter(pk=member_id)
        .first()
    )
    if member is None or not member.user.email:
        return False
    with translation.override(member.user.language or settings.LANGUAGE_CODE):
        subject = _("[Crisis Room] You are %(role)s on #%(id)s %(title)s") % {
            "role": member.crisis_role.label,
            "id": member.incident_id,
            "title": member.incident.title,
        }
        body = _("Join the war room: %(url)s") % {
            "url": f"{settings.SITE_URL}/incidents/{member.incident_id}/"
        }
    send_mail(subject, body, None, [member.user.email])
    return True
