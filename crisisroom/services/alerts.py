"""Alerts: who is paged, escalation, sending (email, team webhooks), one-click acknowledge links."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from crisisroom import events
from crisisroom.charts import bar_rows, sparkline
from crisisroom.choices import IncidentStatus, TimelineKind
from crisisroom.models import Alert, Incident, User, Webhook
from crisisroom.selectors import (
    incident_platforms,
    incident_sentiment_split,
    incident_top_mentions,
    incident_trigger_phrases,
    incident_volume_series,
    on_call_order,
)
from crisisroom.services.signals import describe_signal
from crisisroom.services.timeline import timeline_add
from foundation.roles import OrgRole
from foundation.signals import send_on_commit

logger = logging.getLogger(__name__)


ACK_SALT = "crisisroom.alert-acknowledge"
# An alert whose reason starts so is a reminder that a public update is overdue; the
# rest of the reason is the overdue period's start (Unix seconds), one alert each.
UPDATE_DUE_PREFIX = "update-due-"


def on_call_now() -> list[User]:
    """Who is paged first: the on-call list's current first person, else every admin
    with an email (so a new install still hears about a crisis)."""
    order = on_call_order()
    if order:
        return order[:1]
    return list(User.objects.filter(is_active=True, org_role=OrgRole.ADMIN).exclude(email=""))


def alerts_queue(*, incident: Incident, reason: str) -> list[Alert]:
    """Page the current on-call person (and tell the team webhooks) once per reason."""
    alerts = []
    for user in on_call_now():
        alert, created = Alert.objects.get_or_create(
            incident=incident, recipient=user, reason=reason, defaults={"email": user.email}
        )
        if created:
            alerts.append(alert)
    for webhook in Webhook.objects.filter(active=True):
        alert, created = Alert.objects.get_or_create(
            incident=incident, webhook=webhook, reason=reason
        )
        if created:
            alerts.append(alert)
    for alert in alerts:
        send_on_commit(events.alert_queued, sender=Alert, alert_id=alert.pk)
    return alerts


def alert_queue_reminder(
    *, incident: Incident, recipient: User, reason: str, key: str, params: dict | None = None
) -> Alert | None:
    """Queue one reminder to one person (an incident lead) on the durable alert path,
    once per reason; the timeline says so. None when this reason was already queued."""
    alert, created = Alert.objects.get_or_create(
        incident=incident, recipient=recipient, reason=reason, defaults={"email": recipient.email}
    )
    if not created:
        return None
    timeline_add(incident=incident, kind=TimelineKind.ALERT, key=key, params=params)
    send_on_commit(events.alert_queued, sender=Alert, alert_id=alert.pk)
    return alert


def _reminder_due_at(alert: Alert) -> datetime | None:
    try:
        seconds = int(alert.reason.removeprefix(UPDATE_DUE_PREFIX))
    except ValueError:
        return None
    return datetime.fromtimestamp(seconds, tz=UTC)


def alerts_escalate(*, now: datetime | None = None) -> list[Alert]:
    """Page the next person on the on-call list for every open (unacknowledged)
    incident whose latest page is older than ALERT_ESCALATE_AFTER_MINUTES.

    Idempotent: each level is one alert reason ("escalation-<level>"), unique per
    incident and person, and the incident row is locked while deciding."""
    now = now or timezone.now()
    due_before = now - timedelta(minutes=settings.ALERT_ESCALATE_AFTER_MINUTES)
    order = on_call_order(at=now)
    queued: list[Alert] = []
    candidates = Incident.objects.filter(
        status=IncidentStatus.OPEN, alerts__recipient__isnull=False
    ).distinct()
    for incident_id in candidates.values_list("pk", flat=True):
        with transaction.atomic():
            incident = (
                Incident.objects.select_for_update()
                .filter(pk=incident_id, status=IncidentStatus.OPEN)
                .first()
            )
            if incident is None:
                continue
            latest = (
                Alert.objects.filter(incident=incident, recipient__isnull=False)
                .order_by("-level", "-created_at")
                .first()
            )
            if latest is None or latest.created_at > due_before:
                continue
            paged = set(
                Alert.objects.filter(incident=incident, recipient__isnull=False).values_list(
                    "recipient_id", flat=True
                )
            )
            following = [u for u in order if u.pk not in paged]
            if not following:
                continue
            user = following[0]
            level = latest.level + 1
            alert, created = Alert.objects.get_or_create(
                incident=incident,
                recipient=user,
                reason=f"escalation-{level}",
                defaults={"email": user.email, "level": level, "created_at": now},
            )
            if not created:
                continue
            timeline_add(
                incident=incident,
                kind=TimelineKind.ALERT,
                key=gettext_noop("Not acknowledged after %(minutes)s minutes: paging %(user)s"),
                params={
                    "minutes": settings.ALERT_ESCALATE_AFTER_MINUTES,
                    "user": user.get_username(),
                },
            )
            send_on_commit(events.alert_queued, sender=Alert, alert_id=alert.pk)
            queued.append(alert)
    return queued


def alert_target(alert: Alert) -> str:
    if alert.webhook_id is not None:
        return f"{alert.webhook.name} ({alert.webhook.get_kind_display()})"
    return alert.recipient.get_username()


def alert_email(alert: Alert) -> EmailMultiAlternatives:
    incident = alert.incident
    if alert.reason.startswith(UPDATE_DUE_PREFIX):
        return _update_due_email(alert)
    with translation.override(alert.recipient.language or settings.LANGUAGE_CODE):
        context = alert_context(incident=incident, recipient=alert.recipient, alert=alert)
        subject = _("[Crisis Room] %(severity)s: %(title)s") % {
            "severity": incident.get_severity_display(),
            "title": incident.title,
        }
        text = render_to_string("crisisroom/email/alert.txt", context)
        html = render_to_string("crisisroom/email/alert.html", context)
    message = EmailMultiAlternatives(subject=subject, body=text, to=[alert.email])
    message.attach_alternative(html, "text/html")
    return message


def _update_due_email(alert: Alert) -> EmailMultiAlternatives:
    """The reminder to an incident's lead that the public is waiting for an update."""
    incident = alert.incident
    with translation.override(alert.recipient.language or settings.LANGUAGE_CODE):
        context = {
            "incident": incident,
            "recipient": alert.recipient,
            "due_at": _reminder_due_at(alert),
            "url": f"{settings.SITE_URL}/incidents/{incident.pk}/",
            "time_zone": alert.recipient.time_zone,
        }
        subject = _("[Crisis Room] Public update overdue: %(title)s") % {"title": incident.title}
        text = render_to_string("crisisroom/email/update_due.txt", context)
        html = render_to_string("crisisroom/email/update_due.html", context)
    message = EmailMultiAlternatives(subject=subject, body=text, to=[alert.email])
    message.attach_alternative(html, "text/html")
    return message


