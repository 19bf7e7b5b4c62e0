"""Situation reports sent durably: who reads them, how often, and their delivery.

Each reader (an executive lead on the incident's team, or a recipient on its list)
gets one SitrepDelivery row per period, unique per incident, period and reader, so
queuing twice (two workers, a double click, a sweep after a crash) adds nothing.
The rows follow the alert path (crisisroom/services/alert_delivery.py):

    pending ──claim──▶ sending ──▶ sent
       ▲                  │
       └── failed ◀───────┘   (next_attempt_at = now + back-off; none = given up)
                          │
                          └──▶ unconfirmed   (its worker died mid-send)

A claim locks the row (``skip_locked``), moves it to "sending" and records the
email's Message-ID before anything is handed to the mail server or webhook. A
"sending" row whose worker died is not tried again, email or chat: a sitrep is at
most once per reader per period, and the next period's report follows anyway.

``sitreps_sweep`` runs every minute (beat, the embedded scheduler): it queues the
current period of every active incident whose cadence is on, settles stale claims,
and sends what is due. A resolved or dismissed incident gets no more cadence
reports; one already queued for it is dropped. "Send now" queues a period of its
own (one per minute, so a double click sends once) and tries it at once.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta
from email.utils import make_msgid, parseaddr

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from crisisroom.choices import ACTIVE_STATUSES, AlertStatus, CrisisRoleSlug, TimelineKind
from crisisroom.models import Incident, IncidentMember, User
from crisisroom.notifiers import WebhookError, WebhookRejected
from crisisroom.services.alert_delivery import retry_delay
from crisisroom.services.timeline import timeline_add
from crisisroom.timeline_text import every_language
from foundation.claims import row_claim, row_failed, row_sent
from foundation.signals import send_on_commit
from foundation.timezones import zone_named
from playbook import events
from playbook.models import (
    SITREP_DEFAULT_EVERY,
    SITREP_EVERY_CHOICES,
    SitrepDelivery,
    SitrepPlan,
    SitrepRecipient,
)
from playbook.permissions import require_act
from playbook.services.base import InvalidInput
from playbook.sitrep_render import SITREP_NOTIFIERS, sitrep_email, sitrep_summary

logger = logging.getLogger(__name__)

EVERY_PREFIX, NOW_PREFIX = "every-", "now-"
RETRYABLE = (AlertStatus.PENDING, AlertStatus.FAILED)
EVERY_VALUES = tuple(value for value, _label in SITREP_EVERY_CHOICES)


# --- Settings per incident -------------------------------------------------------------


def sitrep_every(incident: Incident) -> int:
    plan = SitrepPlan.objects.filter(incident=incident).first()
    return plan.every_minutes if plan is not None else SITREP_DEFAULT_EVERY


@transaction.atomic
def sitrep_plan_set(*, incident: Incident, by: User, every_minutes: int) -> SitrepPlan:
    require_act(by, incident)
    if every_minutes not in EVERY_VALUES:
        raise InvalidInput(_("Choose off, or every 30, 60 or 120 minutes."))
    plan, _created = SitrepPlan.objects.update_or_create(
        incident=incident,
        defaults={"every_minutes": every_minutes, "updated_by": by, "updated_at": timezone.now()},
    )
    timeline_add(
        incident=incident,
        kind=TimelineKind.PLAYBOOK,
        key=(
            gettext_noop("Situation reports every %(n)s minutes, set by %(user)s")
            if every_minutes
            else gettext_noop("Situation reports turned off by %(user)s")
        ),
        params={"n": every_minutes, "user": by.get_username()},
        actor=by,
    )
    return plan


def _clean_address(kind: str, address: str) -> str:
    address = address.strip()
    try:
        if kind == SitrepRecipient.Kind.EMAIL:
            validate_email(address)
            return address.lower()
        if kind in (SitrepRecipient.Kind.SLACK, SitrepRecipient.Kind.TEAMS):
            URLValidator(schemes=["https", "http"])(address)
            return address
    except ValidationError as exc:
        raise InvalidInput(
            _("Enter a valid email address.")
            if kind == SitrepRecipient.Kind.EMAIL
            else _("Enter the webhook's full https:// address.")
        ) from exc
    raise InvalidInput(_("Choose email, Slack or Microsoft Teams."))


@transaction.atomic
def sitrep_recipient_add(
    *, incident: Incident, by: User, kind: str, address: str, language: str = "", zone: str = "UTC"
) -> SitrepRecipient:
    require_act(by, incident)
    address = _clean_address(kind, address)
    if language and language not in dict(settings.LANGUAGES):
        raise InvalidInput(_("Choose a language from the list."))
    if zone_named(zone) is None:
        raise InvalidInput(_("Choose a time zone from the list."))
    if SitrepRecipient.objects.filter(incident=incident, kind=kind, address=address).exists():
        raise InvalidInput(_("%(address)s already gets this sitrep.") % {"address": address})
    recipient = SitrepRecipient.objects.create(
        incident=incident,
        kind=kind,
        address=address,
        language=language,
        time_zone=zone,
        added_by=by,
    )
    timeline_add(
        incident=incident,
        kind=TimelineKind.PLAYBOOK,
        key=gettext_noop("%(who)s added to the sitrep readers by %(user)s"),
        params={
            "who": every_language(lambda: recipient_label(recipient)),
            "user": by.get_username(),
        },
        actor=by,
    )
    return recipient


@transaction.atomic
def sitrep_recipient_remove(*, incident: Incident, by: User, recipient_id: int) -> None:
    require_act(by, incident)
    recipient = SitrepRecipient.objects.filter(incident=incident, pk=recipient_id).first()
    if recipient is None:
        raise InvalidInput(_("That reader is not on this sitrep's list."))
    label = every_language(lambda: recipient_label(recipient))
    recipient.delete()
    timeline_add(
        incident=incident,
        kind=TimelineKind.PLAYBOOK,
        key=gettext_noop("%(who)s removed from the sitrep readers by %(user)s"),
        params={"who": label, "user": by.get_username()},
        actor=by,
    )


def recipient_label(recipient: SitrepRecipient) -> str:
    if recipient.kind == SitrepRecipient.Kind.EMAIL:
        return recipient.address
    # A webhook's address is a secret; its host and kind are enough to tell them apart.
    host = recipient.address.split("//", 1)[-1].split("/", 1)[0]
    return f"{recipient.get_kind_display()} ({host})"


def executive_leads(incident: Incident) -> list[User]:
    members = IncidentMember.objects.filter(
        incident=incident, crisis_role__slug=CrisisRoleSlug.EXECUTIVE_LEAD, user__is_active=True
    ).select_related("user")
    return list({m.user_id: m.user for m in members if m.user.email}.values())


def readers(incident: Incident) -> list[dict]:
    """Who gets the sitrep: the executive leads (by email), then the incident's list."""
    found = [
        {
            "target": f"user-{user.pk}",
            "user": user,
            "recipient": None,
            "kind": SitrepRecipient.Kind.EMAIL,
            "address": user.email,
        }
        for user in executive_leads(incident)
    ]
    found += [
        {
            "target": f"recipient-{r.pk}",
            "user": None,
            "recipient": r,
            "kind": r.kind,
            "address": r.address,
        }
        for r in SitrepRecipient.objects.filter(incident=incident)
    ]
    return found


