"""Organisation admins may use every page of /admin/ (the README sends them there), and
its login page asks for the two-factor code like the app's (``AdminSite``).

``add_user --role admin`` makes a staff account with no model permissions, so Django's
admin answered 403 on every model page. Rather than copy permission rows onto each
admin (and keep them in step with new models), this backend grants every model
permission to active users whose organisation role is Admin; it authenticates no one.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth import views as auth_views
from django.contrib.auth.backends import BaseBackend
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crisisroom.two_factor import TwoFactorLoginMixin
from foundation.roles import OrgRole


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


class AdminLoginView(TwoFactorLoginMixin, auth_views.LoginView):
    """The admin's login form (django-axes throttles it like the app's)."""


class AdminSite(admin.AdminSite):
    """``admin.site`` (through ``CrisisRoomAdminConfig``): Django's, except that its login
    view is ``AdminLoginView``. The rest of ``login`` is Django 5.2's ``AdminSite.login``."""

    site_header = gettext_lazy("Crisis Room administration")
    site_title = gettext_lazy("Crisis Room admin")

    def login(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        if request.method == "GET" and self.has_permission(request):
            return HttpResponseRedirect(reverse("admin:index", current_app=self.name))
        context = {
            **self.each_context(request),
            "title": _("Log in"),
            "subtitle": None,
            "app_path": request.get_full_path(),
            "username": request.user.get_username(),
        }
        if REDIRECT_FIELD_NAME not in request.GET and REDIRECT_FIELD_NAME not in request.POST:
            context[REDIRECT_FIELD_NAME] = reverse("admin:index", current_app=self.name)
        context.update(extra_context or {})
        request.current_app = self.name
        return AdminLoginView.as_view(
            extra_context=context,
            authentication_form=self.login_form or AdminAuthenticationForm,
            template_name=self.login_template or "admin/login.html",
        )(request)
