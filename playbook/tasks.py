from __future__ import annotations

from smtplib import SMTPException

from celery import shared_task

from playbook.services import member_notify


@shared_task(
    autoretry_for=(SMTPException, OSError),
    retry_backoff=True,
    retry_jitter=True,
    max_retries=5,
)
def member_notify_task(member_id: int) -> bool:
    return member_notify(member_id=member_id)
