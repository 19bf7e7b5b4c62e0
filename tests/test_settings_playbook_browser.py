"""The playbook's settings pages in Chromium, as an org admin, in English and 繁體中文,
at 1400 and 390 px: edit a message template in both languages (with its preview),
add a checklist item to a step and find it in a new incident's playbook, add an
approval policy, and type a publishing target with a bad URL (an error, nothing
saved). No page scrolls sideways, none logs a console error. Screenshots land in
var/screenshots/playset/ to look at."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.core.validators import URLValidator
from django.utils import translation

from crisisroom.models import CrisisRole
from crisisroom.services.incidents import incident_open
from playbook.models import ApprovalPolicy, MessageTemplate, PlaybookTemplate, PublishTarget
from playbook.seed import seed_playbook_now
from tests import chromium

pytestmark = [pytest.mark.flow, pytest.mark.browser]
SHOTS = Path("var/screenshots/playset")


def _said(lang: str, text: str) -> str:
    with translation.override(lang):
        return translation.gettext(text)


def test_an_admin_edits_the_playbook_settings_in_both_languages(  # type: ignore[no-untyped-def]
    live_stack, alice, brand, monkeypatch
):
    from playwright.sync_api import expect, sync_playwright

    # The walk opens incidents between pages: ORM calls in Playwright's thread.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    seed_playbook_now()
    holding_en = MessageTemplate.objects.filter(kind="holding", lang="en").first()
    holding_zh = MessageTemplate.objects.filter(kind="holding", lang="zh-hant").first()
    template = PlaybookTemplate.objects.get(is_default=True)
    step = template.steps.get(number=2)
    pr_lead = CrisisRole.objects.get(slug="pr_lead")
    base = live_stack.base_url
    SHOTS.mkdir(parents=True, exist_ok=True)
    problems: dict[str, list[str]] = {}

    with sync_playwright() as p:
        browser = chromium.launch(p)
        for width in (1400, 390):
            context = browser.new_context(viewport={"width": width, "height": 900})
            page = context.new_page()
            errors: list[str] = []
            page.on("console", lambda m, e=errors: e.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda exc, e=errors: e.append(str(exc)))
            page.on(
                "response",
                lambda r, e=errors: e.append(f"{r.status} {r.url}") if r.status >= 500 else None,
            )

            def look(name: str, lang: str, width: int = width, page=page, errors=errors) -> None:  # type: ignore[no-untyped-def]
                """The page fits, logged nothing, and is kept as a screenshot."""
                page.wait_for_load_state("networkidle")
                key = f"{name} {lang} {width}"
                wide = page.evaluate(
                    "document.documentElement.scrollWidth - document.documentElement.clientWidth"
                )
                if wide > 0:
                    problems[key + " overflow"] = [f"{wide}px sideways"]
                if errors:
                    problems[key + " console"] = list(errors)
                errors.clear()
                page.screenshot(path=str(SHOTS / f"{name}-{lang}-{width}.png"), full_page=True)

            chromium.sign_in(page, base, "alice", language=None)
            for lang in ("en", "zh-hant"):
                page.select_option("#lang-select", lang)
                page.locator("form.lang button").click()
                page.wait_for_load_state()
                mark = f"{lang}-{width}"

                page.goto(f"{base}/settings/playbook/")
                expect(page.locator("h1")).to_have_text(_said(lang, "Playbook settings"))
                look("index", lang)

                # A message template, English then 繁體中文, previewed before it is saved.
                page.get_by_role("link", name=_said(lang, "Message templates")).first.click()
                look("templates", lang)
                page.get_by_role("link", name=holding_en.title, exact=True).click()
                page.fill(
                    "#id_body", f"We are looking into it ({mark}). Next update: {{next_update}}"
                )
                page.get_by_role("button", name=_said(lang, "Preview")).click()
                preview = page.locator(".template-preview")
                expect(preview).to_contain_text(f"({mark})")
                expect(preview.locator("code.blank")).to_have_text("{next_update}")
                look("template-preview", lang)
                page.get_by_role("button", name=_said(lang, "Save")).click()
                expect(page.locator(".messages")).to_contain_text(
                    _said(lang, "Message template saved.")
                )
                page.get_by_role("link", name=holding_zh.title, exact=True).click()
                page.fill("#id_body", f"我們正在了解情況（{mark}），下次更新：{{next_update}}")
                page.get_by_role("button", name=_said(lang, "Save")).click()
                expect(page.locator(".messages")).to_contain_text(
                    _said(lang, "Message template saved.")
                )
                holding_en.refresh_from_db(), holding_zh.refresh_from_db()
                assert f"({mark})" in holding_en.body and f"（{mark}）" in holding_zh.body

                # A checklist item on step 2, found in the playbook of an incident opened after.
                page.goto(f"{base}/settings/playbook/playbooks/")
                page.locator(f'a[href="/settings/playbook/playbooks/{template.pk}/"]').click()
                look("playbook", lang)
                page.locator(f'a[href$="/steps/{step.pk}/items/new/"]').click()
                page.fill("#id_text", f"Call the insurer {mark}")
                page.fill("#id_text_zh_hant", f"致電保險公司 {mark}")
                look("item-form", lang)
                page.get_by_role("button", name=_said(lang, "Save")).click()
                expect(page.locator(f"#step-{step.pk}")).to_contain_text(f"Call the insurer {mark}")
                incident = incident_open(
                    brand=brand,
                    title=f"Outage {mark}",
                    opened_by=alice,
                    started_at=datetime.now(UTC) - timedelta(minutes=5),
                )
                page.goto(f"{base}/incidents/{incident.pk}/playbook/")
                shown = f"致電保險公司 {mark}" if lang == "zh-hant" else f"Call the insurer {mark}"
                expect(page.locator("main")).to_contain_text(shown)
                look("incident-playbook", lang)

                # An approval policy for a level that has none.
                ApprovalPolicy.objects.filter(response_level="clarification").delete()
                page.goto(f"{base}/settings/playbook/approvals/")
                page.locator('a[href$="?level=clarification"]').click()
                page.locator(f'input[name=required_roles][value="{pr_lead.pk}"]').check()
                look("policy-form", lang)
                page.get_by_role("button", name=_said(lang, "Save")).click()
                expect(page.locator(".messages")).to_contain_text(
                    _said(lang, "Approval policy saved.")
                )
                look("policies", lang)
                policy = ApprovalPolicy.objects.get(response_level="clarification")
                assert list(policy.required_roles.values_list("slug", flat=True)) == ["pr_lead"]

                # A publishing target with a bad URL: the error, and what was typed kept.
                page.goto(f"{base}/settings/playbook/publishing/")
                page.locator('a[href$="/publishing/targets/new/"]').click()
                page.fill("#id_name", f"Newsroom {mark}")
                page.select_option("#id_kind", "webhook")
                page.fill("#id_base_url", "htp//not a url")
                page.get_by_role("button", name=_said(lang, "Save")).click()
                with translation.override(lang):
                    bad_url = str(URLValidator.message)
                expect(page.locator(".errorlist")).to_contain_text(bad_url)
                expect(page.locator("#id_name")).to_have_value(f"Newsroom {mark}")
                errors[:] = [e for e in errors if " 400 " not in f" {e} "]  # the form's own 400
                look("target-bad-url", lang)
                assert not PublishTarget.objects.filter(name=f"Newsroom {mark}").exists()
                # Corrected, it is saved; its secret is never shown back.
                page.fill("#id_base_url", f"https://hooks.example.com/crisis-room/{mark}/publish")
                page.fill("#id_secret", f"s3cret-{mark}")
                page.get_by_role("button", name=_said(lang, "Save")).click()
                expect(page.locator(".messages")).to_contain_text(
                    _said(lang, "Publishing target saved.")
                )
                expect(page.locator("main")).to_contain_text(f"Newsroom {mark}")
                look("publishing", lang)
                page.get_by_role("link", name=f"Newsroom {mark}").click()
                expect(page.locator(".secret-set")).to_be_visible()
                assert f"s3cret-{mark}" not in page.content()
                target = PublishTarget.objects.get(name=f"Newsroom {mark}")
                assert target.secret == f"s3cret-{mark}"
            context.close()
        browser.close()
    assert problems == {}, "\n".join(f"{k}: {v}" for k, v in problems.items())
