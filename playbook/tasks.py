from __future__ import annotations

from smtplib import SMTPException

from celery import shared_task

from playbook.publishers import PublishError
from playbook.services.publishing import publication_retry
from playbook.services.scheduled import scheduled_posts_sweep
from playbook.services.sitrep import sitrep_send, sitreps_sweep
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


@shared_task(acks_late=True, reject_on_worker_lost=True)
def sitrep_send_task(delivery_id: int) -> bool:
    """The first try of one reader's sitrep, right after commit. Idempotent: the row is
    claimed before sending; retries are the sweep's (they survive restarts)."""
    return sitrep_send(delivery_id=delivery_id)


@shared_task(acks_late=True)
def sitreps_sweep_task() -> int:
    """Periodic (every minute): queue due situation reports, send and retry them."""
    return sitreps_sweep()
