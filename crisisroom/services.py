"""Incident writes: open, take signals, acknowledge, team, timeline, alerts, live pushes."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from crisisroom import events
from crisisroom.aftercommit import on_commit_soft
from crisisroom.choices import (
    ACTIVE_STATUSES,
    IncidentStatus,
    OrgRole,
    Severity,
    TimelineKind,
)
from crisisroom.models import (
    Alert,
    ApiToken,
    ChatMessage,
    CrisisRole,
    Drill,
    Incident,
    IncidentMember,
    RoomPresence,
    TimelineEvent,
    User,
    Webhook,
)
from crisisroom.permissions import can_work_incidents, require
from monitoring.choices import SignalKind
from monitoring.models import Brand, Mention, Signal

logger = logging.getLogger(__name__)

# A socket not seen for this long (no heartbeat) no longer counts as in the room.
PRESENCE_STALE = timedelta(minutes=2)


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


SEVERITY_ORDER = [Severity.LOW, Severity.MEDIUM, Severity.HIGH, Severity.CRITICAL]
# Combined followers of the authors behind the last hour's mentions from which the
# suggested severity goes one step up: many people have already seen it.
HIGH_REACH = 1_000_000


def severity_for(magnitude: float, reach: int = 0) -> str:
    """Suggested severity from how far a signal went past its threshold (1.0 = just at
    it) and how many people the brand's recent mentions reached."""
    if magnitude >= 6:
        step = 3
    elif magnitude >= 3:
        step = 2
    elif magnitude >= 1.5:
        step = 1
    else:
        step = 0
    if reach >= HIGH_REACH:
        step += 1
    return SEVERITY_ORDER[min(step, 3)]


def _recent_reach(brand_id: int, at: datetime) -> int:
    from django.db.models import Sum

    since = at - timedelta(hours=1)
    total = Mention.objects.filter(
        brand_id=brand_id, published_at__gt=since, published_at__lte=at + timedelta(minutes=5)
    ).aggregate(reach=Sum("author_followers"))["reach"]
    return int(total or 0)


