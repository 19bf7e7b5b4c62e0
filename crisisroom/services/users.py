"""Users and API tokens."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crisisroom.models import ApiToken, CrisisRole, User
from foundation.roles import OrgRole


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


class UserChangeError(ValueError):
    """A change to a user that is refused (by the settings pages); the message says why."""


@transaction.atomic
def user_invite(
    *,
    username: str,
    org_role: str,
    crisis_roles: Sequence[str] = (),
    email: str = "",
    password: str | None = None,
) -> User:
    """Add a new user from the settings pages: like ``add_user``, but a name already
    taken is refused instead of updating that person."""
    if User.objects.filter(username__iexact=username).exists():
        raise UserChangeError(
            _("A user named %(name)s exists already; change them in the list instead.")
            % {"name": username}
        )
    user, _created = user_add(
        username=username,
        org_role=org_role,
        crisis_roles=crisis_roles,
        email=email,
        password=password,
    )
    return user


@transaction.atomic
def user_update(
    *,
    user: User,
    by: User,
    org_role: str,
    crisis_roles: Sequence[str],
    is_active: bool,
    email: str,
) -> User:
    """Set a user's organisation role, crisis roles, email and whether they may sign
    in (deactivated, never deleted: the history keeps their name). An admin cannot
    take away their own admin rights or deactivate themselves, so there is always
    someone left who can undo a change."""
    if user.pk == by.pk and not is_active:
        raise UserChangeError(_("You cannot deactivate yourself; ask another admin."))
    if (
        user.pk == by.pk
        and user.is_org_admin
        and org_role != OrgRole.ADMIN
        and not user.is_superuser
    ):
        raise UserChangeError(_("You cannot remove your own admin rights; ask another admin."))
    updated, _created = user_add(
        username=user.username, org_role=org_role, crisis_roles=crisis_roles, email=email
    )
    if not crisis_roles:
        updated.crisis_roles.clear()  # user_add leaves roles alone when none are given
    if not email and updated.email:
        updated.email = ""
    updated.is_active = is_active
    updated.save(update_fields=["email", "is_active"])
    return updated


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
