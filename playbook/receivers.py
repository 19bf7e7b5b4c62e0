"""What the playbook does when the floors below announce something. Connected in
``PlaybookConfig.ready``."""

from __future__ import annotations

from typing import Any

from crisisroom.events import incident_opened
from playbook import events as playbook_events
from playbook.services.runs import playbook_run_start
from playbook.tasks import member_notify_task, publication_retry_task


def on_incident_opened(sender: Any, *, incident: Any, **kwargs: Any) -> None:
    playbook_run_start(incident=incident)


def on_member_assigned(sender: Any, *, member_id: int, **kwargs: Any) -> None:
    member_notify_task.delay(member_id)


def on_publication_retry_wanted(sender: Any, *, publication_id: int, **kwargs: Any) -> None:
    publication_retry_task.delay(publication_id)


def connect() -> None:
    incident_opened.connect(on_incident_opened, dispatch_uid="playbook.run")
    playbook_events.member_assigned.connect(
        on_member_assigned, dispatch_uid="playbook.member-notify"
    )
    playbook_events.publication_retry_wanted.connect(
        on_publication_retry_wanted, dispatch_uid="playbook.publication-retry"
    )
