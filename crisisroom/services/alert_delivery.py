"""Durable alerts: the Alert row's state is the truth about delivery.

    pending ──claim──▶ sending ──▶ sent
       ▲                  │
       └── failed ◀───────┘   (next_attempt_at = now + back-off; none = given up)
                          │
                          └──▶ unconfirmed   (an email whose worker died mid-send)

A claim is a short transaction that locks the row (``select_for_update(skip_locked=
True)``), moves it to "sending", counts the attempt and, for an email, records the
Message-ID it will carry. Only then is the email handed to the mail server, and
the result is recorded in a second transaction. So:

- nothing is lost when a queued task is (broker down, worker killed during a retry
  wait, message expired): ``alerts_sweep`` runs every minute from beat and from the
  embedded scheduler and claims every due row itself;
- retries follow the row's ``next_attempt_at`` (doubling from
  ALERT_RETRY_BASE_SECONDS up to ALERT_RETRY_MAX_SECONDS) for
  ALERT_RETRY_FOR_SECONDS (24 h) before it is given up;
- an email that failed ALERT_FAILOVER_AFTER_ATTEMPTS times pages the next person on
  call (and tells team webhooks not yet told), so a person is reached even when one
  mailbox or mail route keeps failing;
- email is at most once per alert: a "sending" row whose worker died (stale claim)
  may or may not have reached the mail server, so it is not sent again (that could
  be a second email) but marked "unconfirmed" with its Message-ID (to look up in the
  mail server's log) and the next person is paged at once. Webhooks (Slack, Teams)
  are at least once: a stale claim is simply tried again, since a repeated chat
  message does less harm than a missing one.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Iterable
from datetime import datetime, timedelta
from email.utils import make_msgid, parseaddr

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from crisisroom import events
from crisisroom.choices import AlertStatus, IncidentStatus, TimelineKind
from crisisroom.models import Alert, Incident, User, Webhook
from crisisroom.notifiers import WebhookError, WebhookRejected, notifier_for
from crisisroom.selectors import on_call_order
from crisisroom.services.alerts import alert_email, alert_summary, alert_target
from crisisroom.services.timeline import timeline_add
from foundation.claims import row_claim
from foundation.roles import OrgRole

logger = logging.getLogger(__name__)

RETRYABLE = (AlertStatus.PENDING, AlertStatus.FAILED)


def retry_delay(attempts: int) -> timedelta:
    """Back-off after the ``attempts``-th failed try: doubling, capped, with jitter."""
    base = settings.ALERT_RETRY_BASE_SECONDS * 2 ** min(max(attempts - 1, 0), 20)
    seconds = min(settings.ALERT_RETRY_MAX_SECONDS, base)
    return timedelta(seconds=seconds * random.uniform(0.9, 1.1))  # noqa: S311


def _message_id(alert: Alert) -> str:
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "localhost"
    return make_msgid(idstring=f"alert-{alert.pk}", domain=domain)


def alert_claim(
    *, alert_id: int | None = None, now: datetime | None = None, skip: Iterable[int] = ()
) -> Alert | None:
    """Take one alert to send: the given one (if it is pending or failed and not given
    up), else the oldest due one. Returns it in "sending", or None."""
    pk = row_claim(
        Alert,
        retryable=RETRYABLE,
        sending=AlertStatus.SENDING,
        now=now or timezone.now(),
        pk=alert_id,
        skip=skip,
        changes=lambda alert: (
            {"message_id": _message_id(alert)}
            if alert.recipient_id is not None and not alert.message_id
            else {}
        ),
    )
    if pk is None:
        return None
    return Alert.objects.select_related("incident__brand", "recipient", "webhook").get(pk=pk)


def alert_deliver(*, alert: Alert, now: datetime | None = None) -> bool:
    """Send a claimed ("sending") alert and record what happened. True when sent."""
    try:
        if alert.webhook_id is not None:
            with translation.override(settings.LANGUAGE_CODE):
                summary = alert_summary(incident=alert.incident)
            notifier_for(alert.webhook.kind, alert.webhook.url).send(summary)
        else:
            message = alert_email(alert)
            message.extra_headers["Message-ID"] = alert.message_id
            message.send()
    except WebhookRejected as exc:
        logger.warning("webhook refused alert %s; not retrying: %s", alert.pk, exc)
        _record_failure(alert, exc, retry=False, now=now)
        return False
    except (OSError, WebhookError) as exc:  # SMTPException is an OSError
        logger.warning("alert %s (attempt %s) failed: %s", alert.pk, alert.attempts, exc)
        _record_failure(alert, exc, retry=True, now=now)
        return False
    except Exception as exc:  # a bug must not leave the row "sending" until it is stale
        logger.exception("alert %s (attempt %s) failed", alert.pk, alert.attempts)
        _record_failure(alert, exc, retry=True, now=now)
        return False
    with transaction.atomic():
        Alert.objects.filter(pk=alert.pk, status=AlertStatus.SENDING).update(
            status=AlertStatus.SENT, sent_at=timezone.now(), error="", next_attempt_at=None
        )
        timeline_add(
            incident=alert.incident,
            kind=TimelineKind.ALERT,
            key=gettext_noop("Alert sent to %(to)s"),
            params={"to": alert_target(alert)},
        )
    return True


def alert_send(*, alert_id: int) -> bool:
    """Send this alert now if it is pending or failed (not given up). True when sent;
    a sent, sending or given-up alert is left alone."""
    alert = alert_claim(alert_id=alert_id)
    if alert is None:
        return False
    return alert_deliver(alert=alert)


def _record_failure(
    alert: Alert, exc: BaseException, *, retry: bool, now: datetime | None = None
) -> None:
    now = now or timezone.now()
    give_up = not retry or now - alert.created_at >= timedelta(
        seconds=settings.ALERT_RETRY_FOR_SECONDS
    )
    next_at = None if give_up else now + retry_delay(alert.attempts)
    target = alert_target(alert)
    with transaction.atomic():
        Alert.objects.filter(pk=alert.pk, status=AlertStatus.SENDING).update(
            status=AlertStatus.FAILED, error=str(exc)[:1000], next_attempt_at=next_at
        )
        if give_up:
            timeline_add(
                incident=alert.incident,
                kind=TimelineKind.ALERT,
                key=gettext_noop("Alert to %(to)s failed %(attempts)s times (%(error)s); given up"),
                params={"to": target, "attempts": alert.attempts, "error": str(exc)[:200]},
            )
        elif alert.attempts == 1:  # once on the timeline; the alerts page has every try
            timeline_add(
                incident=alert.incident,
                kind=TimelineKind.ALERT,
                key=gettext_noop("Alert to %(to)s failed (%(error)s); retrying"),
                params={"to": target, "error": str(exc)[:200]},
            )
        if (
            alert.recipient_id is not None
            and alert.escalated_at is None
            and (give_up or alert.attempts >= settings.ALERT_FAILOVER_AFTER_ATTEMPTS)
        ):
            _failover(alert, now, reason=str(exc)[:200])


def _failover(alert: Alert, now: datetime, *, reason: str) -> Alert | None:
    """Page the next person for an alert that cannot reach its recipient. Runs inside
    the caller's transaction, under a lock on the incident."""
    incident = Incident.objects.select_for_update().filter(pk=alert.incident_id).first()
    if incident is None:
        return None
    Alert.objects.filter(pk=alert.pk).update(escalated_at=now)
    for webhook in Webhook.objects.filter(active=True).exclude(alerts__incident=incident):
        Alert.objects.get_or_create(
            incident=incident, webhook=webhook, reason=f"failover-{alert.pk}"
        )
    if incident.status != IncidentStatus.OPEN:
        return None  # someone has acknowledged it: a person has been reached
    paged = set(
        Alert.objects.filter(incident=incident, recipient__isnull=False).values_list(
            "recipient_id", flat=True
        )
    )
    admins = User.objects.filter(is_active=True, org_role=OrgRole.ADMIN).exclude(email="")
    following = [u for u in [*on_call_order(at=now), *admins] if u.pk not in paged]
    if not following:
        timeline_add(
            incident=incident,
            kind=TimelineKind.ALERT,
            key=gettext_noop("Alert to %(to)s keeps failing and nobody else is on call"),
            params={"to": alert_target(alert)},
        )
        return None
    user = following[0]
    level = (
        Alert.objects.filter(incident=incident, recipient__isnull=False).aggregate(
            top=Max("level")
        )["top"]
        or 0
    ) + 1
    created = Alert.objects.create(
        incident=incident,
        recipient=user,
        email=user.email,
        reason=f"failover-{alert.pk}",
        level=level,
        next_attempt_at=now,
    )
    timeline_add(
        incident=incident,
        kind=TimelineKind.ALERT,
        key=gettext_noop("Alert to %(to)s keeps failing (%(error)s): paging %(user)s"),
        params={"to": alert_target(alert), "error": reason, "user": user.get_username()},
    )
    # Due now: the sweep that recorded this failure claims it next (or the next one).
    return created


