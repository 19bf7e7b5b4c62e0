"""Incident writes: open, take signals, acknowledge, team, timeline, alerts, live pushes."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import datetime

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from crisisroom import events
from crisisroom.choices import (
    ACTIVE_STATUSES,
    AlertStatus,
    IncidentStatus,
    OrgRole,
    Severity,
    TimelineKind,
)
from crisisroom.models import (
    Alert,
    ApiToken,
    CrisisRole,
    Incident,
    IncidentMember,
    OnCallEntry,
    TimelineEvent,
    User,
)
from crisisroom.permissions import can_work_incidents, require
from monitoring.choices import SignalKind
from monitoring.models import Brand, Mention, Signal

logger = logging.getLogger(__name__)


# --- Users and tokens -----------------------------------------------------------


@transaction.atomic
def user_add(
    *,
    username: str,
    org_role: str,
    crisis_roles: Sequence[str] = (),
    email: str = "",
    password: str | None = None,
) -> tuple[User, bool]:
    """Create or update a user; ``password=None`` leaves an existing password alone."""
    if org_role not in OrgRole.values:
        raise ValueError(
            f"unknown organisation role {org_role!r}; choose from {', '.join(OrgRole.values)}"
        )
    roles = list(CrisisRole.objects.filter(slug__in=crisis_roles))
    unknown = set(crisis_roles) - {role.slug for role in roles}
    if unknown:
        raise ValueError(f"unknown crisis role(s): {', '.join(sorted(unknown))}")
    user, created = User.objects.get_or_create(username=username)
    user.org_role = org_role
    user.is_staff = org_role == OrgRole.ADMIN
    if email:
        user.email = email
    if password is not None:
        user.set_password(password)
    elif created:
        user.set_unusable_password()
    user.save()
    if crisis_roles:
        user.crisis_roles.set(roles)
    return user, created


def api_token_create(*, user: User, name: str = "") -> str:
    """Make a new API token for ``user``; only its hash is stored, so show it now."""
    token = ApiToken.generate()
    ApiToken.objects.create(user=user, name=name, prefix=token[3:9], digest=ApiToken.hash(token))
    return token


def api_token_authenticate(token: str) -> User | None:
    found = ApiToken.objects.select_related("user").filter(digest=ApiToken.hash(token)).first()
    if found is None or not found.user.is_active:
        return None
    now = timezone.now()
    if found.last_used_at is None or (now - found.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=found.pk).update(last_used_at=now)
    return found.user


# --- Timeline -------------------------------------------------------------------


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


def _incident_event(incident: Incident, kind: str) -> dict:
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


# --- Incidents ------------------------------------------------------------------


def severity_for(magnitude: float) -> str:
    """Suggested severity from how far a signal went past its threshold."""
    if magnitude >= 3:
        return Severity.CRITICAL
    if magnitude >= 1.5:
        return Severity.HIGH
    if magnitude >= 0.5:
        return Severity.MEDIUM
    return Severity.LOW


def signal_value(kind: str, value: float) -> str:
    """A signal's number as a person reads it: shares as percentages, counts as counts."""
    if kind == SignalKind.NEGATIVE_SHARE:
        return f"{value:.0%}"
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"


def describe_signal(signal: Signal) -> str:
    return _(
        "%(label)s: observed %(observed)s against a baseline of %(baseline)s (threshold %(threshold)s)"
    ) % {
        "label": SignalKind(signal.kind).label,
        "observed": signal_value(signal.kind, signal.observed),
        "baseline": signal_value(signal.kind, signal.baseline),
        "threshold": signal_value(signal.kind, signal.threshold),
    }


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
        _("raised by %(user)s") % {"user": opened_by.get_username()}
        if opened_by
        else _("raised by detection")
    )
    timeline_add(
        incident=incident,
        kind=TimelineKind.OPENED,
        message=f"{incident.title} ({how})",
        actor=opened_by,
    )
    for signal in signals:
        _attach_signal(incident, signal)
    from playbook.services import playbook_run_start  # playbook builds on these services

    playbook_run_start(incident=incident)
    alerts_queue(incident=incident, reason="opened")
    events.broadcast_on_commit(events.DASHBOARD_GROUP, _incident_event(incident, "incident.opened"))
    return incident


def _attach_signal(incident: Incident, signal: Signal) -> None:
    Signal.objects.filter(pk=signal.pk).update(incident=incident)
    timeline_add(
        incident=incident,
        kind=TimelineKind.SIGNAL,
        message=describe_signal(signal),
        data={"signal": signal.pk, "kind": signal.kind},
    )


@transaction.atomic
def incident_take_signal(*, signal: Signal) -> Incident:
    """One open incident per brand gathers new signals; otherwise a signal opens one."""
    incident = (
        Incident.objects.select_for_update()
        .filter(brand_id=signal.brand_id, status__in=ACTIVE_STATUSES, is_drill=False)
        .first()
    )
    if incident is not None:
        _attach_signal(incident, signal)
        return incident
    with translation.override(settings.LANGUAGE_CODE):
        title = f"{signal.brand.name}: {SignalKind(signal.kind).label}"
    return incident_open(
        brand=signal.brand, title=title, severity=severity_for(signal.magnitude), signals=[signal]
    )


