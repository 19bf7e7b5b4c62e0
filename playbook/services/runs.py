"""The playbook run: its steps, their states and the checklists."""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from crisisroom.choices import TimelineKind
from crisisroom.models import Incident, User
from crisisroom.services.timeline import timeline_add
from crisisroom.timeline_text import every_language, message
from foundation.i18n import both, localized
from playbook.choices import StatementState, StepState, UpdateChannel
from playbook.models import (
    Assessment,
    ChannelUpdate,
    PlaybookRun,
    PlaybookTemplate,
    RunChecklistItem,
    RunStep,
    Statement,
)
from playbook.permissions import require_act
from playbook.services.base import push

logger = logging.getLogger(__name__)


@transaction.atomic
def playbook_run_start(*, incident: Incident) -> PlaybookRun | None:
    """Copy the default template into the incident (once); None when no template exists."""
    existing = PlaybookRun.objects.filter(incident=incident).first()
    if existing is not None:
        return existing
    template = PlaybookTemplate.objects.filter(is_default=True).first()
    if template is None:
        logger.warning("no default playbook template; incident %s has no playbook", incident.pk)
        return None
    run = PlaybookRun.objects.create(incident=incident, template=template)
    for step_t in template.steps.prefetch_related("items"):
        step = RunStep.objects.create(
            run=run,
            number=step_t.number,
            title=step_t.title,
            title_zh_hant=step_t.title_zh_hant,
            description=step_t.description,
            description_zh_hant=step_t.description_zh_hant,
            owner_role_id=step_t.owner_role_id,
            needs_approval=step_t.needs_approval,
        )
        RunChecklistItem.objects.bulk_create(
            RunChecklistItem(
                step=step,
                position=item.position,
                text=item.text,
                text_zh_hant=item.text_zh_hant,
                event=item.event,
                event_detail=item.event_detail,
            )
            for item in step_t.items.all()
        )
    Assessment.objects.get_or_create(incident=incident)
    ChannelUpdate.objects.bulk_create(
        ChannelUpdate(incident=incident, channel=channel) for channel in UpdateChannel.values
    )
    timeline_add(
        incident=incident,
        kind=TimelineKind.PLAYBOOK,
        key=gettext_noop("Playbook started from “%(name)s”"),
        params={"name": message(template.name)},
    )
    return run


def step_state_refresh(step: RunStep) -> str:
    items = list(step.items.all())
    done = sum(item.done for item in items)
    if items and done == len(items):
        state = StepState.DONE
        if step.needs_approval and not step_approval_met(step):
            state = StepState.IN_PROGRESS
    elif done:
        state = StepState.IN_PROGRESS
    else:
        state = StepState.PENDING
    if state != step.state:
        step.state = state
        step.completed_at = timezone.now() if state == StepState.DONE else None
        step.save(update_fields=["state", "completed_at"])
    return state


def step_approval_met(step: RunStep) -> bool:
    """Step 3 is done once a statement is approved; step 4 once one is published."""
    incident_id = step.run.incident_id
    wanted = (
        [StatementState.PUBLISHED]
        if step.number >= 4
        else [StatementState.APPROVED, StatementState.PUBLISHED]
    )
    return Statement.objects.filter(incident_id=incident_id, state__in=wanted).exists()


@transaction.atomic
def checklist_item_set(*, item: RunChecklistItem, done: bool, by: User) -> RunChecklistItem:
    item = (
        RunChecklistItem.objects.select_for_update()
        .select_related("step__run__incident")
        .get(pk=item.pk)
    )
    require_act(by, item.step.run.incident)
    if item.done == done:
        return item
    _item_set(item, done=done, by=by)
    return item


@transaction.atomic
def checklist_items_tick_for(
    *, incident: Incident, event: str, detail: str = "", by: User | None = None
) -> list[RunChecklistItem]:
    """Tick the incident's unticked items bound to ``event`` (and to ``detail``, a role
    or a channel, when the item names one), as done by ``by`` now. Returns them."""
    items = list(
        RunChecklistItem.objects.select_for_update()
        .select_related("step__run__incident")
        .filter(step__run__incident=incident, event=event, done=False)
        .order_by("step__number", "position", "pk")
    )
    ticked = [i for i in items if not i.event_detail or i.event_detail == detail]
    for item in ticked:
        _item_set(item, done=True, by=by, auto=True)
    return ticked


def _item_set(item: RunChecklistItem, *, done: bool, by: User | None, auto: bool = False) -> None:
    step = item.step
    incident = step.run.incident
    item.done = done
    item.done_by = by if done else None
    item.done_at = timezone.now() if done else None
    item.save(update_fields=["done", "done_by", "done_at"])
    state = step_state_refresh(step)
    if auto:
        key = gettext_noop("Step %(n)s: “%(item)s” ticked itself")
    elif done:
        key = gettext_noop("Step %(n)s: ticked “%(item)s”")
    else:
        key = gettext_noop("Step %(n)s: unticked “%(item)s”")
    timeline_add(
        incident=incident,
        kind=TimelineKind.PLAYBOOK,
        key=key,
        params={"n": step.number, "item": every_language(lambda: localized(item, "text"))},
        actor=by,
    )
    push(incident, item_payload(item, step=step, step_state=state))


def item_payload(item: RunChecklistItem, *, step: RunStep, step_state: str) -> dict:
    """The live event's shape, which is also what the item partial renders (the texts in
    both languages: each socket renders its viewer's)."""
    return {
        "type": "playbook.item",
        "incident": step.run.incident_id,
        "item": item.pk,
        **both(item, "text"),
        "done": item.done,
        "by": item.done_by.get_username() if item.done and item.done_by else "",
        "at": item.done_at.isoformat() if item.done and item.done_at else "",
        "event": item.event,
        "step": step.pk,
        "step_number": step.number,
        "step_state": step_state,
        **both(step, "title"),
    }


def approval_steps_refresh(incident: Incident) -> None:
    for step in RunStep.objects.filter(run__incident=incident, needs_approval=True):
        state = step_state_refresh(step)
        push(
            incident,
            {
                "type": "playbook.step",
                "incident": incident.pk,
                "step": step.pk,
                "step_number": step.number,
                "step_state": state,
                **both(step, "title"),
            },
        )
