from __future__ import annotations

from smtplib import SMTPException

from celery import shared_task

from crisisroom.services import alert_send, chat_notify


@shared_task(
    autoretry_for=(SMTPException, OSError),
    retry_backoff=True,
    retry_jitter=True,
    max_retries=5,
)
def alert_send_task(alert_id: int) -> bool:
    return alert_send(alert_id=alert_id)


@shared_task(
    autoretry_for=(SMTPException, OSError), retry_backoff=True, retry_jitter=True, max_retries=3
)
def chat_notify_task(message_id: int) -> int:
    return chat_notify(message_id=message_id)


@shared_task
def drills_tick_task() -> int:
    """Periodic: every running drill delivers what has come due."""
    from crisisroom.drills import drill_tick
    from crisisroom.models import Drill

    ids = list(Drill.objects.filter(status=Drill.Status.RUNNING).values_list("pk", flat=True))
    return sum(drill_tick(drill_id=pk) for pk in ids)