def severity_suggest(*, signal: Signal) -> str:
    return severity_for(signal.magnitude, _recent_reach(signal.brand_id, signal.at))


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
    """One open incident per brand gathers new signals; otherwise a signal opens one.

    A brand under a running fire drill opens drill incidents."""
    from crisisroom.drills import drill_running

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
        # No new page for every signal: only when it makes the incident more severe.
        if SEVERITY_ORDER.index(severity) > SEVERITY_ORDER.index(incident.severity):
            incident.severity = severity
            incident.save(update_fields=["severity"])
            timeline_add(
                incident=incident,
                kind=TimelineKind.STATUS,
                message=_("Severity raised to %(severity)s by a new signal")
                % {"severity": incident.get_severity_display()},
            )
            alerts_queue(incident=incident, reason=f"severity-{severity}")
            events.broadcast_on_commit(
                events.DASHBOARD_GROUP, _incident_event(incident, "incident.updated")
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
        message = _("Acknowledged by %(user)s (%(via)s)") % {
            "user": user.get_username(),
            "via": via,
        }
    else:
        message = _("Acknowledged by %(user)s") % {"user": user.get_username()}
    incident.status = IncidentStatus.ACKNOWLEDGED
    incident.acknowledged_at = timezone.now()
    incident.save(update_fields=["status", "acknowledged_at"])
    timeline_add(
        incident=incident,
        kind=TimelineKind.ACKNOWLEDGED,
        message=message,
        actor=user,
    )
    events.broadcast_on_commit(incident.group_name, _incident_event(incident, "incident.updated"))
    events.broadcast_on_commit(
        events.DASHBOARD_GROUP, _incident_event(incident, "incident.updated")
    )
    return incident


class IncidentStateError(Exception):
    """The incident's state does not allow this (the API answers 409)."""


@transaction.atomic
def incident_dismiss(*, incident: Incident, user: User, reason: str = "") -> Incident:
    """Close an incident as a false alarm. Its signals stay attached: together they are
    labelled feedback for the detector (monitoring/detection/feedback.py)."""
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
    message = _("Dismissed as a false alarm by %(user)s") % {"user": user.get_username()}
    if incident.dismiss_reason:
        message += f": {incident.dismiss_reason}"
    timeline_add(incident=incident, kind=TimelineKind.STATUS, message=message, actor=user)
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


def mentions_push_to_war_rooms(
    *, mention_ids: Sequence[int], brand_ids: Iterable[int] | None = None
) -> int:
    """Send new mentions to the war rooms of their brands' active incidents.

    With ``brand_ids`` (ingest knows them), mentions are loaded only for brands that
    have an active incident: most batches have none, and ingest's hot path should not
    read its rows back for nothing."""
    incidents = Incident.objects.filter(status__in=ACTIVE_STATUSES)
    if brand_ids is not None:
        brand_ids = set(brand_ids)
        incidents = incidents.filter(brand_id__in=brand_ids)
    active = list(incidents.values_list("pk", "brand_id"))
    by_brand: dict[int, list[events.MentionPayload]] = {}
    wanted = {brand_id for _, brand_id in active}
    if wanted or brand_ids is None:
        rows = Mention.objects.filter(
            # Reposts add reach to their original, not new voices to the feed.
            pk__in=mention_ids,
            brand__isnull=False,
            repost_of__isnull=True,
        )
        if brand_ids is not None:
            rows = rows.filter(brand_id__in=wanted)
        for mention in rows.order_by("published_at", "pk"):
            by_brand.setdefault(mention.brand_id, []).append(mention_payload(mention))
    pushed = 0
    for incident_id, brand_id in active:
        if brand_id not in by_brand:
            continue
        payload: events.MentionsNewEvent = {
            "type": "mentions.new",
            "incident": incident_id,
            "mentions": by_brand[brand_id],
        }
        events.broadcast(f"incident-{incident_id}", dict(payload))
        pushed += 1
    changed = sorted(brand_ids if brand_ids is not None else by_brand)
    if changed:
        events.broadcast(events.DASHBOARD_GROUP, {"type": "brands.changed", "brands": changed})
    return pushed


# --- Alerts ---------------------------------------------------------------------

ACK_SALT = "crisisroom.alert-acknowledge"


def on_call_now() -> list[User]:
    """Who is paged first: the on-call list's current first person, else every admin
    with an email (so a new install still hears about a crisis)."""
    from crisisroom.selectors import on_call_order

    order = on_call_order()
    if order:
        return order[:1]
    return list(User.objects.filter(is_active=True, org_role=OrgRole.ADMIN).exclude(email=""))


def alerts_queue(*, incident: Incident, reason: str) -> list[Alert]:
    """Page the current on-call person (and tell the team webhooks) once per reason."""
    from crisisroom.tasks import alert_send_task

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
    for alert in alerts:  # the row is due now: if this queueing fails, the sweep sends it
        on_commit_soft(lambda pk=alert.pk: alert_send_task.delay(pk), what="queue an alert")
    return alerts


def alerts_escalate(*, now: datetime | None = None) -> list[Alert]:
    """Page the next person on the on-call list for every open (unacknowledged)
    incident whose latest page is older than ALERT_ESCALATE_AFTER_MINUTES.

    Idempotent: each level is one alert reason ("escalation-<level>"), unique per
    incident and person, and the incident row is locked while deciding."""
    from crisisroom.selectors import on_call_order
    from crisisroom.tasks import alert_send_task

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
                message=_("Not acknowledged after %(minutes)s minutes: paging %(user)s")
                % {"minutes": settings.ALERT_ESCALATE_AFTER_MINUTES, "user": user.get_username()},
            )
            on_commit_soft(lambda pk=alert.pk: alert_send_task.delay(pk), what="queue an alert")
            queued.append(alert)
    return queued


def _alert_target(alert: Alert) -> str:
    if alert.webhook_id is not None:
        return f"{alert.webhook.name} ({alert.webhook.get_kind_display()})"
    return alert.recipient.get_username()


def _alert_email(alert: Alert) -> EmailMultiAlternatives:
    incident = alert.incident
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


def alert_ack_token(*, alert: Alert) -> str:
    return signing.TimestampSigner(salt=ACK_SALT).sign(str(alert.pk))


def alert_ack_url(*, alert: Alert) -> str:
    from django.urls import reverse

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


def alert_acknowledge_by_token(*, token: str) -> Incident:
    """The one-click acknowledge from an alert: the signed token stands for its recipient."""
    alert = alert_from_ack_token(token=token)
    return incident_acknowledge(
        incident=alert.incident, user=alert.recipient, via=_("link in the alert")
    )


