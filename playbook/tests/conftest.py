"""The playbook's cast: one incident, a member for every crisis role, an outsider."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from crisisroom.models import Incident
from crisisroom.services.incidents import incident_open, member_assign
from crisisroom.services.users import user_add
from foundation.roles import OrgRole
from playbook.seed import seed_playbook_now
from playbook.services import statements

ROLES = [
    "incident_lead",
    "social_media_manager",
    "pr_lead",
    "legal_counsel",
    "hr_representative",
    "executive_lead",
]


@pytest.fixture(autouse=True)
def _seeded(db, settings, local_targets):  # type: ignore[no-untyped-def]
    # The cast has a dozen users; the production hasher would take seconds per test.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    seed_playbook_now()


def make_user(username: str, org_role: str, *roles: str):  # type: ignore[no-untyped-def]
    user, _ = user_add(
        username=username,
        org_role=org_role,
        crisis_roles=list(roles),
        email=f"{username}@example.com",
        password=None,  # hashing is slow; tests sign in with force_login
    )
    return user


@dataclass
class Cast:
    incident: Incident
    people: dict[str, Any]

    def __getitem__(self, name: str) -> Any:
        return self.people[name]


@pytest.fixture
def cast(alice, charlie, dave, brand) -> Cast:  # type: ignore[no-untyped-def]
    """alice (admin, not on the team), a responder per crisis role on the team,
    victor (a viewer on the team as executive lead), olivia (a responder with the
    legal counsel role on the roster, outside this incident), charlie (viewer), dave."""
    incident = incident_open(brand=brand, title="Burnt beans", opened_by=alice)
    people: dict[str, Any] = {"admin": alice, "viewer": charlie, "no_role": dave}
    for role in ROLES:
        user = make_user(role.replace("_", "-"), OrgRole.RESPONDER, role)
        member_assign(incident=incident, user=user, crisis_role=role, by=alice)
        people[role] = user
    people["outsider"] = make_user("olivia", OrgRole.RESPONDER, "legal_counsel", "executive_lead")
    victor = make_user("victor", OrgRole.VIEWER, "executive_lead")
    member_assign(incident=incident, user=victor, crisis_role="executive_lead", by=alice)
    people["viewer_on_team"] = victor
    return Cast(incident=incident, people=people)


def drafted(cast: Cast, body: str = "We are sorry. We are refunding every order by Friday."):  # type: ignore[no-untyped-def]
    return statements.statement_create(incident=cast.incident, by=cast["pr_lead"], body=body)


def submitted(cast: Cast, **kwargs: Any):  # type: ignore[no-untyped-def]
    statement = drafted(cast, **kwargs)
    return statements.statement_submit(statement=statement, by=cast["pr_lead"])


def approved(cast: Cast, **kwargs: Any):  # type: ignore[no-untyped-def]
    statement = submitted(cast, **kwargs)
    statements.statement_approve(statement=statement, by=cast["legal_counsel"])
    return statements.statement_approve(statement=statement, by=cast["executive_lead"])