# --- Queuing ----------------------------------------------------------------------------


def sitrep_queue(
    *, incident: Incident, period: str, by: User | None = None, now: datetime | None = None
) -> list[SitrepDelivery]:
    """One row per reader for ``period`` (existing rows are kept as they are); each
    new row is tried after commit."""
    now = now or timezone.now()
    created_rows = []
    for reader in readers(incident):
        with transaction.atomic():
            delivery, created = SitrepDelivery.objects.get_or_create(
                incident=incident,
                period=period,
                target=reader["target"],
                defaults={
                    "user": reader["user"],
                    "recipient": reader["recipient"],
                    "kind": reader["kind"],
                    "address": reader["address"],
                    "requested_by": by,
                    "created_at": now,
                    "next_attempt_at": now,
                },
            )
            if created:
                send_on_commit(events.sitrep_queued, sender=SitrepDelivery, delivery_id=delivery.pk)
                created_rows.append(delivery)
    return created_rows


def sitrep_send_now(*, incident: Incident, by: User, now: datetime | None = None) -> int:
    """Queue a report to every reader now; a second click in the same minute adds nothing."""
    require_act(by, incident)
    now = now or timezone.now()
    if not readers(incident):
        raise InvalidInput(
            _("Nobody gets this sitrep yet: assign an executive lead or add a reader below.")
        )
    with transaction.atomic():
        rows = sitrep_queue(
            incident=incident, period=f"{NOW_PREFIX}{int(now.timestamp()) // 60}", by=by, now=now
        )
        if rows:
            timeline_add(
                incident=incident,
                kind=TimelineKind.PLAYBOOK,
                key=gettext_noop("Sitrep sent by hand to %(n)s readers by %(user)s"),
                params={"n": len(rows), "user": by.get_username()},
                actor=by,
            )
    return len(rows)


