"""Keeping the public informed: the update cadence of an incident and the reminder
to its lead when a public update is overdue."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from crisisroom.choices import ACTIVE_STATUSES, CrisisRoleSlug, TimelineKind
from crisisroom.models import Alert, Incident, IncidentMember, User
from crisisroom.services.alerts import UPDATE_DUE_PREFIX, alert_queue_reminder
from crisisroom.services.timeline import timeline_add
from crisisroom.timeline_text import at_time
from playbook import selectors
from playbook.models import Assessment
from playbook.permissions import require_act
from playbook.services.base import InvalidInput, push

logger = logging.getLogger(__name__)

MIN_MINUTES, MAX_MINUTES = 5, 24 * 60


def push_cadence(incident: Incident) -> None:
    """Every open war room redraws its "next public update due" line."""
    push(incident, selectors.update_due_json(incident))


@transaction.atomic
def update_cadence_set(*, incident: Incident, by: User, minutes: int | None) -> Assessment:
    """Override how often this incident's public hears from the team (None: the
    response level's cadence again)."""
    require_act(by, incident)
    if minutes is not None and not MIN_MINUTES <= minutes <= MAX_MINUTES:
        raise InvalidInput(
            _("A public update every %(low)s to %(high)s minutes.")
            % {"low": MIN_MINUTES, "high": MAX_MINUTES}
        )
    assessment, _created = Assessment.objects.get_or_create(incident=incident)
    assessment.update_every_minutes = minutes
    assessment.updated_by = by
    assessment.save(update_fields=["update_every_minutes", "updated_by", "updated_at"])
    every, _overridden = selectors.update_every(incident)
    timeline_add(
        incident=incident,
        kind=TimelineKind.PLAYBOOK,
        key=(
            gettext_noop("Public update cadence set to every %(n)s minutes by %(user)s")
            if minutes is not None
            else gettext_noop(
                "Public update cadence back to the response level's (every %(n)s minutes), by %(user)s"
            )
        ),
        params={"n": every, "user": by.get_username()},
        actor=by,
    )
    push_cadence(incident)
    return assessment


def reminder_at(due_at: datetime, every: int, now: datetime) -> datetime | None:
    """The start of the overdue period ``now`` is in: the due time, then one more
    period for every cadence that passes without an update; None when not yet due."""
    if now < due_at:
        return None
    periods = int((now - due_at) // timedelta(minutes=every))
    return due_at + timedelta(minutes=every * periods)


def update_reminders_queue(*, now: datetime | None = None) -> list[Alert]:
    # A periodic task has no user: the timeline is written in the site's language.
    with translation.override(settings.LANGUAGE_CODE):
        return _update_reminders_queue(now=now)


def _update_reminders_queue(*, now: datetime | None = None) -> list[Alert]:
    """Remind each active incident's lead once per overdue period (the alert reason
    names the period, and alerts are unique per incident, person and reason). The
    alert sweep calls this before it sends what is due, so the reminder goes out
    through the durable alert path in the same sweep."""
    now = now or timezone.now()
    queued: list[Alert] = []
    leads: dict[int, list[User]] = {}
    for member in IncidentMember.objects.filter(
        incident__status__in=ACTIVE_STATUSES, crisis_role__slug=CrisisRoleSlug.INCIDENT_LEAD
    ).select_related("user"):
        if member.user.is_active and member.user.email:
            leads.setdefault(member.incident_id, []).append(member.user)
    for incident in Incident.objects.filter(pk__in=leads).select_related("brand"):
        due = selectors.update_due(incident, now=now)
        start = reminder_at(due["due_at"], due["every"], now) if due["due_at"] else None
        if start is None:
            continue
        reason = f"{UPDATE_DUE_PREFIX}{int(start.timestamp())}"
        for lead in leads[incident.pk]:
            with transaction.atomic():
                alert = alert_queue_reminder(
                    incident=incident,
                    recipient=lead,
                    reason=reason,
                    key=gettext_noop("Public update overdue (due %(due)s): reminding %(user)s"),
                    params={
                        "due": at_time(due["due_at"]),
                        "user": lead.get_username(),
                    },
                )
            if alert is not None:
                queued.append(alert)
    return queued
