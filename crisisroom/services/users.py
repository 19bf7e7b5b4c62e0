"""Users and API tokens."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction
from django.utils import timezone

from crisisroom.models import ApiToken, CrisisRole, User
from crisisroom.platform.roles import OrgRole


@transaction.atomic
def user_add(
    *,
    username: str,
    org_role: str,
    crisis_roles: Sequence[str] = (),
    email: str = "",
    password: str | None = None,
) -> tuple[User, bool]:
    """Create or update a user; ``password=None`` leaves an existing password alone."""
    if org_role not in OrgRole.values:
        raise ValueError(
            f"unknown organisation role {org_role!r}; choose from {', '.join(OrgRole.values)}"
        )
    roles = list(CrisisRole.objects.filter(slug__in=crisis_roles))
    unknown = set(crisis_roles) - {role.slug for role in roles}
    if unknown:
        raise ValueError(f"unknown crisis role(s): {', '.join(sorted(unknown))}")
    user, created = User.objects.get_or_create(username=username)
    user.org_role = org_role
    user.is_staff = org_role == OrgRole.ADMIN
    if email:
        user.email = email
    if password is not None:
        user.set_password(password)
    elif created:
        user.set_unusable_password()
    user.save()
    if crisis_roles:
        user.crisis_roles.set(roles)
    return user, created


def api_token_create(*, user: User, name: str = "") -> str:
    """Make a new API token for ``user``; only its hash is stored, so show it now."""
    token = ApiToken.generate()
    ApiToken.objects.create(user=user, name=name, prefix=token[3:9], digest=ApiToken.hash(token))
    return token


def api_token_authenticate(token: str) -> User | None:
    found = ApiToken.objects.select_related("user").filter(digest=ApiToken.hash(token)).first()
    if found is None or not found.user.is_active:
        return None
    now = timezone.now()
    if found.last_used_at is None or (now - found.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=found.pk).update(last_used_at=now)
    return found.user
