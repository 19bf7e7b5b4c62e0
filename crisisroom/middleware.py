from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone, translation

from crisisroom.two_factor import admin_needs_enrolment
from foundation.http import url_origin
from foundation.timezones import zone_named

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


def content_security_policy() -> str:
    """CSP, with the single sign-on provider as a second place forms may lead to: the
    sign-out form is answered with a redirect to its end_session_endpoint, and browsers
    hold redirects after a form to form-action too."""
    if not settings.OIDC_ENABLED:
        return CSP
    return CSP.replace(
        "form-action 'self'", f"form-action 'self' {url_origin(settings.OIDC_ISSUER)}"
    )


class ContentSecurityPolicyMiddleware:
    """Scripts only from this server: no inline script, no CDN (the dashboard works offline)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        # The admin too: Django's admin has no inline script since 4.x, and it shows
        # user-entered text (claims, mentions) like every other page.
        response.setdefault("Content-Security-Policy", content_security_policy())
        response.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        return response


class UserPreferencesMiddleware:
    """Show times in the user's own time zone and pages in their chosen language."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            zone = zone_named(user.time_zone)
            if zone is not None:
                timezone.activate(zone)
            else:
                timezone.deactivate()
            if user.language:
                translation.activate(user.language)
                request.LANGUAGE_CODE = translation.get_language()
        else:
            timezone.deactivate()
        return self.get_response(request)


class TwoFactorRequiredMiddleware:
    """With CRISISROOM_REQUIRE_2FA_FOR_ADMINS on, an admin without an authenticator app
    is sent to enrol first (crisisroom/two_factor.py); what enrolment itself needs, the
    language switch, logging out and the token-authenticated API stay reachable."""

    OPEN_PREFIXES = (
        "/account/two-factor/",
        "/accounts/",
        "/preferences/save/",
        "/static/",
        "/api/",
        "/oidc/",
        "/healthz",
        "/metrics",
    )

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith(self.OPEN_PREFIXES) and admin_needs_enrolment(request):
            target = reverse("crisisroom:two-factor")
            if request.headers.get("HX-Request"):
                return HttpResponse(status=204, headers={"HX-Redirect": target})
            return redirect(target)
        return self.get_response(request)
