"""Incident writes: open, take signals, acknowledge, dismiss, the team."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from crisisroom import events
from crisisroom.choices import (
    ACTIVE_STATUSES,
    CrisisRoleSlug,
    IncidentStatus,
    Severity,
    TimelineKind,
)
from crisisroom.models import CrisisRole, Drill, Incident, IncidentMember, User
from crisisroom.selectors import drill_running
from crisisroom.services.alerts import alert_from_ack_token, alerts_queue
from crisisroom.services.signals import SEVERITY_ORDER, severity_suggest, signal_line
from crisisroom.services.timeline import incident_event, timeline_add
from crisisroom.timeline_text import message
from foundation.permissions import can_work_incidents, require
from monitoring.choices import SignalKind
from monitoring.models import Brand, Signal


@transaction.atomic
def incident_open(
    *,
    brand: Brand,
    title: str,
    severity: str = Severity.MEDIUM,
    started_at: datetime | None = None,
    opened_by: User | None = None,
    is_drill: bool = False,
    signals: Iterable[Signal] = (),
) -> Incident:
    if opened_by is not None:
        require(can_work_incidents(opened_by), "Only responders and admins raise incidents.")
    if severity not in Severity.values:
        raise ValueError(f"unknown severity {severity!r}; choose from {', '.join(Severity.values)}")
    now = timezone.now()
    signals = list(signals)
    incident = Incident.objects.create(
        brand=brand,
        title=title[:200],
        severity=severity,
        is_drill=is_drill,
        opened_by=opened_by,
        started_at=started_at or min((s.at for s in signals), default=now),
        opened_at=now,
    )
    how = (
        message(gettext_noop("raised by %(user)s"), {"user": opened_by.get_username()})
        if opened_by
        else message(gettext_noop("raised by detection"))
    )
    timeline_add(
        incident=incident,
        kind=TimelineKind.OPENED,
        key="%(title)s (%(how)s)",  # no words of its own: nothing to translate
        params={"title": incident.title, "how": how},
        actor=opened_by,
    )
    for signal in signals:
        _attach_signal(incident, signal)
    # In the transaction, as the call it replaces was: the playbook run (opened by the
    # playbook's receiver) commits or rolls back with the incident.
    events.incident_opened.send(sender=Incident, incident=incident)
    alerts_queue(incident=incident, reason="opened")
    events.broadcast_on_commit(events.DASHBOARD_GROUP, incident_event(incident, "incident.opened"))
    return incident


def _attach_signal(incident: Incident, signal: Signal) -> None:
    Signal.objects.filter(pk=signal.pk).update(incident=incident)
    timeline_add(
        incident=incident,
        kind=TimelineKind.SIGNAL,
        **signal_line(signal),
        data={"signal": signal.pk, "kind": signal.kind},
    )


@transaction.atomic
def incident_take_signal(*, signal: Signal) -> Incident:
    """One open incident per brand gathers new signals; otherwise a signal opens one.

    A brand under a running fire drill opens drill incidents."""
    drill = drill_running(signal.brand_id)
    is_drill = drill is not None
    incident = (
        Incident.objects.select_for_update()
        .filter(brand_id=signal.brand_id, status__in=ACTIVE_STATUSES, is_drill=is_drill)
        .first()
    )
    severity = severity_suggest(signal=signal)
    if incident is not None:
        _attach_signal(incident, signal)
        if (signal.detail or {}).get("realert"):
            # the detector alerting again after its cooldown while the incident
            # is still open: the crisis goes on, one step more severe
            step = max(SEVERITY_ORDER.index(severity), SEVERITY_ORDER.index(incident.severity) + 1)
            severity = SEVERITY_ORDER[min(step, len(SEVERITY_ORDER) - 1)]
        # No new page for every signal: only when it makes the incident more severe.
        if SEVERITY_ORDER.index(severity) > SEVERITY_ORDER.index(incident.severity):
            incident.severity = severity
            incident.save(update_fields=["severity"])
            timeline_add(
                incident=incident,
                kind=TimelineKind.STATUS,
                key=gettext_noop("Severity raised to %(severity)s by a new signal"),
                params={"severity": message(Severity(incident.severity).label)},
            )
            alerts_queue(incident=incident, reason=f"severity-{severity}")
            events.broadcast_on_commit(
                events.DASHBOARD_GROUP, incident_event(incident, "incident.updated")
            )
    else:
        with translation.override(settings.LANGUAGE_CODE):
            title = f"{signal.brand.name}: {SignalKind(signal.kind).label}"
            if is_drill:
                title = f"[{_('Drill')}] {title}"
        incident = incident_open(
            brand=signal.brand, title=title, severity=severity, signals=[signal], is_drill=is_drill
        )
    if drill is not None and drill.incident_id is None:
        # The drill's incident is the first one its signals open or join.
        Drill.objects.filter(pk=drill.pk, incident__isnull=True).update(incident=incident)
    return incident


@transaction.atomic
def incident_acknowledge(*, incident: Incident, user: User, via: str = "") -> Incident:
    require(can_work_incidents(user), "Only responders and admins acknowledge incidents.")
    incident = Incident.objects.select_for_update().get(pk=incident.pk)
    if incident.status != IncidentStatus.OPEN:
        return incident
    if via:
        key = gettext_noop("Acknowledged by %(user)s (%(via)s)")
    else:
        key = gettext_noop("Acknowledged by %(user)s")
    incident.status = IncidentStatus.ACKNOWLEDGED
    incident.acknowledged_at = timezone.now()
    incident.save(update_fields=["status", "acknowledged_at"])
    timeline_add(
        incident=incident,
        kind=TimelineKind.ACKNOWLEDGED,
        key=key,
        params={"user": user.get_username(), "via": message(via) if via else ""},
        actor=user,
    )
    events.broadcast_on_commit(incident.group_name, incident_event(incident, "incident.updated"))
    events.broadcast_on_commit(events.DASHBOARD_GROUP, incident_event(incident, "incident.updated"))
    return incident


class IncidentStateError(Exception):
    """The incident's state does not allow this (the API answers 409)."""


