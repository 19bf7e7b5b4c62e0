"""The coach: each person's next actions in the war room, from the incident's state.

The rules are data (``coach_rules.json`` next to the playbook template): which crisis
roles a rule speaks to, a condition named here with its params, a message in each UI
language, and where the action is done. ``evaluate`` is pure: an incident snapshot
and a viewer in, a list of actions out. ``snapshot_for`` and ``viewer_for`` read the
database once; ``next_actions`` puts the three together for a page or the API.

Nobody is told to do what they may not do: the viewer carries the answers of the
playbook's permission helpers, and each condition checks the one its action needs.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.db.models import prefetch_related_objects
from django.urls import reverse
from django.utils import timezone, translation

from crisisroom.choices import CrisisRoleSlug, IncidentStatus
from crisisroom.models import Incident
from foundation.permissions import can_work_incidents
from playbook import selectors
from playbook.choices import ClaimStatus, StatementState
from playbook.models import MisinformationClaim
from playbook.permissions import can_act_on_playbook, incident_roles

RULES_PATH = Path(__file__).with_name("coach_rules.json")
LANGUAGES = ("en", "zh-hant")


# --- The state the rules read ---------------------------------------------------------


@dataclass(frozen=True)
class StatementFacts:
    id: int
    state: str
    submitted_at: datetime | None
    published_at: datetime | None
    missing_roles: tuple[str, ...]
    authors: frozenset[int]
    approvers: frozenset[int]  # who approved the current version


@dataclass(frozen=True)
class ClaimState:
    id: int
    claim: str
    status: str
    corrected: bool
    created_at: datetime


@dataclass(frozen=True)
class Snapshot:
    incident: int
    status: str
    opened_at: datetime
    now: datetime
    statements: tuple[StatementFacts, ...] = ()
    claims: tuple[ClaimState, ...] = ()

    @property
    def active(self) -> bool:
        return self.status in (IncidentStatus.OPEN, IncidentStatus.ACKNOWLEDGED)


@dataclass(frozen=True)
class Viewer:
    id: int
    roles: frozenset[str]
    can_act: bool  # may act on this incident's playbook (draft, approve, publish, ledger)
    can_work: bool  # may work incidents (acknowledge)
    language: str = "en"


@dataclass(frozen=True)
class Rule:
    id: str
    roles: tuple[str, ...]
    condition: str
    params: dict[str, Any]
    message: dict[str, str]
    link: str


@dataclass
class Action:
    rule: str
    role: str
    message: str
    link: str
    params: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "role": self.role,
            "message": self.message,
            "link": self.link,
            "params": self.params,
        }


# --- Conditions: each yields (role, placeholders, link kwargs) for a viewer ---------------

Match = tuple[str, dict[str, Any], dict[str, Any]]
Condition = Callable[[Snapshot, Viewer, set[str], dict[str, Any]], Iterator[Match]]


def _minutes(since: datetime | None, now: datetime) -> int:
    if since is None:
        return 0
    return max(0, int((now - since).total_seconds() // 60))


def statement_awaits_my_approval(
    snap: Snapshot, viewer: Viewer, roles: set[str], params: dict[str, Any]
) -> Iterator[Match]:
    """A submitted statement misses a role the viewer holds, and the viewer may approve
    it: on the team, not its author, not already an approver of this version."""
    if not viewer.can_act:
        return
    for s in snap.statements:
        if s.state != StatementState.SUBMITTED:
            continue
        if viewer.id in s.authors or viewer.id in s.approvers:
            continue
        mine = [r for r in s.missing_roles if r in roles]
        if mine:
            yield (
                mine[0],
                {"statement": s.id, "minutes": _minutes(s.submitted_at, snap.now)},
                {"statement": s.id},
            )


def statement_approved_unpublished(
    snap: Snapshot, viewer: Viewer, roles: set[str], params: dict[str, Any]
) -> Iterator[Match]:
    if not viewer.can_act or not snap.active:
        return
    for s in snap.statements:
        if s.state == StatementState.APPROVED:
            yield sorted(roles)[0], {"statement": s.id}, {"statement": s.id}


def incident_unacknowledged(
    snap: Snapshot, viewer: Viewer, roles: set[str], params: dict[str, Any]
) -> Iterator[Match]:
    if not viewer.can_work or snap.status != IncidentStatus.OPEN:
        return
    minutes = _minutes(snap.opened_at, snap.now)
    if minutes >= int(params.get("after_minutes", 0)):
        yield sorted(roles)[0], {"minutes": minutes}, {}


def no_statement_published(
    snap: Snapshot, viewer: Viewer, roles: set[str], params: dict[str, Any]
) -> Iterator[Match]:
    if not viewer.can_act or not snap.active:
        return
    if any(s.state == StatementState.PUBLISHED for s in snap.statements):
        return
    minutes = _minutes(snap.opened_at, snap.now)
    if minutes >= int(params.get("after_minutes", 30)):
        yield sorted(roles)[0], {"minutes": minutes}, {}


def false_claim_uncorrected(
    snap: Snapshot, viewer: Viewer, roles: set[str], params: dict[str, Any]
) -> Iterator[Match]:
    """A claim the ledger calls false with no correction recorded against it."""
    if not viewer.can_act or not snap.active:
        return
    statuses = set(params.get("statuses") or [ClaimStatus.FALSE])
    for c in snap.claims:
        if c.status in statuses and not c.corrected:
            text = c.claim if len(c.claim) <= 60 else c.claim[:59] + "…"
            yield sorted(roles)[0], {"claim": text, "claim_id": c.id}, {"claim": c.id}


CONDITIONS: dict[str, Condition] = {
    "statement_awaits_my_approval": statement_awaits_my_approval,
    "statement_approved_unpublished": statement_approved_unpublished,
    "incident_unacknowledged": incident_unacknowledged,
    "no_statement_published": no_statement_published,
    "false_claim_uncorrected": false_claim_uncorrected,
}


# --- Where each action is done -----------------------------------------------------------


def _link(target: str, incident: int, kwargs: dict[str, Any]) -> str:
    if target == "statement":
        return reverse("playbook:statement", args=[incident, kwargs["statement"]])
    if target == "war_room":
        return reverse("crisisroom:war-room", args=[incident]) + "#incident-status"
    if target == "statements":
        return reverse("playbook:page", args=[incident]) + "#coord-h"
    if target == "claims":
        return reverse("playbook:page", args=[incident]) + "#assess-h"
    raise ValueError(f"unknown link target {target!r}")


LINKS = ("statement", "war_room", "statements", "claims")


# --- Rules as data -------------------------------------------------------------------------


class RuleError(ValueError):
    """The rules file is not usable; the message says which rule and why."""


def parse_rules(data: Any) -> list[Rule]:
    if not isinstance(data, dict) or not isinstance(data.get("rules"), list):
        raise RuleError("The rules file must be an object with a list under 'rules'.")
    rules: list[Rule] = []
    seen: set[str] = set()
    for raw in data["rules"]:
        rid = raw.get("id") if isinstance(raw, dict) else None
        if not isinstance(rid, str) or not rid or rid in seen:
            raise RuleError(f"Every rule needs a unique id (got {rid!r}).")
        seen.add(rid)
        roles = raw.get("roles")
        if not roles or any(r not in CrisisRoleSlug.values for r in roles):
            raise RuleError(f"Rule {rid}: roles must be crisis role slugs.")
        if raw.get("condition") not in CONDITIONS:
            raise RuleError(f"Rule {rid}: unknown condition {raw.get('condition')!r}.")
        message = raw.get("message")
        if not isinstance(message, dict) or any(not message.get(lang) for lang in LANGUAGES):
            raise RuleError(f"Rule {rid}: a message in each of {', '.join(LANGUAGES)}.")
        if raw.get("link") not in LINKS:
            raise RuleError(f"Rule {rid}: link must be one of {', '.join(LINKS)}.")
        params = raw.get("params") or {}
        if not isinstance(params, dict):
            raise RuleError(f"Rule {rid}: params must be an object.")
        rules.append(
            Rule(
                id=rid,
                roles=tuple(roles),
                condition=raw["condition"],
                params=params,
                message=dict(message),
                link=raw["link"],
            )
        )
    return rules


@lru_cache(maxsize=4)
def _rules_cached(path: str, mtime: float) -> tuple[Rule, ...]:
    return tuple(parse_rules(json.loads(Path(path).read_text(encoding="utf-8"))))


def load_rules(path: Path = RULES_PATH) -> list[Rule]:
    """The rules file, re-read when an admin changes it."""
    return list(_rules_cached(str(path), path.stat().st_mtime))


# --- Evaluation -----------------------------------------------------------------------------


def _message(rule: Rule, language: str, values: dict[str, Any]) -> str:
    lang = (language or "en").lower()
    template = rule.message.get(lang) or rule.message["en"]
    return template.format(**values)


def evaluate(rules: list[Rule], snap: Snapshot, viewer: Viewer) -> list[Action]:
    """The viewer's next actions, in rule order: pure, no database."""
    actions: list[Action] = []
    for rule in rules:
        roles = set(rule.roles) & viewer.roles
        if not roles:
            continue
        for role, values, link_kwargs in CONDITIONS[rule.condition](
            snap, viewer, roles, rule.params
        ):
            actions.append(
                Action(
                    rule=rule.id,
                    role=role,
                    message=_message(rule, viewer.language, values),
                    link=_link(rule.link, snap.incident, link_kwargs),
                    params=values,
                )
            )
    return actions


