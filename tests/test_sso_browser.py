"""A person in Chromium signs in with SSO (a local OpenID Connect provider), in English
and Traditional Chinese, at desktop and phone widths, against Daphne configured only
through the environment (the client secret from a file, as Docker secrets give it)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from crisisroom.choices import CrisisRoleSlug
from crisisroom.models import CrisisRole, User
from foundation.roles import OrgRole
from tests import chromium
from tests.oidc_provider import OidcProvider

pytestmark = [pytest.mark.flow, pytest.mark.browser]

WALKS = [
    ("en", "en-GB", "Sign in with SSO", "Active incidents"),
    ("zh-hant", "zh-TW", "使用單一登入（SSO）", "進行中的事件"),
]


@pytest.fixture
def sso_idp(monkeypatch, tmp_path) -> Iterator[OidcProvider]:  # type: ignore[no-untyped-def]
    """Set before live_stack starts, so Daphne reads it from its environment."""
    secret = tmp_path / "oidc-secret"
    secret.write_text("browser-secret\n")
    with OidcProvider(client_id="crisisroom-web", client_secret="browser-secret") as idp:
        monkeypatch.setenv("OIDC_ISSUER", idp.issuer)
        monkeypatch.setenv("OIDC_CLIENT_ID", "crisisroom-web")
        monkeypatch.setenv("OIDC_CLIENT_SECRET_FILE", str(secret))
        monkeypatch.setenv("OIDC_ORG_ROLE_GROUPS", "admin=cr-admins,responder=cr-responders")
        monkeypatch.setenv("OIDC_CRISIS_ROLE_GROUPS", "legal_counsel=legal")
        idp.people["erin"] = {
            "email": "erin@example.com",
            "given_name": "Erin",
            "groups": ["cr-responders", "legal"],
        }
        idp.signing_in = "erin"
        yield idp


def test_a_person_signs_in_with_sso_in_both_languages_and_widths(sso_idp, live_stack, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    # Transactional tests flush the crisis roles the migration seeds.
    for position, slug in enumerate(CrisisRoleSlug.values):
        CrisisRole.objects.get_or_create(slug=slug, defaults={"position": position})
    base = live_stack.base_url
    shots = tmp_path / "screenshots"
    shots.mkdir()
    with sync_playwright() as p:
        browser = chromium.launch(p)
        for lang, locale, button, heading in WALKS:
            for width, height in ((1400, 900), (390, 844)):
                context = browser.new_context(
                    viewport={"width": width, "height": height}, locale=locale
                )
                page = context.new_page()
                page.goto(f"{base}/accounts/login/")
                sso = page.locator("#sso-login")
                expect(sso).to_have_text(button)
                expect(page.locator("#id_password")).to_be_visible()  # break-glass stays
                page.screenshot(path=str(shots / f"login-{lang}-{width}.png"), full_page=True)
                sso.click()
                page.get_by_role("button", name="Continue as erin").click()
                try:
                    # The callback makes three requests to the provider: slow on a busy machine.
                    page.wait_for_url(f"{base}/", timeout=90000)
                except Exception:
                    print(f"stuck at {page.url}; provider saw {sso_idp.requests}")
                    print(live_stack.log_tail())
                    raise
                expect(page.locator(".top .who")).to_have_text("erin")
                expect(page.get_by_role("heading", name=heading).first).to_be_visible()
                page.screenshot(path=str(shots / f"signed-in-{lang}-{width}.png"))
                # Signing out ends the provider's session too, and lands on our login.
                page.locator("form.logout button").click()
                page.wait_for_url(f"{base}/accounts/login/", timeout=30000)
                expect(page.locator("#id_password")).to_be_visible()
                context.close()
        browser.close()
    print(f"screenshots in {shots}")
    erin = User.objects.get(username="erin")
    assert erin.org_role == OrgRole.RESPONDER
    assert {r.slug for r in erin.crisis_roles.all()} == {"legal_counsel"}
    assert sso_idp.requests.count("POST /token") == 4
    assert len(sso_idp.logouts) == 4
    assert all(q["client_id"] == "crisisroom-web" and q["id_token_hint"] for q in sso_idp.logouts)
