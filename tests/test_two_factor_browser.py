"""In Chromium, in English and 繁體中文 at 1400 and 390 px: an admin turns on two-factor
sign-in (QR code and key on the page, a code from the key), keeps the recovery codes,
then logs in with a code on the app's login page and with a recovery code on the
admin's, and nothing on these pages is wider than the screen."""

from __future__ import annotations

import base64
import time
from pathlib import Path

import pytest
from django_otp.oath import TOTP

from crisisroom.services.users import user_add
from foundation.roles import OrgRole
from tests import chromium
from tests.test_accessibility import axe_violations

pytestmark = [pytest.mark.flow, pytest.mark.browser]

SHOTS = Path("var/screenshots/two-factor")
TEXTS = {
    "en": {
        "enrol": "Two-factor sign-in",
        "code": "Two-factor code",
        "on": "Two-factor sign-in is on.",
    },
    "zh-hant": {"enrol": "兩步驟登入", "code": "兩步驟驗證碼", "on": "已開啟兩步驟登入。"},
}


def app_code(secret_text: str, steps_ahead: int = 0) -> str:
    """What a phone's authenticator app shows for the key typed from the page."""
    key = base64.b32decode(secret_text.replace(" ", ""))
    totp = TOTP(key)
    totp.time = time.time() + 30 * steps_ahead
    return f"{totp.token():06d}"


def password_login(page, base: str, path: str, username: str, submit: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{base}{path}")
    page.fill("#id_username", username)
    page.fill("#id_password", "boss-pass-123")
    page.locator(submit).click()
    page.wait_for_url(f"{base}/accounts/login/code/")


@pytest.mark.timeout(900)
def test_an_admin_enrols_and_logs_in_with_a_code_in_both_languages_and_widths(live_stack):
    from playwright.sync_api import expect, sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    combos = [(lang, width) for lang in ("en", "zh-hant") for width in (1400, 390)]
    for n, _ in enumerate(combos):
        user_add(username=f"boss{n}", org_role=OrgRole.ADMIN, password="boss-pass-123")
    user_add(username="fresh", org_role=OrgRole.ADMIN, password="boss-pass-123")
    recovery: dict[int, list[str]] = {}
    base = live_stack.base_url
    problems: list[str] = []

    def fits(page, what: str, width: int) -> None:  # type: ignore[no-untyped-def]
        wide = page.evaluate("document.documentElement.scrollWidth")
        if wide > width:
            problems.append(f"{what} at {width} px is {wide} px wide")

    with sync_playwright() as p:
        browser = chromium.launch(p)
        for n, (lang, width) in enumerate(combos):
            text = TEXTS[lang]
            context = browser.new_context(viewport={"width": width, "height": 900})
            page = context.new_page()
            csp_errors: list[str] = []
            page.on(
                "console",
                lambda m, errors=csp_errors: (
                    errors.append(m.text) if "Content Security Policy" in m.text else None
                ),
            )
            page.goto(f"{base}/accounts/login/")
            page.select_option("#lang-select", lang)
            page.locator("form.lang button").click()
            page.wait_for_load_state()
            page.fill("#id_username", f"boss{n}")
            page.fill("#id_password", "boss-pass-123")
            page.locator("button[type=submit].primary").click()
            page.wait_for_url(f"{base}/")  # no device yet: the password alone

            page.goto(f"{base}/preferences/")
            page.locator("#two-factor-link").click()
            page.wait_for_url(f"{base}/account/two-factor/")
            expect(page.locator("h1")).to_have_text(text["enrol"])
            qr = page.locator(".qr-box svg.qr")
            expect(qr).to_be_visible()
            box = qr.bounding_box()
            if not box or box["width"] < 150 or box["x"] + box["width"] > width:
                problems.append(f"{lang} {width}: the QR code is at {box}")
            secret = page.locator("#totp-secret").inner_text()
            fits(page, f"{lang} enrol", width)
            page.screenshot(path=str(SHOTS / f"enrol-{lang}-{width}.png"), full_page=True)

            page.fill("#id_code", app_code(secret))
            page.locator("button[type=submit].primary").click()
            expect(page.locator("[role=status] strong")).to_have_text(text["on"])
            codes = page.locator("#recovery-codes code").all_inner_texts()
            recovery[n] = codes
            if len(codes) != 8:
                problems.append(f"{lang} {width}: {len(codes)} recovery codes shown")
            fits(page, f"{lang} recovery codes", width)
            page.screenshot(path=str(SHOTS / f"recovery-{lang}-{width}.png"), full_page=True)

            # The app's login: password, then the code step, then the dashboard.
            page.locator("form.logout button").click()
            page.wait_for_url(f"{base}/accounts/login/")
            password_login(page, base, "/accounts/login/", f"boss{n}", "button.primary")
            expect(page.locator("h1")).to_have_text(text["code"])
            fits(page, f"{lang} code step", width)
            page.screenshot(path=str(SHOTS / f"code-{lang}-{width}.png"), full_page=True)
            page.goto(f"{base}/")  # not signed in yet
            if "/accounts/login/" not in page.url:
                problems.append(f"{lang} {width}: the password alone opened {page.url}")
            page.goto(f"{base}/accounts/login/code/")
            page.fill("#id_code", app_code(secret, steps_ahead=1))  # the enrol code is spent
            page.locator("button[type=submit].primary").click()
            page.wait_for_url(f"{base}/")
            expect(page.locator(".top .who")).to_have_text(f"boss{n}")

            # The admin's login: password, then a recovery code, then /admin/.
            page.locator("form.logout button").click()
            page.wait_for_url(f"{base}/accounts/login/")
            password_login(
                page, base, "/admin/login/?next=/admin/", f"boss{n}", "input[type=submit]"
            )
            page.fill("#id_code", codes[0])
            page.locator("button[type=submit].primary").click()
            page.wait_for_url(f"{base}/admin/")
            page.goto(f"{base}/account/two-factor/")
            expect(page.locator("#two-factor-status")).to_be_visible()
            fits(page, f"{lang} two-factor status", width)
            page.screenshot(path=str(SHOTS / f"status-{lang}-{width}.png"), full_page=True)
            if csp_errors:
                problems.append(f"{lang} {width}: CSP refused {csp_errors[:2]}")
            context.close()

        # axe-core (injected, so this context bypasses the CSP) on the three pages.
        for n, (lang, width) in enumerate(combos):
            context = browser.new_context(viewport={"width": width, "height": 900}, bypass_csp=True)
            context.add_cookies([{"name": "django_language", "value": lang, "url": base}])
            page = context.new_page()
            if n in (0, 2):  # an admin who has not enrolled: the QR page
                page.goto(f"{base}/accounts/login/")
                page.fill("#id_username", "fresh")
                page.fill("#id_password", "boss-pass-123")
                page.locator("button[type=submit].primary").click()
                page.wait_for_url(f"{base}/")
                page.goto(f"{base}/account/two-factor/")
                problems += [f"enrol {lang} {width}: {v}" for v in axe_violations(page)]
                page.locator("form.logout button").click()
                page.wait_for_url(f"{base}/accounts/login/")
            password_login(page, base, "/accounts/login/", f"boss{n}", "button.primary")
            problems += [f"code {lang} {width}: {v}" for v in axe_violations(page)]
            page.fill("#id_code", recovery[n][1])
            page.locator("button[type=submit].primary").click()
            page.wait_for_url(f"{base}/")
            page.goto(f"{base}/account/two-factor/")
            problems += [f"status {lang} {width}: {v}" for v in axe_violations(page)]
            context.close()
        browser.close()
    assert problems == [], "\n".join(problems)
