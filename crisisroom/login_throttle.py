"""The login throttle: django-axes, keyed the way the login form reads a username.

Both login pages (/accounts/login/ and /admin/login/) go through Django's
``authenticate``, where axes counts failures and refuses while a budget is spent:

- per account: ``LOGIN_THROTTLE_ATTEMPTS`` failures per window, whatever the address,
  keyed on the username as NFKC + casefold. Django's login form applies NFKC, so
  "𝕥hrottle" and "ｔhrottle" sign in as "throttle"; they must share its budget.
- per address: a larger budget (``LOGIN_THROTTLE_IP_ATTEMPTS``), so one password tried
  across many usernames is limited too, while one person's typos do not lock out
  everyone behind the same proxy.

Failures are recorded (axes' access attempts and failure log) for admins at /admin/.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_lockout_parameters
from django.conf import settings
from django.db.models import Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _


def normalised_username(request: HttpRequest, credentials: dict[str, Any] | None = None) -> str:
    """The throttle's key for a username: what the login form would look up (NFKC),
    also case-folded so case variants share one budget."""
    raw = (credentials or {}).get("username")
    if raw is None:
        raw = getattr(request, "POST", {}).get("username", "")
    return unicodedata.normalize("NFKC", str(raw or "")).casefold().strip()[:150]


def failure_limit(request: HttpRequest, credentials: dict[str, Any] | None = None) -> int:
    """AXES_FAILURE_LIMIT: the per-account budget (read at call time, so tests and
    operators can change it)."""
    return settings.LOGIN_THROTTLE_ATTEMPTS


class LoginThrottleHandler(AxesDatabaseHandler):
    """axes' database handler with a budget per lockout parameter (axes has one limit
    for all and compares the largest count with it).

    ``get_failures`` answers in units of the account budget: the account's failures,
    or the whole budget once the address has spent its own (larger) one. axes'
    lockout checks then mean "either budget is spent"."""

    def get_failures(self, request: HttpRequest, credentials: dict[str, Any] | None = None) -> int:
        budgets = {"ip_address": settings.LOGIN_THROTTLE_IP_ATTEMPTS}
        limit = settings.LOGIN_THROTTLE_ATTEMPTS
        parameters = get_lockout_parameters(request, credentials)
        worst = 0
        for parameter, queryset in zip(
            parameters, self.get_user_attempts(request, credentials), strict=True
        ):
            name = parameter if isinstance(parameter, str) else "+".join(parameter)
            failures = queryset.aggregate(n=Sum("failures_since_start"))["n"] or 0
            if name in budgets:
                failures = limit if failures >= budgets[name] else min(failures, limit - 1)
            worst = max(worst, failures)
        return worst


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials=None
) -> HttpResponse:
    """The login page again, saying why, with 429 (both login pages)."""
    from django.contrib.auth.forms import AuthenticationForm

    form = AuthenticationForm(request, data=None, initial={"username": ""})
    form.is_bound = False
    context = {
        "form": form,
        "locked_out": True,
        "next": request.POST.get("next", "") if hasattr(request, "POST") else "",
        "throttle_message": _("Too many failed attempts. Wait a few minutes, then try again."),
    }
    return render(request, "registration/login.html", context, status=429)
