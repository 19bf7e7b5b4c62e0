"""What every playbook write shares: its errors and the live push to the war room."""

from __future__ import annotations

from collections.abc import Iterable

from crisisroom import events
from crisisroom.choices import CrisisRoleSlug
from crisisroom.models import Incident
from playbook import selectors
from playbook.models import Statement


class TransitionRefused(Exception):
    """The state does not allow this (the API answers 409 with the message)."""


class InvalidInput(ValueError):
    """The caller sent something unusable (the API answers 400)."""


def push(incident: Incident, payload: dict) -> None:
    events.broadcast_on_commit(incident.group_name, payload)


def push_statement(statement: Statement, *, new: bool = False) -> None:
    payload = {"type": "statement.updated", "incident": statement.incident_id, "new": new}
    payload.update(selectors.statement_json(statement))
    push(statement.incident, payload)


def roles_named(slugs: Iterable[str]) -> str:
    """Crisis roles by name in the reader's language ("Legal counsel, Executive lead"),
    never by code; a slug no role has is shown as sent."""
    names = []
    for slug in slugs:
        try:
            names.append(str(CrisisRoleSlug(slug).label))
        except ValueError:
            names.append(str(slug))
    return ", ".join(names)
