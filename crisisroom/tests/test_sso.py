"""Single sign-on against a real (local) OpenID Connect provider: the whole code flow
over HTTP, groups mapped to roles, refusals, and password login kept for break-glass."""

from __future__ import annotations

import http.client
from collections.abc import Iterator
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.core.checks import run_checks
from django.test import Client

from crisisroom.models import User
from crisisroom.services.users import user_add
from foundation.roles import OrgRole
from tests.oidc_provider import OidcProvider


@pytest.fixture
def idp(settings, db) -> Iterator[OidcProvider]:  # type: ignore[no-untyped-def]
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with OidcProvider(client_id="crisisroom", client_secret="idp-secret") as provider:
        settings.OIDC_ISSUER = provider.issuer
        settings.OIDC_ENABLED = True
        settings.OIDC_RP_CLIENT_ID = "crisisroom"
        settings.OIDC_RP_CLIENT_SECRET = "idp-secret"
        settings.OIDC_ORG_ROLE_GROUPS = {
            "cr-admins": {"admin"},
            "cr-responders": {"responder"},
            "staff": {"viewer"},
        }
        settings.OIDC_CRISIS_ROLE_GROUPS = {"legal": {"legal_counsel"}, "execs": {"executive_lead"}}
        yield provider


def sign_in(client: Client, idp: OidcProvider, username: str, **person) -> object:  # type: ignore[no-untyped-def]
    """The browser's part of the code flow, with the test client and plain HTTP."""
    idp.people[username] = person
    idp.signing_in = username
    start = client.get("/oidc/authenticate/", {"next": "/mentions/"})
    assert start.status_code == 302
    authorize = urlsplit(start["Location"])
    assert f"{authorize.scheme}://{authorize.netloc}" == idp.issuer
    query = {k: v[0] for k, v in parse_qs(authorize.query).items()}
    assert query["code_challenge_method"] == "S256" and query["nonce"]
    # The person presses "Continue" on the provider's page.
    conn = http.client.HTTPConnection(authorize.hostname, authorize.port, timeout=10)
    conn.request(
        "POST",
        "/approve",
        body=urlencode(query),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    back = urlsplit(conn.getresponse().getheader("Location"))
    conn.close()
    assert back.path == "/oidc/callback/"
    return client.get(f"{back.path}?{back.query}")


def test_the_login_page_offers_sso_only_when_configured(db, settings):
    settings.OIDC_ENABLED = False
    assert "Sign in with SSO" not in Client().get("/accounts/login/").content.decode()
    settings.OIDC_ENABLED = True
    page = Client().get("/accounts/login/").content.decode()
    assert "Sign in with SSO" in page and 'href="/oidc/authenticate/' in page
    assert 'name="password"' in page  # password login stays
    chinese = Client(headers={"Accept-Language": "zh-Hant"}).get("/accounts/login/")
    text = chinese.content.decode()
    assert "使用單一登入（SSO）" in text
    assert "Sign in with SSO" not in text


def test_a_new_person_signs_in_with_roles_from_their_groups(idp):
    client = Client()
    done = sign_in(client, idp, "erin", email="erin@example.com", groups=["cr-responders", "legal"])
    assert done.status_code == 302 and done["Location"] == "/mentions/"
    user = User.objects.get(username="erin")
    assert user.org_role == OrgRole.RESPONDER
    assert {r.slug for r in user.crisis_roles.all()} == {"legal_counsel"}
    assert not user.has_usable_password()
    assert user.email == "erin@example.com"
    assert client.get("/mentions/").status_code == 200
    assert idp.requests.count("POST /token") == 1 and "GET /userinfo" in idp.requests


def test_group_changes_at_the_provider_apply_at_the_next_sign_in(idp):
    sign_in(Client(), idp, "erin", groups=["staff", "legal"])
    assert User.objects.get(username="erin").org_role == OrgRole.VIEWER
    sign_in(Client(), idp, "erin", groups=["cr-admins", "staff", "execs"])
    user = User.objects.get(username="erin")
    assert user.org_role == OrgRole.ADMIN and user.is_staff
    assert {r.slug for r in user.crisis_roles.all()} == {"executive_lead"}
    sign_in(Client(), idp, "erin", groups=["cr-responders"])
    user = User.objects.get(username="erin")
    assert user.org_role == OrgRole.RESPONDER and not user.is_staff
    assert user.crisis_roles.count() == 0


def test_someone_in_no_mapped_group_is_refused(idp):
    client = Client()
    done = sign_in(client, idp, "mallory", groups=["marketing"])
    assert done["Location"] == "/accounts/login/"
    assert not User.objects.filter(username="mallory").exists()
    page = client.get("/accounts/login/").content.decode()
    assert "in no group that gives a Crisis Room role" in page
    assert client.get("/mentions/").status_code == 302


def test_a_password_account_cannot_be_taken_over_through_sso_and_keeps_password_login(idp, alice):
    client = Client()
    done = sign_in(client, idp, "alice", groups=["cr-responders"])
    assert done["Location"] == "/accounts/login/"
    alice.refresh_from_db()
    assert alice.org_role == OrgRole.ADMIN  # not demoted by the provider's groups
    assert "signs in with its password" in client.get("/accounts/login/").content.decode()
    # Break-glass: the password still works while SSO is on.
    login = Client().post("/accounts/login/", {"username": "alice", "password": "pw-alice"})
    assert login.status_code == 302 and login["Location"] == "/"


def test_an_id_token_not_signed_by_the_provider_is_refused(idp):
    idp.forge = True
    client = Client()
    done = sign_in(client, idp, "erin", groups=["cr-admins"])
    assert done["Location"] == "/accounts/login/"
    assert not User.objects.filter(username="erin").exists()
    assert "Single sign-on failed" in client.get("/accounts/login/").content.decode()


def test_an_id_token_for_another_client_is_refused(idp):
    idp.audience = "some-other-app"
    client = Client()
    done = sign_in(client, idp, "erin", groups=["cr-admins"])
    assert done["Location"] == "/accounts/login/"
    assert not User.objects.filter(username="erin").exists()


def test_sso_urls_are_not_found_when_it_is_not_configured(db, settings):
    settings.OIDC_ENABLED = False
    assert Client().get("/oidc/authenticate/").status_code == 404
    assert Client().get("/oidc/callback/?code=x&state=y").status_code == 404


def test_an_unreachable_provider_sends_people_back_to_password_login(db, settings):
    settings.OIDC_ENABLED = True
    settings.OIDC_ISSUER = "http://127.0.0.1:9"  # discard port: nothing answers
    settings.OIDC_RP_CLIENT_ID = "crisisroom"
    client = Client()
    response = client.get("/oidc/authenticate/")
    assert response.status_code == 302 and response["Location"] == "/accounts/login/"
    assert "cannot be reached" in client.get("/accounts/login/").content.decode()


def test_the_settings_check_names_unknown_roles(settings):
    settings.OIDC_ORG_ROLE_GROUPS = {"ops": {"superuser"}}
    settings.OIDC_CRISIS_ROLE_GROUPS = {"legal": {"lawyer"}}
    messages = [m.msg for m in run_checks() if m.id and m.id.startswith("crisisroom.E10")]
    assert any("superuser" in m for m in messages)
    assert any("lawyer" in m for m in messages)


def test_sso_is_not_asked_for_a_two_factor_code_even_when_admins_must_enrol(idp, settings):
    """The identity provider does MFA (README "Single sign-on"): no code step after SSO,
    and CRISISROOM_REQUIRE_2FA_FOR_ADMINS does not send an SSO admin to enrol."""
    settings.TWO_FACTOR_REQUIRED_FOR_ADMINS = True
    client = Client()
    done = sign_in(client, idp, "erin", groups=["cr-admins"])
    assert done.status_code == 302 and done["Location"] == "/mentions/"
    assert client.get("/mentions/").status_code == 200
    assert client.get("/").status_code == 200
    # A password admin in the same mode is sent to enrol.
    user_add(username="root", org_role=OrgRole.ADMIN, password="root-pass-1")
    other = Client()
    other.post("/accounts/login/", {"username": "root", "password": "root-pass-1"})
    assert other.get("/")["Location"] == "/account/two-factor/"


def test_signing_out_of_an_sso_session_signs_out_at_the_provider_too(idp):
    client = Client()
    sign_in(client, idp, "mia", groups=["cr-responders"])
    id_token = client.session["oidc_id_token"]
    assert id_token
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    target = urlsplit(response["Location"])
    assert f"{target.scheme}://{target.netloc}{target.path}" == f"{idp.issuer}/logout"
    query = {k: v[0] for k, v in parse_qs(target.query).items()}
    assert query == {
        "id_token_hint": id_token,
        "client_id": "crisisroom",
        "post_logout_redirect_uri": "http://testserver/accounts/login/",
    }
    # Signed out here already, whatever the provider does next.
    assert "_auth_user_id" not in client.session
    assert client.get("/").status_code == 302


def test_a_password_session_signs_out_here_only(idp, alice):
    client = Client()
    client.force_login(alice)
    response = client.post("/accounts/logout/")
    assert (response.status_code, response["Location"]) == (302, "/accounts/login/")
    assert not idp.logouts and "GET /logout" not in idp.requests


def test_a_provider_without_end_session_still_signs_out_here(idp, monkeypatch):
    from crisisroom import sso

    client = Client()
    sign_in(client, idp, "mia", groups=["cr-responders"])
    document = {k: v for k, v in sso.discovery().items() if k != "end_session_endpoint"}
    monkeypatch.setattr(sso, "discovery", lambda: document)
    response = client.post("/accounts/logout/")
    assert (response.status_code, response["Location"]) == (302, "/accounts/login/")
    assert "_auth_user_id" not in client.session


def test_forms_may_lead_to_the_provider_only_when_sso_is_on(idp, settings, client):
    page = client.get("/accounts/login/")
    assert f"form-action 'self' {idp.issuer};" in page["Content-Security-Policy"]
    settings.OIDC_ENABLED = False
    page = client.get("/accounts/login/")
    assert "form-action 'self';" in page["Content-Security-Policy"]
