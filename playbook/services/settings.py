"""Writes of the in-app settings pages: approval policies, message templates,
publishing targets, outgoing webhooks and the playbook template (steps, items,
bindings). Every one is for org admins only.

An incident's playbook is a copy made when it opens (runs.playbook_run_start), so
editing the template changes the playbook of incidents opened afterwards, never a
running one's: that is how the model works, and these writes keep it."""

from __future__ import annotations

from django.db import transaction
from django.db.models import F, Max
from django.forms import ModelForm
from django.utils.translation import gettext as _

from crisisroom.choices import ACTIVE_STATUSES
from crisisroom.models import OutgoingWebhook, User, Webhook
from foundation.validation import write_only_keep
from playbook.models import (
    ApprovalPolicy,
    ChecklistItemTemplate,
    MessageTemplate,
    PlaybookRun,
    PlaybookTemplate,
    PublishTarget,
    StepTemplate,
)
from playbook.permissions import require_admin
from playbook.services.base import TransitionRefused


@transaction.atomic
def setting_save(*, form: ModelForm, by: User) -> object:
    """Save a valid settings form (a policy, message template or playbook template's
    name): one write path for the simple ones."""
    require_admin(by)
    return form.save()


@transaction.atomic
def approval_policy_delete(*, policy: ApprovalPolicy, by: User) -> None:
    """Without a policy a level needs the default roles (selectors.DEFAULT_REQUIRED)."""
    require_admin(by)
    policy.delete()


@transaction.atomic
def message_template_delete(*, template: MessageTemplate, by: User) -> None:
    # A statement keeps its own copy of the text it started from: nothing points here.
    require_admin(by)
    template.delete()


@transaction.atomic
def credential_holder_save(
    *, form: ModelForm, by: User, secret_field: str = "secret"
) -> PublishTarget | OutgoingWebhook | Webhook:
    """Save a publishing target, an outgoing or an alert webhook; an empty secret (for
    an alert webhook: its URL, which holds the token) keeps the stored one (the page
    never shows it), a new one replaces it (rotation)."""
    require_admin(by)
    holder = form.save(commit=False)
    write_only_keep(holder, [secret_field], form.cleaned_data)
    holder.save()
    return holder


@transaction.atomic
def credential_holder_set_active(
    *, holder: PublishTarget | OutgoingWebhook | Webhook, active: bool, by: User
) -> None:
    """Disable rather than delete: publications and queued posts keep their target."""
    require_admin(by)
    holder.active = active
    holder.save(update_fields=["active"])


def _open_runs(template: PlaybookTemplate) -> list[int]:
    return list(
        PlaybookRun.objects.filter(
            template=template, incident__status__in=ACTIVE_STATUSES
        ).values_list("incident_id", flat=True)
    )


@transaction.atomic
def playbook_template_make_default(*, template: PlaybookTemplate, by: User) -> None:
    require_admin(by)
    PlaybookTemplate.objects.filter(is_default=True).exclude(pk=template.pk).update(
        is_default=False
    )
    template.is_default = True
    template.save(update_fields=["is_default"])


@transaction.atomic
def playbook_template_copy(*, template: PlaybookTemplate, by: User) -> PlaybookTemplate:
    """A new template with the same steps and items (to prepare a change)."""
    require_admin(by)
    copy = PlaybookTemplate.objects.create(name=_("Copy of %(name)s") % {"name": template.name})
    for step in template.steps.prefetch_related("items"):
        items = list(step.items.all())
        step.pk, step.template = None, copy
        step.save()
        for item in items:
            item.pk, item.step = None, step
        ChecklistItemTemplate.objects.bulk_create(items)
    return copy


@transaction.atomic
def playbook_template_delete(*, template: PlaybookTemplate, by: User) -> None:
    require_admin(by)
    if template.is_default:
        raise TransitionRefused(
            _(
                "This is the default playbook (new incidents start from it): make another one the default first."
            )
        )
    if incidents := _open_runs(template):
        raise TransitionRefused(
            _("Open incidents run this playbook (%(ids)s): resolve them first.")
            % {"ids": ", ".join(f"#{pk}" for pk in incidents)}
        )
    template.delete()


@transaction.atomic
def step_template_save(
    *, form: ModelForm, by: User, template: PlaybookTemplate | None = None
) -> StepTemplate:
    """Save a step; a new one goes last."""
    require_admin(by)
    step = form.save(commit=False)
    if step.pk is None:
        step.template = template
        last = template.steps.aggregate(n=Max("number"))["n"] if template else None
        step.number = (last or 0) + 1
    step.save()
    return step


def _renumber(template: PlaybookTemplate, order: list[StepTemplate]) -> None:
    # The numbers are unique per template: move every step out of the way first.
    StepTemplate.objects.filter(template=template).update(number=F("number") + 1000)
    for number, step in enumerate(order, start=1):
        StepTemplate.objects.filter(pk=step.pk).update(number=number)


def _swapped(rows: list, pk: int, up: bool) -> list:  # type: ignore[type-arg]
    """The rows with the one ``pk`` swapped with its neighbour before (up) or after it;
    at either end, unchanged."""
    index = next(i for i, row in enumerate(rows) if row.pk == pk)
    other = index - 1 if up else index + 1
    if 0 <= other < len(rows):
        rows[index], rows[other] = rows[other], rows[index]
    return rows


@transaction.atomic
def step_template_move(*, step: StepTemplate, up: bool, by: User) -> None:
    """Swap the step with the one before (up) or after it."""
    require_admin(by)
    template = PlaybookTemplate.objects.select_for_update().get(pk=step.template_id)
    order = _swapped(list(template.steps.order_by("number")), step.pk, up)
    _renumber(template, order)


@transaction.atomic
def step_template_delete(*, step: StepTemplate, by: User) -> None:
    require_admin(by)
    template = PlaybookTemplate.objects.select_for_update().get(pk=step.template_id)
    step.delete()
    _renumber(template, list(template.steps.order_by("number")))


@transaction.atomic
def checklist_item_save(
    *, form: ModelForm, by: User, step: StepTemplate | None = None
) -> ChecklistItemTemplate:
    """Save a checklist item; a new one goes last in its step."""
    require_admin(by)
    item = form.save(commit=False)
    if item.pk is None:
        item.step = step
        last = step.items.aggregate(n=Max("position"))["n"] if step else None
        item.position = 0 if last is None else last + 1
    item.save()
    return item


@transaction.atomic
def checklist_item_move(*, item: ChecklistItemTemplate, up: bool, by: User) -> None:
    """Swap the item with the one before (up) or after it in its step."""
    require_admin(by)
    StepTemplate.objects.select_for_update().get(pk=item.step_id)
    order = _swapped(list(ChecklistItemTemplate.objects.filter(step_id=item.step_id)), item.pk, up)
    for position, row in enumerate(order):
        if row.position != position:
            ChecklistItemTemplate.objects.filter(pk=row.pk).update(position=position)


@transaction.atomic
def checklist_item_delete(*, item: ChecklistItemTemplate, by: User) -> None:
    require_admin(by)
    item.delete()
