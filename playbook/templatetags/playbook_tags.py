"""The war room's playbook panel and labels for states and roles."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import template
from django.template.loader import render_to_string

from crisisroom.choices import CrisisRoleSlug
from crisisroom.models import Incident
from foundation.i18n import both, localized
from monitoring.forms import LANGUAGE_LABELS
from playbook import coach, selectors, targets
from playbook.choices import StatementState, StepState, WorkEvent
from playbook.drill_grading import verdict_text
from playbook.permissions import can_act_on_playbook, incident_roles

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
                    "incident": incident.pk,
                    "item": item.pk,
                    **both(item, "text"),
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


# --- The coach: this viewer's next actions ----------------------------------------------

NEXT_ACTIONS = "playbook/partials/next_actions.html"


def next_actions_context(incident: Incident, user: Any) -> dict[str, Any]:
    actions = coach.next_actions(incident, user)
    return {
        "incident": incident,
        "next_actions": actions,
        "has_role": bool(incident_roles(user, incident)),
    }


@register.inclusion_tag(NEXT_ACTIONS + "#next-actions", takes_context=True)
def playbook_next_actions(context: dict[str, Any], incident: Incident) -> dict[str, Any]:
    return next_actions_context(incident, context.get("user"))


def next_actions_oob(incident_id: int, user: Any) -> str:
    """The panel again for one viewer, swapped out of band by the war room's socket."""
    incident = Incident.objects.filter(pk=incident_id).first()
    if incident is None:
        return ""
    context = {**next_actions_context(incident, user), "oob": True}
    return render_to_string(NEXT_ACTIONS + "#next-actions", context)


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


# --- Response targets: the war room's timers ---------------------------------------------

TARGETS = "playbook/partials/targets.html"


def targets_context(incident: Incident) -> dict[str, Any]:
    definitions, facts = targets.incident_state(incident)
    return {
        "incident": incident,
        "target_rows": targets.evaluate(definitions, facts),
        "speed": facts.speed,
    }


@register.inclusion_tag(TARGETS + "#targets", takes_context=True)
def playbook_targets(context: dict[str, Any], incident: Incident) -> dict[str, Any]:
    return targets_context(incident)


def targets_oob(incident_id: int, user: Any) -> str:
    """The timers again (a statement went out, the incident was acknowledged, …),
    swapped out of band by the war room's socket."""
    incident = Incident.objects.filter(pk=incident_id).first()
    if incident is None:
        return ""
    return render_to_string(TARGETS + "#targets", {**targets_context(incident), "oob": True})


@register.inclusion_tag(TARGETS + "#target-table")
def target_table(rows: list[Any]) -> dict[str, Any]:
    """The target table of a review or a drill report."""
    return {"target_rows": rows}


@register.filter
def verdict(entry: dict[str, Any]) -> str:
    """A drill's result on a target against the last drill: "better (4 min)"."""
    return verdict_text(entry)


@register.simple_tag(takes_context=True)
def mention_reply(context: template.Context, mention: Any) -> str:
    """In a feed row: "answered by sam, 02:14" once the team replied, and the link to
    answer it. The same for every viewer (pushed rows are rendered once for all)."""
    incident = context.get("incident")
    incident_id = incident.pk if isinstance(incident, Incident) else incident
    if not incident_id:
        return ""
    mention_id = mention["id"] if isinstance(mention, dict) else mention.pk
    answered = None
    if isinstance(incident, Incident):  # a page render; a pushed row is always new
        if not hasattr(incident, "_replies_by_mention"):
            incident._replies_by_mention = selectors.replies_by_mention(incident)  # type: ignore[attr-defined]
        answered = incident._replies_by_mention.get(mention_id)  # type: ignore[attr-defined]
    return render_to_string(
        "playbook/partials/mention_reply.html",
        {"incident_id": incident_id, "mention_id": mention_id, "answered": answered},
    )


def explorer_reply_parts(mentions: Any) -> dict[int, str]:
    """The explorer's row: "answered by …" and Reply (into the brand's newest active
    incident), for a page of mentions in two queries (monitoring.row_extras)."""
    incidents = selectors.active_incident_by_brand({m.brand_id for m in mentions if m.brand_id})
    answered = selectors.replies_for_mentions([m.pk for m in mentions])
    out = {}
    for mention in mentions:
        incident_id = incidents.get(mention.brand_id)
        if incident_id or mention.pk in answered:
            out[mention.pk] = render_to_string(
                "playbook/partials/mention_reply.html",
                {
                    "incident_id": incident_id,
                    "mention_id": mention.pk,
                    "answered": answered.get(mention.pk),
                },
            )
    return out