@transaction.atomic
def incident_dismiss(*, incident: Incident, user: User, reason: str = "") -> Incident:
    """Close an incident as a false alarm. Its signals stay attached: together they are
    labelled feedback for the detector (crisisroom/detector_feedback.py)."""
    require(can_work_incidents(user), "Only responders and admins dismiss incidents.")
    incident = Incident.objects.select_for_update().select_related("brand").get(pk=incident.pk)
    if incident.status not in ACTIVE_STATUSES:
        raise IncidentStateError(
            _("Only an open or acknowledged incident can be dismissed; this one is %(status)s.")
            % {"status": incident.get_status_display()}
        )
    now = timezone.now()
    incident.status = IncidentStatus.DISMISSED
    incident.dismissed_at = now
    incident.dismissed_by = user
    incident.dismiss_reason = reason.strip()[:2000]
    incident.save(update_fields=["status", "dismissed_at", "dismissed_by", "dismiss_reason"])
    timeline_add(
        incident=incident,
        kind=TimelineKind.STATUS,
        key=(
            gettext_noop("Dismissed as a false alarm by %(user)s: %(reason)s")
            if incident.dismiss_reason
            else gettext_noop("Dismissed as a false alarm by %(user)s")
        ),
        params={"user": user.get_username(), "reason": incident.dismiss_reason},
        actor=user,
    )
    events.broadcast_on_commit(incident.group_name, incident_event(incident, "incident.updated"))
    events.broadcast_on_commit(events.DASHBOARD_GROUP, incident_event(incident, "incident.updated"))
    return incident


@transaction.atomic
def member_assign(*, incident: Incident, user: User, crisis_role: str, by: User) -> IncidentMember:
    require(can_work_incidents(by), "Only responders and admins assemble the team.")
    role = CrisisRole.objects.get(slug=crisis_role)
    member, created = IncidentMember.objects.get_or_create(
        incident=incident, user=user, crisis_role=role
    )
    if created:
        timeline_add(
            incident=incident,
            kind=TimelineKind.MEMBER,
            key=gettext_noop("%(user)s joined as %(role)s"),
            params={"user": user.get_username(), "role": message(CrisisRoleSlug(role.slug).label)},
            actor=by,
        )
        events.member_joined.send(sender=IncidentMember, member=member, by=by)
    return member


def alert_acknowledge_by_token(*, token: str) -> Incident:
    """The one-click acknowledge from an alert: the signed token stands for its recipient."""
    alert = alert_from_ack_token(token=token)
    return incident_acknowledge(
        incident=alert.incident, user=alert.recipient, via=gettext_noop("link in the alert")
    )