# --- Reading the state --------------------------------------------------------------------


def snapshot_for(incident: Incident, now: datetime | None = None) -> Snapshot:
    policies = selectors._policy_roles()
    rows = selectors.statements_for(incident)
    prefetch_related_objects(rows, "versions")
    statements = []
    for s in rows:
        authors = {v.edited_by_id for v in s.versions.all()} | {s.created_by_id}
        authors.discard(None)
        statements.append(
            StatementFacts(
                id=s.pk,
                state=s.state,
                submitted_at=s.submitted_at,
                published_at=s.published_at,
                missing_roles=tuple(selectors.missing_roles(s, policies)),
                authors=frozenset(authors),  # type: ignore[arg-type]
                approvers=frozenset(a.user_id for a in s.approvals.all() if a.version == s.version),
            )
        )
    claims = tuple(
        ClaimState(
            id=c.pk,
            claim=c.claim,
            status=c.status,
            corrected=bool(c.correction.strip() or c.correction_url.strip()),
            created_at=c.created_at,
        )
        for c in MisinformationClaim.objects.filter(incident=incident)
    )
    return Snapshot(
        incident=incident.pk,
        status=incident.status,
        opened_at=incident.opened_at,
        now=now or timezone.now(),
        statements=tuple(statements),
        claims=claims,
    )


def viewer_for(user: Any, incident: Incident, language: str | None = None) -> Viewer:
    if user is None or not getattr(user, "is_authenticated", False):
        return Viewer(id=0, roles=frozenset(), can_act=False, can_work=False)
    return Viewer(
        id=user.pk,
        roles=frozenset(incident_roles(user, incident)),
        can_act=can_act_on_playbook(user, incident),
        can_work=can_work_incidents(user),
        language=(language or translation.get_language() or "en").lower(),
    )


def next_actions(
    incident: Incident, user: Any, *, language: str | None = None, now: datetime | None = None
) -> list[Action]:
    viewer = viewer_for(user, incident, language)
    if not viewer.roles:
        return []
    return evaluate(load_rules(), snapshot_for(incident, now), viewer)


def incident_detail_part(incident: Incident, viewer: Any = None) -> dict[str, Any]:
    """The coach's part of an incident's API detail: the token user's next actions."""
    return {"next_actions": [a.as_json() for a in next_actions(incident, viewer)]}
