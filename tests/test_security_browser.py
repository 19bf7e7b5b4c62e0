"""In Chromium, in English and 繁體中文 at 1400 and 390 px: the login lockout page says
why (a lookalike username spends the same account's budget), and /admin/ works for an
organisation admin under the same strict CSP as every other page: it refuses an address
the sending guard would refuse, in the user's language, and never shows a secret back."""

from __future__ import annotations

import pytest

from crisisroom.models import OutgoingWebhook
from crisisroom.services.users import user_add
from foundation.roles import OrgRole
from tests import chromium

pytestmark = [pytest.mark.flow, pytest.mark.browser]

SHOTS = "var/screenshots/security"


@pytest.mark.timeout(900)
def test_lockout_page_and_admin_under_csp(live_stack, tmp_path):
    from playwright.sync_api import sync_playwright

    combos = [(lang, width) for lang in ("en", "zh-hant") for width in (1400, 390)]
    for n, _ in enumerate(combos):
        user_add(username=f"lock{n}", org_role=OrgRole.RESPONDER, password="right-pass")
    user_add(username="boss", org_role=OrgRole.ADMIN, password="boss-pass")
    base = live_stack.base_url
    problems: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium.EXECUTABLE, args=chromium.ARGS)
        for n, (language, width) in enumerate(combos):
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
            page.select_option("#lang-select", language)
            page.locator("form.lang button").click()
            page.wait_for_load_state()
            # Five wrong passwords in lookalike spellings of one account, then the right one.
            for spelling in [f"ｌock{n}", f"𝐥ock{n}", f"𝕝ock{n}", f"LOCK{n}", f"lock{n}"]:
                page.fill("#id_username", spelling)
                page.fill("#id_password", "wrong")
                page.locator("button[type=submit].primary").click()
                page.wait_for_load_state()
            page.fill("#id_username", f"𝕝ock{n}")
            page.fill("#id_password", "right-pass")
            page.locator("button[type=submit].primary").click()
            page.wait_for_load_state()
            alert = page.locator('[role="alert"]').first.inner_text()
            expected = "失敗次數過多" if language == "zh-hant" else "Too many failed attempts"
            if expected not in alert:
                problems.append(f"{language} {width}: lockout says {alert!r}")
            page.screenshot(path=f"{SHOTS}/lockout-{language}-{width}.png", full_page=True)
            if "/accounts/login/" not in page.url:
                problems.append(f"{language} {width}: got in at {page.url}")

            page.goto(f"{base}/admin/login/")
            page.fill("#id_username", "boss")
            page.fill("#id_password", "boss-pass")
            page.locator("input[type=submit]").click()
            page.wait_for_url(f"{base}/admin/")
            # The admin's own names are in the user's language too, not class names.
            header = page.locator("#site-name").inner_text()
            index = page.locator("#content-main").inner_text()
            wanted = (
                ["危機應變室管理", "危機應變室", "輿情監測", "API 權杖", "對外傳送", "標籤更正"]
                if language == "zh-hant"
                else ["Crisis Room administration", "API tokens", "Outgoing deliveries"]
            )
            missing = [w for w in wanted if w not in header + index]
            if missing:
                problems.append(f"{language} {width}: the admin index lacks {missing}")
            page.screenshot(path=f"{SHOTS}/admin-index-{language}-{width}.png", full_page=True)
            page.goto(f"{base}/admin/crisisroom/webhook/add/")
            if page.locator("#id_name").count() != 1:
                problems.append(f"{language} {width}: the admin's add form did not render")
            page.screenshot(path=f"{SHOTS}/admin-{language}-{width}.png", full_page=True)
            # An address the sending guard would refuse is refused as it is typed, in the
            # user's language; a secret saved is never shown back, and stays when the
            # field is left empty on a change.
            name = f"Hook {n}"
            page.goto(f"{base}/admin/crisisroom/outgoingwebhook/add/")
            page.fill("#id_name", name)
            page.fill("#id_url", "ftp://hooks.example.com/in")
            page.fill("#id_secret", f"tok-hidden-{n}")
            page.locator("input[name=_save]").click()
            page.wait_for_load_state()
            refusal = page.locator(".errorlist").first.inner_text()
            expected = "網址必須以 http://" if language == "zh-hant" else "must start with http://"
            if expected not in refusal:
                problems.append(f"{language} {width}: the admin's URL refusal says {refusal!r}")
            page.screenshot(path=f"{SHOTS}/admin-refused-{language}-{width}.png", full_page=True)
            page.fill("#id_url", "https://hooks.example.com/in")
            page.fill("#id_secret", f"tok-hidden-{n}")
            page.locator("input[name=_continue]").click()
            page.wait_for_url("**/change/")
            if f"tok-hidden-{n}" in page.content():
                problems.append(f"{language} {width}: the admin shows the saved secret back")
            if page.locator("#id_secret").input_value() != "":
                problems.append(f"{language} {width}: the secret field is not empty")
            page.screenshot(path=f"{SHOTS}/admin-secret-{language}-{width}.png", full_page=True)
            page.locator("input[name=_save]").click()
            page.wait_for_url("**/outgoingwebhook/")
            if csp_errors:
                problems.append(f"{language} {width}: CSP refused {csp_errors[:2]}")
            context.close()
        browser.close()
    # Saved twice, the second time with the field left empty: the secret typed first stays.
    secrets = dict(OutgoingWebhook.objects.values_list("name", "secret"))
    assert secrets == {f"Hook {n}": f"tok-hidden-{n}" for n in range(len(combos))}
    assert problems == [], "\n".join(problems)
