"""The permission matrix: every action × every role, through services, the API and
the pages. Allowed calls must take effect; refused ones must change nothing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from foundation.permissions import PermissionDenied
from playbook.models import Assessment, OutboundPause, RunChecklistItem, Statement
from playbook.services import assessment, publishing, runs, statements, team
from playbook.tests.conftest import Cast, approved, drafted, submitted

ACTORS = [
    "admin",
    "incident_lead",
    "social_media_manager",
    "pr_lead",
    "legal_counsel",
    "hr_representative",
    "executive_lead",
    "outsider",
    "viewer",
    "viewer_on_team",
    "no_role",
]
TEAM = {
    "admin",
    "incident_lead",
    "social_media_manager",
    "pr_lead",
    "legal_counsel",
    "hr_representative",
    "executive_lead",
}
APPROVERS = {"legal_counsel", "executive_lead"}
READERS = set(ACTORS) - {"no_role"}


@dataclass
class Action:
    allowed: set[str]
    setup: Callable[[Cast], Any]
    service: Callable[[Cast, Any, Any], Any]
    done: Callable[[Cast, Any], bool]
    api: Callable[[Cast, Any], tuple[str, str, dict]] | None = None
    view: Callable[[Cast, Any], tuple[str, str, dict]] | None = None


def _first_item(cast: Cast) -> RunChecklistItem:
    return RunChecklistItem.objects.filter(step__run__incident=cast.incident, event="").first()


def _state(s: Statement) -> str:
    return Statement.objects.get(pk=s.pk).state


ACTIONS: dict[str, Action] = {
    "read": Action(
        READERS,
        setup=drafted,
        service=lambda c, s, u: None,
        done=lambda c, s: True,
        api=lambda c, s: ("get", f"/api/v1/statements/{s.pk}", {}),
        view=lambda c, s: ("get", f"/incidents/{c.incident.pk}/playbook/", {}),
    ),
    "tick": Action(
        TEAM,
        setup=_first_item,
        service=lambda c, item, u: runs.checklist_item_set(item=item, done=True, by=u),
        done=lambda c, item: RunChecklistItem.objects.get(pk=item.pk).done,
        view=lambda c, item: (
            "post",
            f"/incidents/{c.incident.pk}/playbook/items/{item.pk}/toggle/",
            {},
        ),
    ),
    "assign": Action(
        TEAM,
        setup=lambda c: None,
        service=lambda c, _, u: team.team_member_add(
            incident=c.incident, user=c["outsider"], crisis_role="legal_counsel", by=u
        ),
        done=lambda c, _: c.incident.members.filter(user=c["outsider"]).exists(),
        api=lambda c, _: (
            "post",
            f"/api/v1/incidents/{c.incident.pk}/members",
            {"username": "olivia", "crisis_role": "legal_counsel"},
        ),
        view=lambda c, _: (
            "post",
            f"/incidents/{c.incident.pk}/playbook/team/",
            {"username": "olivia", "crisis_role": "legal_counsel"},
        ),
    ),
    "assess": Action(
        TEAM,
        setup=lambda c: None,
        service=lambda c, _, u: assessment.assessment_update(
            incident=c.incident, by=u, classification="product_issue"
        ),
        done=lambda c, _: (
            Assessment.objects.get(incident=c.incident).classification == "product_issue"
        ),
        view=lambda c, _: (
            "post",
            f"/incidents/{c.incident.pk}/playbook/assessment/",
            {"classification": "product_issue", "response_level": "statement"},
        ),
    ),
    "draft": Action(
        TEAM,
        setup=lambda c: None,
        service=lambda c, _, u: statements.statement_create(
            incident=c.incident, by=u, body="We are sorry."
        ),
        done=lambda c, _: c.incident.statements.exists(),
        api=lambda c, _: (
            "post",
            f"/api/v1/incidents/{c.incident.pk}/statements",
            {"body": "We are sorry."},
        ),
        view=lambda c, _: (
            "post",
            f"/incidents/{c.incident.pk}/playbook/statements/new/",
            {"body": "We are sorry."},
        ),
    ),
    "submit": Action(
        TEAM,
        setup=drafted,
        service=lambda c, s, u: statements.statement_submit(statement=s, by=u),
        done=lambda c, s: _state(s) == "submitted",
        api=lambda c, s: ("post", f"/api/v1/statements/{s.pk}/submit", {}),
        view=lambda c, s: (
            "post",
            f"/incidents/{c.incident.pk}/playbook/statements/{s.pk}/submit/",
            {},
        ),
    ),
    "approve": Action(
        APPROVERS,
        setup=submitted,
        service=lambda c, s, u: statements.statement_approve(statement=s, by=u),
        done=lambda c, s: s.approvals.exists(),
        api=lambda c, s: ("post", f"/api/v1/statements/{s.pk}/approve", {}),
        view=lambda c, s: (
            "post",
            f"/incidents/{c.incident.pk}/playbook/statements/{s.pk}/approve/",
            {},
        ),
    ),
    "reject": Action(
        APPROVERS,
        setup=submitted,
        service=lambda c, s, u: statements.statement_reject(statement=s, by=u, comment="No."),
        done=lambda c, s: _state(s) == "draft",
        api=lambda c, s: ("post", f"/api/v1/statements/{s.pk}/reject", {"comment": "No."}),
        view=lambda c, s: (
            "post",
            f"/incidents/{c.incident.pk}/playbook/statements/{s.pk}/reject/",
            {"comment": "No."},
        ),
    ),
    "publish": Action(
        TEAM,
        setup=approved,
        service=lambda c, s, u: publishing.statement_publish(
            statement=s, by=u, manual_url="https://acme.test/1"
        ),
        done=lambda c, s: _state(s) == "published",
        api=lambda c, s: (
            "post",
            f"/api/v1/statements/{s.pk}/publish",
            {"url": "https://acme.test/1"},
        ),
        view=lambda c, s: (
            "post",
            f"/incidents/{c.incident.pk}/playbook/statements/{s.pk}/publish/",
            {"url": "https://acme.test/1"},
        ),
    ),
    "pause": Action(
        {"admin", "incident_lead"},
        setup=lambda c: None,
        service=lambda c, _, u: publishing.outbound_pause(
            by=u, reason="Crisis", incident=c.incident
        ),
        done=lambda c, _: OutboundPause.objects.filter(resumed_at__isnull=True).exists(),
        view=lambda c, _: (
            "post",
            f"/incidents/{c.incident.pk}/playbook/pause/",
            {"reason": "Crisis"},
        ),
    ),
}


def _case_ids() -> list[Any]:
    cases = []
    for name, action in ACTIONS.items():
        for actor in ACTORS:
            for channel in ("service", "api", "view"):
                if channel == "service" and name == "read":
                    continue  # reads have no service; the API and the page cover them
                if channel == "api" and action.api is None:
                    continue
                if channel == "view" and action.view is None:
                    continue
                cases.append(pytest.param(name, actor, channel, id=f"{name}-{actor}-{channel}"))
    return cases


@pytest.mark.parametrize(("action_name", "actor", "channel"), _case_ids())
def test_permission_matrix(cast, api_for, action_name, actor, channel):
    action = ACTIONS[action_name]
    user = cast[actor]
    target = action.setup(cast)
    allowed = actor in action.allowed
    if channel == "service":
        if allowed:
            action.service(cast, target, user)
        else:
            with pytest.raises(PermissionDenied):
                action.service(cast, target, user)
    elif channel == "api":
        method, path, body = action.api(cast, target)
        api = api_for(user)
        if method == "get":
            response = api.client.get(path, headers=api.headers)
        else:
            response = api.post(path.removeprefix("/api/v1"), body)
        expected = {200, 201} if allowed else {403}
        assert response.status_code in expected, response.content
    else:
        method, path, body = action.view(cast, target)
        client = Client()
        client.force_login(user)
        response = client.get(path) if method == "get" else client.post(path, body)
        expected = {200, 302} if allowed else {403}
        assert response.status_code in expected, response.content[:300]
    assert action.done(cast, target) is allowed or action_name == "read"