def alert_summary(*, incident: Incident) -> dict:
    """What an alert says, for the webhooks (the email renders alert_context)."""
    from crisisroom.selectors import incident_sentiment_split

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
    from crisisroom.charts import bar_rows, sparkline
    from crisisroom.selectors import (
        incident_platforms,
        incident_sentiment_split,
        incident_top_mentions,
        incident_trigger_phrases,
        incident_volume_series,
    )

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


# --- War room: chat and presence -------------------------------------------------

MENTION_PATTERN = r"(?<![\w@])@([\w.+-]{1,150})"


def chat_payload(message: ChatMessage) -> dict:
    payload: events.ChatEvent = {
        "type": "chat.new",
        "incident": message.incident_id,
        "id": message.pk,
        "author": message.author.get_username(),
        "body": message.body,
        "mentioned": [user.get_username() for user in message.mentioned.all()],
        "at": message.created_at.isoformat(),
    }
    return dict(payload)


@transaction.atomic
def chat_post(*, incident: Incident, author: User, body: str) -> ChatMessage:
    """Post to the incident's team chat; @username notifies that person."""
    require(can_work_incidents(author), "Only responders and admins write in the team chat.")
    body = body.strip()
    if not body:
        raise ValueError("A chat message cannot be empty.")
    if len(body) > 4000:
        raise ValueError("A chat message is at most 4000 characters.")
    message = ChatMessage.objects.create(incident=incident, author=author, body=body)
    names = {name.rstrip(".") for name in re.findall(MENTION_PATTERN, body)}
    mentioned = list(User.objects.filter(username__in=names, is_active=True).exclude(pk=author.pk))
    if mentioned:
        message.mentioned.set(mentioned)
    events.broadcast_on_commit(incident.group_name, chat_payload(message))
    if mentioned:
        from crisisroom.tasks import chat_notify_task

        on_commit_soft(lambda: chat_notify_task.delay(message.pk), what="queue chat emails")
    return message


def chat_notify(*, message_id: int) -> int:
    """Email the people a chat message @mentions who are not in the room right now."""
    message = ChatMessage.objects.select_related("incident", "author").filter(pk=message_id).first()
    if message is None:
        return 0
    present = set(
        RoomPresence.objects.filter(incident=message.incident).values_list("user_id", flat=True)
    )
    sent = 0
    for user in message.mentioned.exclude(email="").exclude(pk__in=present):
        with translation.override(user.language or settings.LANGUAGE_CODE):
            subject = _("[Crisis Room] %(author)s mentioned you in #%(id)s %(title)s") % {
                "author": message.author.get_username(),
                "id": message.incident_id,
                "title": message.incident.title,
            }
            body = render_to_string(
                "crisisroom/email/chat_mention.txt",
                {
                    "message": message,
                    "url": f"{settings.SITE_URL}/incidents/{message.incident_id}/",
                },
            )
        EmailMultiAlternatives(subject=subject, body=body, to=[user.email]).send()
        sent += 1
    return sent


def presence_list(*, incident_id: int) -> list[str]:
    return sorted(
        set(
            RoomPresence.objects.filter(incident_id=incident_id).values_list(
                "user__username", flat=True
            )
        )
    )


def _presence_event(incident_id: int) -> dict:
    payload: events.PresenceEvent = {
        "type": "presence",
        "incident": incident_id,
        "users": presence_list(incident_id=incident_id),
    }
    return dict(payload)


def presence_join(*, incident_id: int, user: User, channel_name: str) -> None:
    RoomPresence.objects.update_or_create(
        channel_name=channel_name,
        defaults={"incident_id": incident_id, "user": user, "seen_at": timezone.now()},
    )
    # Sockets whose server died never said goodbye; they stop being seen.
    RoomPresence.objects.filter(seen_at__lt=timezone.now() - PRESENCE_STALE).delete()
    events.broadcast(f"incident-{incident_id}", _presence_event(incident_id))


def presence_seen(*, channel_name: str) -> None:
    RoomPresence.objects.filter(channel_name=channel_name).update(seen_at=timezone.now())


def presence_leave(*, incident_id: int, channel_name: str) -> None:
    RoomPresence.objects.filter(channel_name=channel_name).delete()
    events.broadcast(f"incident-{incident_id}", _presence_event(incident_id))
