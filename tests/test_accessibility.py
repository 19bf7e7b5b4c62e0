"""Accessibility and phone layout, checked in Chromium: axe-core finds no serious or
critical violation on the main pages, in English and Traditional Chinese, and no page
scrolls sideways on a phone."""

from __future__ import annotations

from pathlib import Path

import pytest

from crisisroom.services.chat import chat_post
from crisisroom.services.incidents import incident_open
from monitoring.ingest import mentions_ingest
from monitoring.models import Brand, WatchTerm
from tests import chromium

pytestmark = [pytest.mark.flow, pytest.mark.browser]
AXE = (Path(__file__).parent / "vendor" / "axe-core.min.js").read_text()


def axe_violations(page) -> list[str]:  # type: ignore[no-untyped-def]
    page.add_script_tag(content=AXE)
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
        if v["impact"] in {"serious", "critical"}
    ]


def test_the_main_pages_pass_axe_and_fit_a_phone(live_stack, bob, monkeypatch):
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    brand = Brand.objects.create(name="Acme Coffee", slug="acme-coffee")
    WatchTerm.objects.create(brand=brand, query="Acme Coffee")
    incident = incident_open(brand=brand, title="Outage")
    from datetime import UTC, datetime

    mentions_ingest(
        items=[
            {
                "source": "twitter",
                "external_id": "1",
                "text": "Acme Coffee is down again",
                "published_at": datetime.now(UTC).isoformat(),
                "author": "someone",
            }
        ]
    )
    chat_post(incident=incident, author=bob, body="Checking with IT")
    base = live_stack.base_url
    pages = ["/accounts/login/", "/", f"/incidents/{incident.pk}/", "/preferences/"]
    problems: dict[str, list[str]] = {}
    with sync_playwright() as p:
        browser = chromium.launch(p)
        for viewport in ({"width": 1280, "height": 900}, {"width": 375, "height": 740}):
            context = browser.new_context(viewport=viewport, bypass_csp=True)  # to inject axe
            page = context.new_page()
            for language in ("en", "zh-hant"):
                page.goto(f"{base}/accounts/login/")
                found = axe_violations(page)
                if found:
                    problems[f"login {language} {viewport['width']}"] = found
                page.select_option("#lang-select", language)
                page.locator("form.lang button").click()
                page.wait_for_load_state()
                page.fill("#id_username", "bob")
                page.fill("#id_password", "pw-bob")
                page.locator("button[type=submit].primary").click()
                page.wait_for_url(f"{base}/")
                for path in pages[1:]:
                    page.goto(base + path)
                    page.wait_for_load_state("networkidle")
                    found = axe_violations(page)
                    if found:
                        problems[f"{path} {language} {viewport['width']}"] = found
                    overflow = page.evaluate(
                        "document.documentElement.scrollWidth - window.innerWidth"
                    )
                    if overflow > 1:
                        problems[f"{path} {language} {viewport['width']} overflow"] = [
                            f"{overflow}px sideways"
                        ]
                page.locator("form.logout button").click()
                page.wait_for_url(f"{base}/accounts/login/")
            context.close()
        browser.close()
    assert problems == {}, "\n".join(f"{k}: {v}" for k, v in problems.items())
