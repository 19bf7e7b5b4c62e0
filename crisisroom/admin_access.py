"""Organisation admins may use every page of /admin/ (the README sends them there).

``add_user --role admin`` makes a staff account with no model permissions, so Django's
admin answered 403 on every model page. Rather than copy permission rows onto each
admin (and keep them in step with new models), this backend grants every model
permission to active users whose organisation role is Admin; it authenticates no one.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import BaseBackend

from crisisroom.platform.roles import OrgRole


class OrgAdminPermissionBackend(BaseBackend):
    def _is_org_admin(self, user: Any) -> bool:
        return bool(
            getattr(user, "is_active", False)
            and getattr(user, "is_staff", False)
            and getattr(user, "org_role", "") == OrgRole.ADMIN
        )

    def has_perm(self, user_obj: Any, perm: str, obj: Any = None) -> bool:
        return self._is_org_admin(user_obj)

    def has_module_perms(self, user_obj: Any, app_label: str) -> bool:
        return self._is_org_admin(user_obj)
