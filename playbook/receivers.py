"""What the playbook does when the floors below announce something. Connected in
``PlaybookConfig.ready``."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from crisisroom.events import alerts_sweeping, incident_opened, member_joined
from playbook import events as playbook_events
from playbook import targets
from playbook.choices import WorkEvent
from playbook.services.cadence import update_reminders_queue
from playbook.services.runs import checklist_items_tick_for, playbook_run_start
from playbook.tasks import (
    member_notify_task,
    publication_retry_task,
    scheduled_posts_sweep_task,
    sitrep_send_task,
)


def on_incident_opened(sender: Any, *, incident: Any, **kwargs: Any) -> None:
    playbook_run_start(incident=incident)


def on_member_assigned(sender: Any, *, member_id: int, **kwargs: Any) -> None:
    member_notify_task.delay(member_id)


def on_publication_retry_wanted(sender: Any, *, publication_id: int, **kwargs: Any) -> None:
    publication_retry_task.delay(publication_id)


def on_scheduled_posts_due(sender: Any, **kwargs: Any) -> None:
    scheduled_posts_sweep_task.delay()


def on_sitrep_queued(sender: Any, *, delivery_id: int, **kwargs: Any) -> None:
    sitrep_send_task.delay(delivery_id)


def on_member_joined(sender: Any, *, member: Any, by: Any, **kwargs: Any) -> None:
    checklist_items_tick_for(
        incident=member.incident,
        event=WorkEvent.MEMBER_ASSIGNED,
        detail=member.crisis_role.slug,
        by=by,
    )


def on_work_recorded(
    sender: Any, *, incident: Any, event: str, detail: str, by: Any, **kwargs: Any
) -> None:
    checklist_items_tick_for(incident=incident, event=event, detail=detail, by=by)


def on_alerts_sweeping(sender: Any, *, now: Any = None, **kwargs: Any) -> None:
    update_reminders_queue(now=now)
    targets.targets_record_all(now=now)


def on_work_recorded_targets(sender: Any, *, incident: Any, event: str, **kwargs: Any) -> None:
    # A published statement decides targets now, not at the next sweep.
    if event == WorkEvent.STATEMENT_PUBLISHED:
        transaction.on_commit(lambda: targets.targets_record(incident_id=incident.pk))


def connect() -> None:
    alerts_sweeping.connect(on_alerts_sweeping, dispatch_uid="playbook.update-reminders")
    incident_opened.connect(on_incident_opened, dispatch_uid="playbook.run")
    member_joined.connect(on_member_joined, dispatch_uid="playbook.member-checklist")
    playbook_events.work_recorded.connect(on_work_recorded, dispatch_uid="playbook.checklist")
    playbook_events.work_recorded.connect(on_work_recorded_targets, dispatch_uid="playbook.targets")
    playbook_events.member_assigned.connect(
        on_member_assigned, dispatch_uid="playbook.member-notify"
    )
    playbook_events.scheduled_posts_due.connect(
        on_scheduled_posts_due, dispatch_uid="playbook.scheduled-posts-sweep"
    )
    playbook_events.sitrep_queued.connect(on_sitrep_queued, dispatch_uid="playbook.sitrep-send")
    playbook_events.publication_retry_wanted.connect(
        on_publication_retry_wanted, dispatch_uid="playbook.publication-retry"
    )
