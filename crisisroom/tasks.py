from __future__ import annotations

import logging
from smtplib import SMTPException

from celery import shared_task

from crisisroom.notifiers import WebhookRejected, WebhookTemporaryError
from crisisroom.services import alert_send, alerts_escalate

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