def alerts_recover_stale(*, now: datetime | None = None) -> int:
    """Settle "sending" rows whose worker died: a webhook is tried again (at least
    once); an email is marked unconfirmed and the next person paged (at most once)."""
    now = now or timezone.now()
    stale_before = now - timedelta(seconds=settings.ALERT_SENDING_STALE_SECONDS)
    settled = 0
    ids = list(
        Alert.objects.filter(status=AlertStatus.SENDING, claimed_at__lt=stale_before).values_list(
            "pk", flat=True
        )[:500]
    )
    for pk in ids:
        with transaction.atomic():
            alert = (
                Alert.objects.select_for_update(skip_locked=True)
                .filter(pk=pk, status=AlertStatus.SENDING, claimed_at__lt=stale_before)
                .first()
            )
            if alert is None:
                continue
            settled += 1
            if alert.webhook_id is not None:
                Alert.objects.filter(pk=pk).update(
                    status=AlertStatus.FAILED,
                    error=_("The worker stopped while sending; trying again."),
                    next_attempt_at=now,
                )
                continue
            alert = Alert.objects.select_related("incident", "recipient").get(pk=pk)
            error = _(
                "The worker stopped while handing this email (Message-ID %(id)s) to the "
                "mail server; it is not sent again so nobody gets it twice."
            ) % {"id": alert.message_id}
            Alert.objects.filter(pk=pk).update(
                status=AlertStatus.UNCONFIRMED, error=error, next_attempt_at=None
            )
            timeline_add(
                incident=alert.incident,
                kind=TimelineKind.ALERT,
                key=gettext_noop(
                    "Alert to %(to)s may not have been delivered (its worker stopped)"
                ),
                params={"to": alert_target(alert)},
            )
            if alert.escalated_at is None:
                _failover(alert, now, reason=_("delivery not confirmed"))
    return settled


def alerts_sweep(*, now: datetime | None = None) -> int:
    """Periodic: settle stale claims, then send every due alert (within a time
    budget; the next sweep goes on). Returns how many were sent."""
    alerts_recover_stale(now=now)
    # The floors above queue what has come due (public-update reminders) to go out now.
    for receiver, result in events.alerts_sweeping.send_robust(sender=Alert, now=now):
        if isinstance(result, Exception):
            logger.error("alert sweep hook %s failed", receiver, exc_info=result)
    deadline = time.monotonic() + settings.ALERT_SWEEP_BUDGET_SECONDS
    sent = 0
    tried: set[int] = set()  # one try per alert per sweep, whatever its back-off
    while time.monotonic() < deadline:
        alert = alert_claim(now=now, skip=tried)
        if alert is None:
            break
        tried.add(alert.pk)
        sent += alert_deliver(alert=alert, now=now)
    return sent
