"""Who may do what. Checked in views, API calls, services and on every websocket message."""

from __future__ import annotations

from typing import Any

from foundation.roles import OrgRole


class PermissionDenied(Exception):
    """The user may not do this; views answer 403."""


def is_member_of_org(user: Any) -> bool:
    return bool(
        user is not None
        and user.is_authenticated
        and user.is_active
        and (user.is_superuser or user.org_role in OrgRole.values)
    )


def can_view_incidents(user: Any) -> bool:
    """Every organisation role reads incidents (Viewer reads, Responder works, Admin configures)."""
    return is_member_of_org(user)


def can_work_incidents(user: Any) -> bool:
    return is_member_of_org(user) and user.can_respond


def is_org_admin(user: Any) -> bool:
    """Admins configure brands, watch terms, sources, users and on-call."""
    return is_member_of_org(user) and user.is_org_admin


def can_ingest(user: Any) -> bool:
    return can_work_incidents(user)


def require(allowed: bool, message: str = "You are not allowed to do this.") -> None:
    if not allowed:
        raise PermissionDenied(message)
