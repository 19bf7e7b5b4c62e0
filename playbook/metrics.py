"""The figures both reports share (the post-crisis review and a drill's after-action
report), each computed by one function here, from the incident's real milestones."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Count, Q

from crisisroom.models import Incident
from playbook.models import RunChecklistItem


def seconds_between(start: datetime | None, end: datetime | None) -> int | None:
    """Whole seconds from ``start`` to ``end``; None when either is missing, never negative."""
    if start is None or end is None:
        return None
    return max(0, int((end - start).total_seconds()))


def time_to_detect(incident: Incident, since: datetime | None = None) -> int | None:
    """From the crisis's start (a drill passes its own start) to the incident opening."""
    return seconds_between(since or incident.started_at, incident.opened_at)


def time_to_acknowledge(incident: Incident) -> int | None:
    return seconds_between(incident.opened_at, incident.acknowledged_at)


def time_to_first_response(incident: Incident) -> int | None:
    """To the first published statement (``first_response_at`` is set when one is)."""
    return seconds_between(incident.opened_at, incident.first_response_at)


def time_to_resolve(incident: Incident) -> int | None:
    return seconds_between(incident.opened_at, incident.resolved_at)


def checklist_progress(incident: Incident) -> tuple[int, int]:
    """(items done, items in all) of the incident's playbook run."""
    counts = RunChecklistItem.objects.filter(step__run__incident=incident).aggregate(
        total=Count("pk"), done=Count("pk", filter=Q(done=True))
    )
    return counts["done"], counts["total"]
