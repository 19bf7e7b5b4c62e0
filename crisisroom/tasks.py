from __future__ import annotations

import logging
from smtplib import SMTPException

from celery import shared_task

from crisisroom.drills import drill_tick
from crisisroom.models import Drill
from crisisroom.notifiers import WebhookRejected, WebhookTemporaryError
from crisisroom.retention import mentions_retention_apply
from crisisroom.services.alerts import alert_send, alerts_escalate
from crisisroom.services.chat import chat_notify

logger = logging.getLogger(__name__)


@shared_task(
    autoretry_for=(SMTPException, OSError, WebhookTemporaryError),
    retry_backoff=True,
    retry_jitter=True,
    max_retries=5,
)
def alert_send_task(alert_id: int) -> bool:
    """Idempotent: a sent alert is never sent again. A refused webhook is not retried
    (the failure stays on the alert for the incident's alerts page)."""
    try:
        return alert_send(alert_id=alert_id)
    except WebhookRejected:
        logger.warning("webhook refused alert %s; not retrying", alert_id)
        return False


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
    """Periodic: every running drill delivers what has come due."""
    ids = list(Drill.objects.filter(status=Drill.Status.RUNNING).values_list("pk", flat=True))
    return sum(drill_tick(drill_id=pk) for pk in ids)


@shared_task
def mentions_retention_apply_task() -> int:
    """Periodic: delete raw mentions past MENTION_RETENTION_DAYS, in batches."""
    return mentions_retention_apply()
