"""The war room's playbook panel and labels for states and roles."""

from __future__ import annotations

from typing import Any

from django import template

from crisisroom.choices import CrisisRoleSlug
from crisisroom.models import Incident
from crisisroom.platform.i18n import both, localized
from monitoring.forms import LANGUAGE_LABELS
from playbook import selectors
from playbook.choices import StatementState, StepState

register = template.Library()


@register.filter
def language_label(code: str) -> str:
    """``zh-hant`` → 繁體中文 / Traditional Chinese."""
    return str(LANGUAGE_LABELS.get(code, code))


@register.filter(name="localized")
def localized_filter(obj: Any, field: str) -> str:
    """``{{ step|localized:"title" }}``: the field in the viewer's language."""
    return localized(obj, field)


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
            **both(step, "title", "description"),
            "owner_role": step.owner_role.slug,
            "owner_label": step.owner_role.label,
            "needs_approval": step.needs_approval,
            "items": [
                {
                    "item": item.pk,
                    **both(item, "text"),
                    "done": item.done,
                    "by": item.done_by.get_username() if item.done_by else "",
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


@register.inclusion_tag("playbook/partials/panel.html#panel")
def playbook_panel(incident: Incident) -> dict[str, Any]:
    return panel_context(incident)
