"""The coach in Chromium: two people in the same war room see different next actions;
when a second legal counsel approves the statement, the first one's approval action
disappears live and the social media manager is told to publish it. Then the panel
walked in English and 繁體中文 at 1400 and 390 px (screenshots under var/)."""

from __future__ import annotations

import pytest

from crisisroom.models import User
from crisisroom.services.incidents import incident_open, member_assign
from crisisroom.services.users import user_add
from playbook.seed import seed_playbook_now
from playbook.services import statements
from tests import chromium

pytestmark = [pytest.mark.flow, pytest.mark.browser]


def _log_in(browser, base: str, username: str, width: int = 1400, language: str = "en"):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": width, "height": 900 if width > 500 else 844})
    page = context.new_page()
    chromium.sign_in(page, base, username, language=language)
    return page


def _person(username: str, role: str):  # type: ignore[no-untyped-def]
    user, _ = user_add(
        username=username, org_role="responder", crisis_roles=[role], password=f"pw-{username}"
    )
    return user


def test_two_people_see_their_own_next_actions_and_one_clears_live(live_stack, bob):
    from playwright.sync_api import expect, sync_playwright

    seed_playbook_now()
    from monitoring.models import Brand

    brand = Brand.objects.create(name="Acme Coffee", slug="acme-coffee")
    incident = incident_open(brand=brand, title="Burnt beans", opened_by=bob)
    member_assign(incident=incident, user=bob, crisis_role="legal_counsel", by=bob)
    lena = _person("lena", "legal_counsel")
    sam = _person("sam", "social_media_manager")
    pam = _person("pam", "pr_lead")
    eve = _person("eve", "executive_lead")
    for user, role in (
        (lena, "legal_counsel"),
        (sam, "social_media_manager"),
        (pam, "pr_lead"),
        (eve, "executive_lead"),
    ):
        member_assign(incident=incident, user=user, crisis_role=role, by=bob)
    statement = statements.statement_create(
        incident=incident, by=pam, body="We are sorry. Refunds by Friday."
    )
    statements.statement_submit(statement=statement, by=pam)
    statements.statement_approve(statement=statement, by=eve)
    base = live_stack.base_url
    room = f"{base}/incidents/{incident.pk}/"

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium.EXECUTABLE, args=chromium.ARGS)
        legal = _log_in(browser, base, "bob")
        legal.goto(room)
        social = _log_in(browser, base, "sam")
        social.goto(room)
        for page in (legal, social):
            expect(page.locator(".war-room")).to_have_attribute(
                "data-connected", "true", timeout=15000
            )
            page.evaluate("window.__notReloaded = true")
        legal_panel = legal.locator("#next-actions")
        social_panel = social.locator("#next-actions")
        expect(legal_panel).to_contain_text(
            f"Legal counsel: Statement #{statement.pk} waits for your approval"
        )
        expect(social_panel).to_contain_text("Nothing is waiting on you right now.")
        expect(social_panel).not_to_contain_text("waits for your approval")
        legal.screenshot(path="var/coach-legal-before.png", full_page=False)

        # The action links to where it is done.
        link = legal_panel.get_by_role("link", name=f"Statement #{statement.pk} waits")
        assert link.get_attribute("href") == (
            f"/incidents/{incident.pk}/playbook/statements/{statement.pk}/"
        )

        # The other legal counsel approves: bob's action goes, sam is told to publish.
        other = _log_in(browser, base, "lena")
        other.goto(f"{room}playbook/statements/{statement.pk}/")
        other.get_by_role("button", name="Approve").click()
        expect(legal_panel).not_to_contain_text("waits for your approval", timeout=15000)
        expect(legal_panel).to_contain_text("Nothing is waiting on you right now.")
        expect(social_panel).to_contain_text(
            f"Social media manager: Statement #{statement.pk} is approved — publish it.",
            timeout=15000,
        )
        assert legal.evaluate("window.__notReloaded") is True
        assert social.evaluate("window.__notReloaded") is True
        social.screenshot(path="var/coach-social-after.png", full_page=False)

        browser.close()

    # The walk: the social media manager's panel in both languages and widths. (The
    # database is written between browsers: sync Playwright holds this thread's loop.)
    for language, heading, role, message in (
        ("en", "Your next actions", "Social media manager:", "is approved — publish it."),
        ("zh-hant", "您的下一步", "社群媒體經理：", "已核准，請發布。"),
    ):
        User.objects.filter(pk=sam.pk).update(language=language)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium.EXECUTABLE, args=chromium.ARGS)
            for width in (1400, 390):
                page = _log_in(browser, base, "sam", width=width, language=language)
                page.goto(room)
                panel = page.locator("#next-actions")
                expect(panel).to_contain_text(heading)
                expect(panel).to_contain_text(role)
                expect(panel).to_contain_text(message)
                box = panel.bounding_box()
                assert box is not None and box["x"] >= 0
                assert box["x"] + box["width"] <= width + 1, f"{language} {width}: panel overflows"
                page.screenshot(path=f"var/coach-{language}-{width}.png", full_page=False)
                page.context.close()
            browser.close()
