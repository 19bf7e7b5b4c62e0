"""The incident lead resolves an incident from the war room in Chromium (htmx, no reload),
in English and Traditional Chinese, at 1400 and 390 px; then reopens it."""

from __future__ import annotations

import pytest

from crisisroom.services.incidents import incident_acknowledge, incident_open, member_assign
from crisisroom.services.users import user_add
from tests import chromium

pytestmark = [pytest.mark.flow, pytest.mark.browser]

WORDS = {
    "en": {
        "monitor": "Move to monitoring",
        "summary": "One-line summary of how it was resolved",
        "resolve": "Resolve",
        "resolved": "Resolved",
        "why": "Why reopen it?",
        "reopen": "Reopen",
        "username": "Username",
        "password": "Password",
        "login": "Log in",
    },
    "zh-hant": {
        "monitor": "轉為監測中",
        "summary": "一句話說明事件如何解決",
        "resolve": "解決",
        "resolved": "已解決",
        "why": "為什麼重新開啟？",
        "reopen": "重新開啟",
        "username": "Username",
        "password": "Password",
        "login": "Log in",
    },
}


@pytest.mark.parametrize("lang", ["en", "zh-hant"])
def test_the_lead_resolves_and_reopens_from_the_war_room(live_stack, alice, lang):
    from playwright.sync_api import expect, sync_playwright

    from monitoring.models import Brand

    lena, _ = user_add(
        username="lena", org_role="responder", crisis_roles=["incident_lead"], password="pw-lena"
    )
    lena.language = lang
    lena.save(update_fields=["language"])
    brand = Brand.objects.create(name="Acme Coffee", slug="acme-coffee")
    incident = incident_open(brand=brand, title="Burnt beans", opened_by=alice)
    member_assign(incident=incident, user=lena, crisis_role="incident_lead", by=alice)
    incident_acknowledge(incident=incident, user=lena)
    base, w = live_stack.base_url, WORDS[lang]
    failures: list[str] = []

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium.EXECUTABLE, args=chromium.ARGS)
        page = browser.new_context(viewport={"width": 1400, "height": 900}).new_page()
        page.on("response", lambda r: failures.append(r.url) if r.status >= 500 else None)
        page.goto(f"{base}/accounts/login/")
        page.locator("input[name=username]").fill("lena")
        page.locator("input[name=password]").fill("pw-lena")
        page.locator("form button[type=submit], form input[type=submit]").last.click()
        page.wait_for_url(f"{base}/")
        page.goto(f"{base}/incidents/{incident.pk}/")
        page.evaluate("window.__notReloaded = true")
        page.get_by_role("button", name=w["monitor"]).click()
        expect(page.locator("#incident-lifecycle")).not_to_contain_text(w["monitor"])
        page.get_by_label(w["summary"]).fill("Refunds sent; sentiment back to normal")
        page.screenshot(path=f"var/lifecycle-{lang}-1400.png", full_page=False)
        page.get_by_role("button", name=w["resolve"], exact=True).click()
        expect(page.locator("#incident-lifecycle")).to_contain_text(
            "Refunds sent; sentiment back to normal"
        )
        expect(page.locator("#incident-status")).to_contain_text(w["resolved"], timeout=15000)
        assert page.evaluate("window.__notReloaded") is True
        page.set_viewport_size({"width": 390, "height": 844})
        page.screenshot(path=f"var/lifecycle-{lang}-390.png", full_page=False)
        page.get_by_label(w["why"]).fill("It flared up again")
        page.get_by_role("button", name=w["reopen"]).click()
        # "解決" is also inside "已解決": wait for the status itself to change.
        expect(page.locator("#incident-status")).not_to_contain_text(w["resolved"], timeout=15000)
        expect(page.get_by_role("button", name=w["resolve"], exact=True)).to_be_visible()
        browser.close()

    incident.refresh_from_db()
    assert incident.status == "acknowledged" and incident.resolved_at is None
    messages = list(incident.timeline.values_list("message", flat=True))
    assert any("Refunds sent; sentiment back to normal" in m for m in messages)
    assert failures == []
