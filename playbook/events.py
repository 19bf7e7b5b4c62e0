"""What playbook services announce to the worker (Django signals, sent on commit;
``playbook/receivers.py`` queues the tasks, connected in ``PlaybookConfig.ready``)."""

from __future__ import annotations

from typing import Any

from django.dispatch import Signal

# A member (``member_id``) joined an incident's team and has an email to hear it on.
member_assigned = Signal()
# A publication (``publication_id``) failed in a way another try may mend.
publication_retry_wanted = Signal()
# A scheduled post is due now (queued for now, or posting resumed): sweep the queue.
scheduled_posts_due = Signal()
# Work was done on an incident's playbook (``incident``, ``event``: a WorkEvent value,
# ``detail``: a role or channel, ``by``: a user or None). Sent inside the transaction
# of the work, as ``incident_opened`` is, so the checklist item it ticks (receivers.py)
# commits or rolls back with the work.
work_recorded = Signal()
# A situation report (``delivery_id``) is queued for one reader: try it at once.
sitrep_queued = Signal()


def work_record(*, incident: Any, event: str, by: Any = None, detail: str = "") -> None:
    work_recorded.send(sender=None, incident=incident, event=event, detail=detail, by=by)
