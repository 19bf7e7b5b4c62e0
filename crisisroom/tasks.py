from __future__ import annotations

from smtplib import SMTPException

from celery import shared_task

from crisisroom.services import alert_send


@shared_task(
    autoretry_for=(SMTPException, OSError),
    retry_backoff=True,
    retry_jitter=True,
    max_retries=5,
)
def alert_send_task(alert_id: int) -> bool:
    return alert_send(alert_id=alert_id)
