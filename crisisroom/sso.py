"""Single sign-on with OpenID Connect (mozilla-django-oidc), configured from the
environment: the issuer (its endpoints come from its discovery document), a client id
and secret, and which identity-provider groups give which organisation and crisis roles.

Rules (README "Single sign-on"):
- the username is the `OIDC_USERNAME_CLAIM` claim (default `preferred_username`);
- every sign-in sets the organisation role from the groups (admin over responder over
  viewer) and the crisis roles to the mapped ones, so a change at the provider takes
  effect at the next sign-in; a person in no mapped group is refused;
- an account with a password (the break-glass admin, or anyone created by `add_user`
  with CRISISROOM_PASSWORD) never signs in through SSO: it keeps password login only,
  and a provider account with the same name cannot take it over.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import requests
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.core import checks
from django.core.exceptions import SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from crisisroom.choices import CrisisRoleSlug
from crisisroom.models import User
from crisisroom.services.users import user_add
from foundation.roles import OrgRole

logger = logging.getLogger(__name__)

ROLE_ORDER = [OrgRole.ADMIN, OrgRole.RESPONDER, OrgRole.VIEWER]
DISCOVERY_TTL_SECONDS = 3600
_discovery: dict[str, tuple[float, dict[str, Any]]] = {}
_lock = threading.Lock()


def discovery() -> dict[str, Any]:
    """The issuer's /.well-known/openid-configuration, cached for an hour."""
    issuer = settings.OIDC_ISSUER.rstrip("/")
    with _lock:
        cached = _discovery.get(issuer)
        if cached and time.monotonic() - cached[0] < DISCOVERY_TTL_SECONDS:
            return cached[1]
    response = requests.get(
        f"{issuer}/.well-known/openid-configuration", timeout=settings.OIDC_TIMEOUT
    )
    response.raise_for_status()
    document = response.json()
    if document.get("issuer", "").rstrip("/") != issuer:
        raise ValueError(f"the discovery document names issuer {document.get('issuer')!r}")
    with _lock:
        _discovery[issuer] = (time.monotonic(), document)
    return document


def roles_for(claims: dict[str, Any]) -> tuple[str | None, list[str]]:
    groups = claims.get(settings.OIDC_GROUPS_CLAIM) or []
    if isinstance(groups, str):
        groups = [groups]
    org_roles: set[str] = set()
    crisis_roles: set[str] = set()
    for group in groups:
        org_roles |= settings.OIDC_ORG_ROLE_GROUPS.get(group, set())
        crisis_roles |= settings.OIDC_CRISIS_ROLE_GROUPS.get(group, set())
    org_role = next((role for role in ROLE_ORDER if role in org_roles), None)
    return org_role, sorted(crisis_roles)