def alert_ack_token(*, alert: Alert) -> str:
    return signing.TimestampSigner(salt=ACK_SALT).sign(str(alert.pk))


def alert_ack_url(*, alert: Alert) -> str:
    path = reverse("crisisroom:alert-acknowledge", args=[alert_ack_token(alert=alert)])
    return f"{settings.SITE_URL}{path}"


class AckLinkError(Exception):
    """The acknowledge link is tampered with, expired or its alert is gone."""

    def __init__(self, message: str, *, expired: bool = False) -> None:
        super().__init__(message)
        self.expired = expired


def alert_from_ack_token(*, token: str) -> Alert:
    signer = signing.TimestampSigner(salt=ACK_SALT)
    try:
        pk = signer.unsign(
            token, max_age=timedelta(minutes=settings.ALERT_ACK_LINK_MAX_AGE_MINUTES)
        )
    except signing.SignatureExpired as exc:
        raise AckLinkError(_("This acknowledge link has expired."), expired=True) from exc
    except signing.BadSignature as exc:
        raise AckLinkError(_("This acknowledge link is not valid.")) from exc
    alert = (
        Alert.objects.select_related("incident__brand", "recipient")
        .filter(pk=int(pk), recipient__isnull=False)
        .first()
    )
    if alert is None:
        raise AckLinkError(_("This acknowledge link is not valid."))
    return alert


def alert_summary(*, incident: Incident) -> dict:
    """What an alert says, for the webhooks (the email renders alert_context)."""
    split = incident_sentiment_split(incident=incident)
    signals = [describe_signal(s) for s in incident.signals.order_by("at")[:5]]
    return {
        "title": _("[Crisis Room] %(severity)s: %(title)s")
        % {"severity": incident.get_severity_display(), "title": incident.title},
        "brand": incident.brand.name,
        "url": f"{settings.SITE_URL}/incidents/{incident.pk}/",
        "open_label": str(_("Open the war room")),
        "signals": signals,
        "facts": [
            (str(_("Brand")), incident.brand.name),
            (str(_("Severity")), str(incident.get_severity_display())),
            (
                str(_("Sentiment")),
                _("%(negative)s negative, %(neutral)s neutral, %(positive)s positive") % split
                if split["total"]
                else "",
            ),
        ],
    }


def alert_context(*, incident: Incident, recipient: User, alert: Alert | None = None) -> dict:
    signals = list(incident.signals.order_by("at")[:5])
    series = incident_volume_series(incident=incident)
    return {
        "incident": incident,
        "recipient": recipient,
        "signals": [(signal, describe_signal(signal)) for signal in signals],
        "top_mentions": incident_top_mentions(incident=incident, limit=5),
        "platforms": incident_platforms(incident=incident),
        "sentiment": incident_sentiment_split(incident=incident),
        "trigger_phrases": incident_trigger_phrases(incident=incident),
        "sparkline": sparkline([count for _, count in series]),
        "volume_rows": bar_rows(series),
        "url": f"{settings.SITE_URL}/incidents/{incident.pk}/",
        "ack_url": alert_ack_url(alert=alert) if alert is not None else "",
        "ack_hours": settings.ALERT_ACK_LINK_MAX_AGE_MINUTES // 60,
        "time_zone": recipient.time_zone,
    }