def period_start(opened_at: datetime, every: int, now: datetime) -> datetime | None:
    """The start of the cadence period ``now`` is in; None in the first period (the
    opening alert has just told everyone) or when the cadence is off."""
    if not every or now < opened_at:
        return None
    periods = int((now - opened_at) // timedelta(minutes=every))
    if periods < 1:
        return None
    return opened_at + timedelta(minutes=every * periods)


def sitreps_queue_due(*, now: datetime | None = None) -> int:
    """Queue the current period of every active incident with its cadence on, and drop
    cadence reports still waiting for an incident that has been closed."""
    now = now or timezone.now()
    SitrepDelivery.objects.filter(
        status__in=RETRYABLE, period__startswith=EVERY_PREFIX, next_attempt_at__isnull=False
    ).exclude(incident__status__in=ACTIVE_STATUSES).update(
        status=AlertStatus.FAILED,
        next_attempt_at=None,
        error="The incident was closed before this report went out.",
    )
    plans = dict(SitrepPlan.objects.values_list("incident_id", "every_minutes"))
    queued = 0
    for incident in Incident.objects.filter(status__in=ACTIVE_STATUSES):
        start = period_start(incident.opened_at, plans.get(incident.pk, SITREP_DEFAULT_EVERY), now)
        if start is None:
            continue
        period = f"{EVERY_PREFIX}{int(start.timestamp())}"
        if SitrepDelivery.objects.filter(incident=incident, period=period).exists():
            continue  # this period is queued (readers added since wait for the next)
        queued += len(sitrep_queue(incident=incident, period=period, now=now))
    return queued


# --- Sending -----------------------------------------------------------------------------


def _message_id(delivery: SitrepDelivery) -> str:
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "localhost"
    return make_msgid(idstring=f"sitrep-{delivery.pk}", domain=domain)


def sitrep_claim(
    *, delivery_id: int | None = None, now: datetime | None = None, skip: set[int] | None = None
) -> SitrepDelivery | None:
    """Take one delivery to send (the given one, or the oldest due one) as "sending"."""
    pk = row_claim(
        SitrepDelivery,
        retryable=RETRYABLE,
        sending=AlertStatus.SENDING,
        now=now or timezone.now(),
        pk=delivery_id,
        skip=skip or (),
        changes=lambda row: {"message_id": row.message_id or _message_id(row)},
    )
    if pk is None:
        return None
    return SitrepDelivery.objects.select_related("incident__brand", "user", "recipient").get(pk=pk)


def reader_language_and_zone(delivery: SitrepDelivery) -> tuple[str, str]:
    if delivery.user is not None:
        return delivery.user.language or settings.LANGUAGE_CODE, delivery.user.time_zone
    recipient = delivery.recipient
    if recipient is None:
        return settings.LANGUAGE_CODE, "UTC"
    return recipient.language or settings.LANGUAGE_CODE, recipient.time_zone


def sitrep_deliver(*, delivery: SitrepDelivery, now: datetime | None = None) -> bool:
    """Send a claimed delivery and record what happened. True when sent."""
    language, zone = reader_language_and_zone(delivery)
    try:
        if delivery.kind == SitrepRecipient.Kind.EMAIL:
            message = sitrep_email(
                delivery.incident, to=delivery.address, language=language, zone=zone, now=now
            )
            message.extra_headers["Message-ID"] = delivery.message_id
            message.send()
        else:
            summary = sitrep_summary(delivery.incident, language=language, zone=zone, now=now)
            SITREP_NOTIFIERS[delivery.kind](delivery.address).send(summary)
    except WebhookRejected as exc:
        _record_failure(delivery, exc, retry=False, now=now)
        return False
    except (OSError, WebhookError) as exc:  # SMTPException is an OSError
        _record_failure(delivery, exc, retry=True, now=now)
        return False
    except Exception as exc:  # a bug must not leave the row "sending" until it is stale
        logger.exception("sitrep %s failed", delivery.pk)
        _record_failure(delivery, exc, retry=True, now=now)
        return False
    row_sent(SitrepDelivery, delivery, sending=AlertStatus.SENDING, sent=AlertStatus.SENT)
    return True


def _record_failure(
    delivery: SitrepDelivery, exc: BaseException, *, retry: bool, now: datetime | None
) -> None:
    logger.warning("sitrep %s (attempt %s) failed: %s", delivery.pk, delivery.attempts, exc)
    row_failed(
        SitrepDelivery,
        delivery,
        error=str(exc)[:1000],
        retry=retry,
        now=now or timezone.now(),
        retry_for=timedelta(seconds=settings.SITREP_RETRY_FOR_SECONDS),
        delay=retry_delay(delivery.attempts),
        sending=AlertStatus.SENDING,
        failed=AlertStatus.FAILED,
    )


def sitrep_send(*, delivery_id: int) -> bool:
    """Send this delivery now if it is pending or failed (not given up)."""
    delivery = sitrep_claim(delivery_id=delivery_id)
    return sitrep_deliver(delivery=delivery) if delivery is not None else False


def sitreps_recover_stale(*, now: datetime | None = None) -> int:
    """A "sending" row whose worker died may or may not have gone out: it is marked
    unconfirmed (with its Message-ID to look up), never sent again."""
    now = now or timezone.now()
    stale_before = now - timedelta(seconds=settings.ALERT_SENDING_STALE_SECONDS)
    with translation.override(settings.LANGUAGE_CODE):
        error = _(
            "The worker stopped while sending this report; it is not sent again so "
            "nobody gets it twice."
        )
    return SitrepDelivery.objects.filter(
        status=AlertStatus.SENDING, claimed_at__lt=stale_before
    ).update(status=AlertStatus.UNCONFIRMED, error=error, next_attempt_at=None)


def sitreps_sweep(*, now: datetime | None = None) -> int:
    """Periodic: queue what has come due, settle stale claims, send every due report
    (within a time budget; the next sweep goes on). Returns how many were sent."""
    sitreps_queue_due(now=now)
    sitreps_recover_stale(now=now)
    deadline = time.monotonic() + settings.ALERT_SWEEP_BUDGET_SECONDS
    sent = 0
    tried: set[int] = set()
    while time.monotonic() < deadline:
        delivery = sitrep_claim(now=now, skip=tried)
        if delivery is None:
            break
        tried.add(delivery.pk)
        sent += sitrep_deliver(delivery=delivery, now=now)
    return sent


def sitrep_history(incident: Incident, limit: int = 30) -> list[SitrepDelivery]:
    return list(
        SitrepDelivery.objects.filter(incident=incident).select_related("user", "recipient")[:limit]
    )
