"""The war room's playbook panel and labels for states and roles."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import template

from crisisroom.choices import CrisisRoleSlug
from crisisroom.models import Incident
from playbook import selectors
from playbook.choices import StatementState, StepState, WorkEvent
from playbook.permissions import can_act_on_playbook

register = template.Library()


@register.filter
def statement_state_label(value: str) -> str:
    try:
        return str(StatementState(value).label)
    except ValueError:
        return value


@register.filter
def step_state_label(value: str) -> str:
    try:
        return str(StepState(value).label)
    except ValueError:
        return value


@register.filter
def role_label(value: str) -> str:
    try:
        return str(CrisisRoleSlug(value).label)
    except ValueError:
        return value


def panel_steps(incident: Incident) -> list[dict[str, Any]]:
    """The run's steps in the shape the live events carry."""
    return [
        {
            "step": step.pk,
            "step_number": step.number,
            "step_state": step.state,
            "title": step.title,
            "owner_role": step.owner_role.slug,
            "owner_label": step.owner_role.label,
            "description": step.description,
            "needs_approval": step.needs_approval,
            "items": [
                {
                    "incident": incident.pk,
                    "item": item.pk,
                    "text": item.text,
                    "done": item.done,
                    "by": item.done_by.get_username() if item.done_by else "",
                    "at": item.done_at.isoformat() if item.done and item.done_at else "",
                    "event": item.event,
                }
                for item in step.items.all()
            ],
        }
        for step in selectors.run_steps(incident)
    ]


def panel_context(incident: Incident) -> dict[str, Any]:
    """The same dict shapes the live events carry, so one partial renders both."""
    return {
        "incident": incident,
        "pb_steps": panel_steps(incident),
        "pb_statements": selectors.statements_json(incident),
    }


@register.filter
def work_event_label(value: str) -> str:
    try:
        return str(WorkEvent(value).label)
    except ValueError:
        return value


@register.filter
def iso_time(value: str) -> datetime | None:
    """An ISO 8601 string from a live event back to a datetime the ``time`` filters take."""
    try:
        return datetime.fromisoformat(value) if value else None
    except ValueError:
        return None


@register.inclusion_tag("playbook/partials/panel.html#panel", takes_context=True)
def playbook_panel(context: dict[str, Any], incident: Incident) -> dict[str, Any]:
    user = context.get("user")
    return {**panel_context(incident), "can_act": can_act_on_playbook(user, incident)}


@register.inclusion_tag("playbook/partials/cadence.html", takes_context=True)
def playbook_cadence(context: dict[str, Any], incident: Incident) -> dict[str, Any]:
    """The war room's "next public update due in …" line (pushed live as cadence.updated)."""
    user = context.get("user")
    return {
        "incident": incident,
        "cadence": selectors.update_due(incident),
        "can_set": can_act_on_playbook(user, incident),
        "csrf_token": context.get("csrf_token"),
    }