class Backend(OIDCAuthenticationBackend):
    """Endpoints from discovery, read when a sign-in needs them (not on every request:
    Django builds a backend to load the session's user)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.UserModel = User

    OIDC_RP_SIGN_ALGO = property(lambda self: settings.OIDC_RP_SIGN_ALGO)
    OIDC_RP_IDP_SIGN_KEY = None
    OIDC_RP_CLIENT_ID = property(lambda self: settings.OIDC_RP_CLIENT_ID)
    OIDC_RP_CLIENT_SECRET = property(lambda self: settings.OIDC_RP_CLIENT_SECRET)
    OIDC_OP_TOKEN_ENDPOINT = property(lambda self: discovery()["token_endpoint"])
    OIDC_OP_USER_ENDPOINT = property(lambda self: discovery()["userinfo_endpoint"])
    OIDC_OP_JWKS_ENDPOINT = property(lambda self: discovery()["jwks_uri"])

    def authenticate(self, request: HttpRequest | None, **kwargs: Any) -> User | None:
        if not settings.OIDC_ENABLED:
            return None
        return super().authenticate(request, **kwargs)

    def verify_token(self, token: str, **kwargs: Any) -> dict[str, Any]:
        # The library checks signature, expiry and nonce, not who the token is for.
        payload = super().verify_token(token, **kwargs)
        audience = payload.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        if settings.OIDC_RP_CLIENT_ID not in audiences:
            raise SuspiciousOperation("ID token issued for another client")
        if str(payload.get("iss", "")).rstrip("/") != settings.OIDC_ISSUER.rstrip("/"):
            raise SuspiciousOperation("ID token from another issuer")
        return payload

    def _refuse(self, message: str) -> bool:
        if getattr(self, "request", None) is not None:
            messages.error(self.request, message)
        return False

    def verify_claims(self, claims: dict[str, Any]) -> bool:
        username = claims.get(settings.OIDC_USERNAME_CLAIM)
        if not username or not isinstance(username, str):
            logger.warning("SSO sign-in without a %s claim", settings.OIDC_USERNAME_CLAIM)
            return self._refuse(_("Single sign-on did not say who you are."))
        org_role, _crisis = roles_for(claims)
        if org_role is None:
            logger.warning("SSO sign-in refused for %s: no mapped group", username)
            return self._refuse(
                _("Your single sign-on account is in no group that gives a Crisis Room role.")
            )
        local = User.objects.filter(username=username).first()
        if local is not None and local.has_usable_password():
            logger.warning("SSO sign-in refused for %s: a password account", username)
            return self._refuse(
                _("This account signs in with its password, not with single sign-on.")
            )
        return True

    def filter_users_by_claims(self, claims: dict[str, Any]) -> Any:
        return User.objects.filter(username=claims[settings.OIDC_USERNAME_CLAIM])

    def create_user(self, claims: dict[str, Any]) -> User:
        return self.update_user(None, claims)

    def update_user(self, user: User | None, claims: dict[str, Any]) -> User:
        org_role, crisis_roles = roles_for(claims)
        assert org_role is not None  # verify_claims refused it otherwise
        updated, _created = user_add(
            username=claims[settings.OIDC_USERNAME_CLAIM],
            org_role=org_role,
            crisis_roles=crisis_roles,
            email=claims.get("email") or "",
            password=None,
        )
        if not crisis_roles:
            updated.crisis_roles.clear()  # user_add leaves them alone when given none
        updated.first_name = (claims.get("given_name") or "")[:150]
        updated.last_name = (claims.get("family_name") or "")[:150]
        updated.save(update_fields=["first_name", "last_name"])
        return updated


class AuthenticateView(OIDCAuthenticationRequestView):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.OIDC_RP_CLIENT_ID = settings.OIDC_RP_CLIENT_ID

    @property
    def OIDC_OP_AUTH_ENDPOINT(self) -> str:  # noqa: N802 (the library's name)
        return discovery()["authorization_endpoint"]

    def get(self, request: HttpRequest) -> HttpResponse:
        if not settings.OIDC_ENABLED:
            raise Http404("single sign-on is not configured")
        try:
            return super().get(request)
        except (requests.RequestException, ValueError, KeyError) as exc:
            logger.warning("SSO discovery failed: %s", exc)
            messages.error(request, _("The single sign-on provider cannot be reached."))
            return self.login_unavailable()

    def login_unavailable(self) -> HttpResponse:
        return redirect(settings.LOGIN_URL)


class CallbackView(OIDCAuthenticationCallbackView):
    def get(self, request: HttpRequest) -> HttpResponse:
        if not settings.OIDC_ENABLED:
            raise Http404("single sign-on is not configured")
        try:
            return super().get(request)
        except requests.RequestException as exc:
            logger.warning("SSO token exchange failed: %s", exc)
            messages.error(request, _("The single sign-on provider cannot be reached."))
            return self.login_failure()
        except SuspiciousOperation as exc:  # a bad signature, nonce or state
            logger.warning("SSO sign-in refused: %s", exc)
            messages.error(request, _("Single sign-on failed. Try again."))
            return self.login_failure()


def provider_logout_url(request: HttpRequest, id_token: str) -> str | None:
    """Where to send the browser so the provider ends its session too (OpenID Connect
    RP-initiated logout): the issuer's end_session_endpoint with the ID token as hint
    and the login page as the way back; None when the provider offers none (or cannot
    be reached: the local sign-out still happens)."""
    try:
        endpoint = discovery().get("end_session_endpoint")
    except (requests.RequestException, ValueError) as exc:
        logger.warning("SSO sign-out at the provider skipped: %s", exc)
        return None
    if not endpoint:
        return None
    query = urlencode(
        {
            "id_token_hint": id_token,
            "client_id": settings.OIDC_RP_CLIENT_ID,
            "post_logout_redirect_uri": request.build_absolute_uri(reverse("login")),
        }
    )
    return f"{endpoint}{'&' if '?' in endpoint else '?'}{query}"


class LogoutView(auth_views.LogoutView):
    """Sign out here, and at the provider when the session came from single sign-on
    (otherwise the next "Sign in with SSO" would let the person straight back in
    without asking, which a shared crisis-room laptop must not do)."""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        id_token = request.session.get("oidc_id_token") if settings.OIDC_ENABLED else None
        response = super().post(request, *args, **kwargs)  # flushes the session
        if id_token:
            target = provider_logout_url(request, id_token)
            if target:
                logger.info("SSO sign-out: sent to the provider's end_session_endpoint")
                return redirect(target)
        return response


@checks.register()
def check_sso_settings(**kwargs: Any) -> list[checks.CheckMessage]:
    """The group maps name real roles, and SSO has what it needs when it is on."""
    errors = []
    for name, allowed in (
        ("OIDC_ORG_ROLE_GROUPS", set(OrgRole.values)),
        ("OIDC_CRISIS_ROLE_GROUPS", set(CrisisRoleSlug.values)),
    ):
        unknown = set().union(*getattr(settings, name).values()) - allowed
        if unknown:
            errors.append(
                checks.Error(
                    f"{name} names unknown role(s) {', '.join(sorted(unknown))}; "
                    f"choose from {', '.join(sorted(allowed))}",
                    id="crisisroom.E101",
                )
            )
    if settings.OIDC_ENABLED and not (
        settings.OIDC_RP_CLIENT_ID and settings.OIDC_RP_CLIENT_SECRET
    ):
        errors.append(
            checks.Error(
                "OIDC_ISSUER is set without OIDC_CLIENT_ID and OIDC_CLIENT_SECRET(_FILE)",
                id="crisisroom.E102",
            )
        )
    if settings.OIDC_ENABLED and not settings.OIDC_ORG_ROLE_GROUPS:
        errors.append(
            checks.Error(
                "OIDC_ISSUER is set without OIDC_ORG_ROLE_GROUPS: nobody could sign in",
                id="crisisroom.E103",
            )
        )
    return errors
