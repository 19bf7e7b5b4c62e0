from __future__ import annotations

from smtplib import SMTPException

from celery import shared_task

from playbook.publishers import PublishError
from playbook.services.publishing import publication_retry
from playbook.services.scheduled import scheduled_posts_sweep
from playbook.services.team import member_notify


@shared_task(
    autoretry_for=(SMTPException, OSError),
    retry_backoff=True,
    retry_jitter=True,
    max_retries=5,
)
def member_notify_task(member_id: int) -> bool:
    return member_notify(member_id=member_id)


@shared_task(
    autoretry_for=(PublishError,),
    retry_backoff=True,
    retry_jitter=True,
    max_retries=5,
)
def publication_retry_task(publication_id: int) -> bool:
    """Only errors worth retrying reach Celery's retry; the others are recorded and dropped."""
    return publication_retry(publication_id=publication_id)


@shared_task(acks_late=True)
def scheduled_posts_sweep_task() -> int:
    """Periodic, and after commit when a post is due: publish the due posts. Safe to
    run twice at once (rows are taken with skip_locked)."""
    return scheduled_posts_sweep()
