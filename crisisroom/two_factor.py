"""Two-factor sign-in: the code step after the password, and the enrolment page.

Both login pages (/accounts/login/ and /admin/login/, crisisroom/admin_access.py) use
``TwoFactorLoginMixin``: after a right password, a user with a confirmed authenticator
app is *not* logged in. The session only remembers who passed the password (for
``PENDING_SECONDS``), and /accounts/login/code/ logs them in once a code (or a recovery
code) is right. So no session, page, API call or websocket ever sees a user who has
given the password alone.

Wrong codes count as failed logins for django-axes (crisisroom/login_throttle.py), so a
code cannot be guessed faster than a password: the account's budget is shared, and once
it is spent both the password and the code step answer 429. The devices add their own
wait that doubles after each wrong code (django-otp).

Single sign-on (crisisroom/sso.py) logs in without this step: the identity provider
does its own MFA.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import BACKEND_SESSION_KEY, login, user_login_failed
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import login as otp_login

from crisisroom.forms import TwoFactorCodeForm
from crisisroom.login_throttle import lockout_response
from crisisroom.models import User
from crisisroom.services import two_factor as service

logger = logging.getLogger(__name__)

PENDING_KEY = "two_factor_pending"
PENDING_SECONDS = 300
SSO_BACKEND = "crisisroom.sso.Backend"


class TwoFactorLoginMixin:
    """For a LoginView: a right password for a user with two-factor leads to the code
    step instead of a login."""

    request: HttpRequest

    def form_valid(self, form: Any) -> HttpResponse:
        user = form.get_user()
        if not service.two_factor_enabled(user):
            return super().form_valid(form)  # type: ignore[misc]
        session = self.request.session
        session.cycle_key()
        session[PENDING_KEY] = {
            "user": user.pk,
            "backend": user.backend,
            "hash": user.get_session_auth_hash(),
            "next": self.get_success_url(),  # type: ignore[attr-defined]
            "at": time.time(),
        }
        return redirect("login-code")


def _pending_user(request: HttpRequest) -> tuple[User | None, dict[str, Any]]:
    pending = request.session.get(PENDING_KEY) or {}
    if not pending or time.time() - pending.get("at", 0) > PENDING_SECONDS:
        return None, pending
    user = User.objects.filter(pk=pending["user"], is_active=True).first()
    if user is None or user.get_session_auth_hash() != pending["hash"]:
        return None, pending
    return user, pending


def _code_page(request: HttpRequest, form: TwoFactorCodeForm, status: int = 200) -> HttpResponse:
    return render(request, "registration/login_code.html", {"form": form}, status=status)


@require_http_methods(["GET", "POST"])
def login_code(request: HttpRequest) -> HttpResponse:
    """The second step: a code from the authenticator app, or a recovery code."""
    user, pending = _pending_user(request)
    if user is None:
        if pending:
            request.session.pop(PENDING_KEY, None)
            messages.error(request, _("That took too long. Log in again."))
        return redirect(settings.LOGIN_URL)
    credentials = {"username": user.get_username()}
    if AxesProxyHandler.is_locked(request, credentials):
        request.session.pop(PENDING_KEY, None)
        return lockout_response(request, credentials=credentials)
    form = TwoFactorCodeForm(request.POST or None)
    if request.method == "GET" or not form.is_valid():
        return _code_page(request, form)
    check = service.two_factor_check(user=user, code=form.cleaned_data["code"])
    if check.retry_at is not None:
        seconds = service.seconds_until(check.retry_at)
        form.add_error(
            "code", _("Too soon after a wrong code. Wait %(n)d s, then try again.") % {"n": seconds}
        )
        return _code_page(request, form, status=429)
    if not check.accepted:
        logger.warning("wrong two-factor code for %s", user.get_username())
        # django-axes counts it like a wrong password (the account's and the address's budget).
        user_login_failed.send(sender=__name__, credentials=credentials, request=request)
        if AxesProxyHandler.is_locked(request, credentials):
            request.session.pop(PENDING_KEY, None)
            return lockout_response(request, credentials=credentials)
        form.add_error("code", _("That code is not right. Try again."))
        return _code_page(request, form)
    next_url = pending["next"]
    login(request, user, backend=pending["backend"])  # a new session key, without PENDING_KEY
    otp_login(request, check.device)
    return redirect(next_url)


def admin_needs_enrolment(request: HttpRequest) -> bool:
    """CRISISROOM_REQUIRE_2FA_FOR_ADMINS: an admin signed in with a password and no
    authenticator app must enrol before anything else (single sign-on is exempt)."""
    user = request.user
    return bool(
        settings.TWO_FACTOR_REQUIRED_FOR_ADMINS
        and user.is_authenticated
        and (user.is_staff or user.is_org_admin)
        and request.session.get(BACKEND_SESSION_KEY) != SSO_BACKEND
        and not service.two_factor_enabled(user)
    )


def _enrolment_context(request: HttpRequest, form: TwoFactorCodeForm) -> dict[str, Any]:
    user = request.user
    device = service.two_factor_device(user)
    if device is not None:
        return {
            "form": form,
            "device": device,
            "recovery_left": service.recovery_codes_left(user),
            "required": admin_needs_enrolment(request),
        }
    pending = service.two_factor_enrolment_device(user=user)
    return {
        "form": form,
        "qr_svg": mark_safe(service.qr_svg(pending)),  # noqa: S308 (segno's SVG, no user text)
        "secret": service.secret_text(pending),
        "required": admin_needs_enrolment(request),
        "issuer": settings.OTP_TOTP_ISSUER,
    }


@login_required
@require_http_methods(["GET"])
def two_factor_page(request: HttpRequest) -> HttpResponse:
    context = _enrolment_context(request, TwoFactorCodeForm())
    return render(request, "crisisroom/two_factor.html", context)


@login_required
@require_POST
def two_factor_confirm(request: HttpRequest) -> HttpResponse:
    form = TwoFactorCodeForm(request.POST)
    codes = form.is_valid() and service.two_factor_confirm(
        user=request.user, code=form.cleaned_data["code"]
    )
    if not codes:
        form.add_error(
            None, _("That code is not right. Check the time on your phone, then try again.")
        )
        context = _enrolment_context(request, form)
        return render(request, "crisisroom/two_factor.html", context, status=400)
    otp_login(request, service.two_factor_device(request.user))
    return _recovery_codes_page(request, codes, enrolled=True)


def _recovery_codes_page(request: HttpRequest, codes: list[str], *, enrolled: bool) -> HttpResponse:
    response = render(
        request, "crisisroom/two_factor_codes.html", {"codes": codes, "enrolled": enrolled}
    )
    response["Cache-Control"] = "no-store"
    return response


def _code_or_refuse(request: HttpRequest) -> tuple[TwoFactorCodeForm, bool]:
    """A current code (or a recovery code) from the signed-in user, for changes."""
    form = TwoFactorCodeForm(request.POST)
    if not form.is_valid():
        return form, False
    check = service.two_factor_check(user=request.user, code=form.cleaned_data["code"])
    if check.retry_at is not None:
        seconds = service.seconds_until(check.retry_at)
        form.add_error(
            None, _("Too soon after a wrong code. Wait %(n)d s, then try again.") % {"n": seconds}
        )
    elif not check.accepted:
        form.add_error(None, _("That code is not right. Try again."))
    return form, check.accepted


@login_required
@require_POST
def two_factor_remove(request: HttpRequest) -> HttpResponse:
    form, accepted = _code_or_refuse(request)
    if not accepted:
        context = _enrolment_context(request, form)
        return render(request, "crisisroom/two_factor.html", context, status=400)
    service.two_factor_remove(user=request.user, by=f"{request.user.get_username()} (self)")
    messages.success(request, _("Two-factor sign-in is off. Your password alone now signs you in."))
    return redirect("crisisroom:two-factor")


@login_required
@require_POST
def two_factor_recovery_codes(request: HttpRequest) -> HttpResponse:
    form, accepted = _code_or_refuse(request)
    if not accepted:
        context = _enrolment_context(request, form)
        return render(request, "crisisroom/two_factor.html", context, status=400)
    codes = service.two_factor_recovery_codes_renew(user=request.user)
    return _recovery_codes_page(request, codes, enrolled=False)
