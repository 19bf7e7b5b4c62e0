from __future__ import annotations

import logging
from smtplib import SMTPException

from celery import shared_task

from crisisroom.drills import drill_tick, surprise_drills_start_due
from crisisroom.idempotency import idempotency_keys_purge
from crisisroom.models import Drill
from crisisroom.retention import mentions_retention_apply
from crisisroom.services.alert_delivery import alert_send, alerts_sweep
from crisisroom.services.alerts import alerts_escalate
from crisisroom.services.chat import chat_notify
from crisisroom.services.outgoing import outgoing_send, outgoing_sweep

logger = logging.getLogger(__name__)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def alert_send_task(alert_id: int) -> bool:
    """The first try right after commit. Idempotent: the row is claimed before
    sending, so a redelivered message finds it sent (or sending) and does nothing.
    No Celery retries: a failure is recorded on the row with its next attempt, and
    alerts_sweep_task does the retries (they survive a worker or broker restart)."""
    return alert_send(alert_id=alert_id)


@shared_task(acks_late=True)
def alerts_sweep_task() -> int:
    """Periodic (every minute): send every due alert, settle stale claims."""
    return alerts_sweep()


@shared_task
def idempotency_keys_purge_task() -> int:
    """Periodic: forget Idempotency-Key answers older than IDEMPOTENCY_KEY_HOURS."""
    return idempotency_keys_purge()


@shared_task
def alerts_escalate_task() -> int:
    """Periodic: page the next on-call person for unacknowledged incidents."""
    return len(alerts_escalate())


@shared_task(
    autoretry_for=(SMTPException, OSError), retry_backoff=True, retry_jitter=True, max_retries=3
)
def chat_notify_task(message_id: int) -> int:
    return chat_notify(message_id=message_id)


@shared_task
def drills_tick_task() -> int:
    """Periodic: start the surprise drills whose moment has come, then every running
    drill delivers what has come due."""
    surprise_drills_start_due()
    ids = list(Drill.objects.filter(status=Drill.Status.RUNNING).values_list("pk", flat=True))
    return sum(drill_tick(drill_id=pk) for pk in ids)


@shared_task
def mentions_retention_apply_task() -> int:
    """Periodic: delete raw mentions past MENTION_RETENTION_DAYS, in batches."""
    return mentions_retention_apply()


@shared_task(acks_late=True, reject_on_worker_lost=True)
def outgoing_send_task(delivery_id: int) -> bool:
    """The first try of an outgoing webhook event; retries are the sweep's."""
    return outgoing_send(delivery_id=delivery_id)


@shared_task(acks_late=True)
def outgoing_sweep_task() -> int:
    """Periodic: send every due outgoing webhook event."""
    return outgoing_sweep()