@transaction.atomic
def incident_acknowledge(*, incident: Incident, user: User) -> Incident:
    require(can_work_incidents(user), "Only responders and admins acknowledge incidents.")
    incident = Incident.objects.select_for_update().get(pk=incident.pk)
    if incident.status != IncidentStatus.OPEN:
        return incident
    incident.status = IncidentStatus.ACKNOWLEDGED
    incident.acknowledged_at = timezone.now()
    incident.save(update_fields=["status", "acknowledged_at"])
    timeline_add(
        incident=incident,
        kind=TimelineKind.ACKNOWLEDGED,
        message=_("Acknowledged by %(user)s") % {"user": user.get_username()},
        actor=user,
    )
    events.broadcast_on_commit(incident.group_name, _incident_event(incident, "incident.updated"))
    events.broadcast_on_commit(
        events.DASHBOARD_GROUP, _incident_event(incident, "incident.updated")
    )
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
            message=_("%(user)s joined as %(role)s")
            % {"user": user.get_username(), "role": role.label},
            actor=by,
        )
    return member


# --- Live pushes ----------------------------------------------------------------


def mention_payload(mention: Mention) -> events.MentionPayload:
    return {
        "id": mention.pk,
        "text": mention.text,
        "author": mention.author,
        "author_followers": mention.author_followers,
        "platform": mention.platform,
        "url": mention.url,
        "lang": mention.lang,
        "published_at": mention.published_at.isoformat(),
        "sentiment_label": mention.sentiment_label,
        "sentiment_score": mention.sentiment_score,
    }


def mentions_push_to_war_rooms(*, mention_ids: Sequence[int]) -> int:
    """Send new mentions to the war rooms of their brands' active incidents."""
    mentions = list(
        Mention.objects.filter(pk__in=mention_ids, brand__isnull=False).order_by(
            "published_at", "pk"
        )
    )
    by_brand: dict[int, list[events.MentionPayload]] = {}
    for mention in mentions:
        by_brand.setdefault(mention.brand_id, []).append(mention_payload(mention))
    pushed = 0
    for incident_id, brand_id in Incident.objects.filter(
        brand_id__in=by_brand, status__in=ACTIVE_STATUSES
    ).values_list("pk", "brand_id"):
        payload: events.MentionsNewEvent = {
            "type": "mentions.new",
            "incident": incident_id,
            "mentions": by_brand[brand_id],
        }
        events.broadcast(f"incident-{incident_id}", dict(payload))
        pushed += 1
    return pushed


# --- Alerts ---------------------------------------------------------------------


def on_call_now() -> list[User]:
    """Who is paged: the first active on-call entry with an email, else every admin with one."""
    entry = (
        OnCallEntry.objects.select_related("user")
        .filter(active=True, user__is_active=True)
        .exclude(user__email="")
        .first()
    )
    if entry is not None:
        return [entry.user]
    return list(User.objects.filter(is_active=True, org_role=OrgRole.ADMIN).exclude(email=""))


def alerts_queue(*, incident: Incident, reason: str) -> list[Alert]:
    from crisisroom.tasks import alert_send_task

    alerts = []
    for user in on_call_now():
        alert, created = Alert.objects.get_or_create(
            incident=incident, recipient=user, reason=reason, defaults={"email": user.email}
        )
        if created:
            alerts.append(alert)
            transaction.on_commit(lambda pk=alert.pk: alert_send_task.delay(pk))
    return alerts


def alert_send(*, alert_id: int) -> bool:
    """Send one alert email; a sent alert is never sent again. Returns True when sent now."""
    with transaction.atomic():
        alert = (
            Alert.objects.select_for_update()
            .select_related("incident__brand", "recipient")
            .filter(pk=alert_id)
            .first()
        )
        if alert is None:
            logger.info("alert %s is gone; skipping", alert_id)
            return False
        if alert.status == AlertStatus.SENT:
            return False
        alert.attempts += 1
        alert.save(update_fields=["attempts"])
    incident = alert.incident
    context = alert_context(incident=incident, recipient=alert.recipient)
    with translation.override(alert.recipient.language or settings.LANGUAGE_CODE):
        subject = _("[Crisis Room] %(severity)s: %(title)s") % {
            "severity": incident.get_severity_display(),
            "title": incident.title,
        }
        text = render_to_string("crisisroom/email/alert.txt", context)
        html = render_to_string("crisisroom/email/alert.html", context)
    message = EmailMultiAlternatives(subject=subject, body=text, to=[alert.email])
    message.attach_alternative(html, "text/html")
    try:
        message.send()
    except Exception as exc:
        Alert.objects.filter(pk=alert.pk).update(status=AlertStatus.FAILED, error=str(exc)[:1000])
        raise
    Alert.objects.filter(pk=alert.pk).update(
        status=AlertStatus.SENT, sent_at=timezone.now(), error=""
    )
    return True


def alert_context(*, incident: Incident, recipient: User) -> dict:
    from crisisroom.selectors import incident_top_mentions

    signals = list(incident.signals.order_by("at")[:5])
    return {
        "incident": incident,
        "recipient": recipient,
        "signals": [(signal, describe_signal(signal)) for signal in signals],
        "top_mentions": incident_top_mentions(incident=incident, limit=5),
        "url": f"{settings.SITE_URL}/incidents/{incident.pk}/",
        "time_zone": recipient.time_zone,
    }
