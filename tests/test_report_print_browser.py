"""The post-crisis review's print view, walked in Chromium: linked from the review,
fits 1400 and 390 px in English and 繁體中文 without console errors, and prints (print
media) as the document alone; Chromium's own PDF of it is kept with the screenshots in
var/screenshots/report/ to look at."""

from __future__ import annotations

from pathlib import Path

import pytest

from crisisroom.services.incidents import incident_open, member_assign
from foundation.roles import OrgRole
from monitoring.models import Brand
from playbook.seed import seed_playbook_now
from playbook.tests.conftest import ROLES, Cast, make_user
from playbook.tests.test_report_documents import CLAIM_FALSE, fill_storm
from tests import chromium

pytestmark = [pytest.mark.flow, pytest.mark.browser]
SHOTS = Path("var/screenshots/report")


def test_the_review_print_view_reads_and_prints_in_both_languages(live_stack, alice, monkeypatch):
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    seed_playbook_now()
    brand = Brand.objects.create(name="Acme Coffee", slug="acme-coffee")
    incident = incident_open(brand=brand, title="Burnt beans", opened_by=alice)
    people = {}
    for role in ROLES:
        user = make_user(role.replace("_", "-"), OrgRole.RESPONDER, role)
        member_assign(incident=incident, user=user, crisis_role=role, by=alice)
        people[role] = user
    incident = fill_storm(Cast(incident=incident, people=people))
    SHOTS.mkdir(parents=True, exist_ok=True)
    base = live_stack.base_url
    problems: dict[str, list[str]] = {}
    errors: list[str] = []
    with sync_playwright() as p:
        browser = chromium.launch(p)
        for width in (1400, 390):
            context = browser.new_context(viewport={"width": width, "height": 900})
            page = context.new_page()
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on(
                "response",
                lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else None,
            )
            for language in ("en", "zh-hant"):
                chromium.sign_in(page, base, "alice", "pw-alice", language)
                errors.clear()
                page.goto(f"{base}/incidents/{incident.pk}/playbook/review/")
                page.locator(f"a[href='/incidents/{incident.pk}/playbook/review/print/']").click()
                page.wait_for_load_state("networkidle")
                problems.update(chromium.fit_problems(page, f"{language} {width}", errors))
                assert page.locator("#report-ledger").get_by_text(CLAIM_FALSE).count() == 1
                roster = page.locator("#report-roster")
                assert roster.get_by_text("legal-counsel", exact=True).count() == 1
                heading = "團隊名單" if language == "zh-hant" else "Team roster"
                assert roster.locator("h2").inner_text() == heading
                assert page.locator(".report-checks li.done").count() >= 3
                assert page.locator("svg.report-chart rect").count() > 10
                page.screenshot(path=str(SHOTS / f"print-{language}-{width}.png"), full_page=True)
                page.emulate_media(media="print")
                assert not page.locator("header.top").is_visible()
                assert page.locator("#report-title").is_visible()
                if width == 1400:
                    (SHOTS / f"chromium-{language}.pdf").write_bytes(page.pdf(format="A4"))
                page.emulate_media(media="screen")
                page.locator("form.logout button").click()
                page.wait_for_url(f"{base}/accounts/login/")
            context.close()
        browser.close()
    assert problems == {}, "\n".join(f"{k}: {v}" for k, v in problems.items())
