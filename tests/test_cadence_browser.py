"""Keeping the public informed, in Chromium at 1400 and 390 px, in English and
Traditional Chinese: the war room says when the next public update is due; the lead
writes a note and pins it (live, no reload); the statement page previews the LINE
and PTT variants counted against their limits."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from crisisroom.models import Incident
from crisisroom.services.incidents import incident_open, member_assign
from crisisroom.services.users import user_add
from monitoring.models import Brand
from playbook.seed import seed_playbook_now
from playbook.services import statements
from tests import chromium

pytestmark = [pytest.mark.flow, pytest.mark.browser]

WORDS = {
    "en": {
        "due": "Next public update due in 23 min",
        "note_label": "Add a note to the timeline",
        "add": "Add note",
        "pin": "Pin",
        "pinned": "Pinned",
        "unpin": "Unpin",
        "previews": "Previews per channel",
        "by_hand": "Published by hand, with a link",
        "over": "over the limit",
    },
    "zh-hant": {
        "due": "下次公開更新：23 分鐘後到期",
        "note_label": "在時間軸新增筆記",
        "add": "新增筆記",
        "pin": "置頂",
        "pinned": "已置頂",
        "unpin": "取消置頂",
        "previews": "各頻道預覽",
        "by_hand": "手動發布，附連結",
        "over": "超過上限",
    },
}
# What sticks out of a phone's width, to say where a page overflows.
WIDEST = """[...document.querySelectorAll('body *')]
  .filter(e => e.getBoundingClientRect().right > 391)
  .slice(0, 5).map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))"""
LINE_TEXT = "【Acme咖啡公告】我們對台北門市停電造成的不便深感抱歉。所有訂單將於週五前全額退款。"
PTT_TEXT = "[公告] Acme咖啡台北門市停電說明\n我們深感抱歉，退款將於週五前完成。"


@pytest.mark.parametrize("lang", ["en", "zh-hant"])
def test_the_war_room_keeps_the_public_informed(live_stack, monkeypatch, lang):
    from playwright.sync_api import expect, sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    seed_playbook_now()  # transactional tests flush what the migration seeded
    lena, _ = user_add(
        username="lena", org_role="responder", crisis_roles=["incident_lead"], password="pw-lena"
    )
    lena.language = lang
    lena.save(update_fields=["language"])
    brand = Brand.objects.create(name="Acme Coffee", slug="acme-coffee")
    incident = incident_open(brand=brand, title="Power cut in Taipei stores", opened_by=lena)
    member_assign(incident=incident, user=lena, crisis_role="incident_lead", by=lena)
    # Opened 37 minutes ago, no statement yet: the first public update is due in 23 min.
    Incident.objects.filter(pk=incident.pk).update(
        opened_at=timezone.now() - timedelta(minutes=37, seconds=5)
    )
    statement = statements.statement_create(
        incident=incident,
        by=lena,
        body="We are sorry for the power cut in our Taipei stores. Every order is refunded by Friday.",
        channels=["line", "ptt", "x"],
    )
    statements.statement_edit(
        statement=statement,
        by=lena,
        variants={"line": LINE_TEXT, "ptt": PTT_TEXT, "x": "我" * 141},
    )
    base, w = live_stack.base_url, WORDS[lang]
    room = f"{base}/incidents/{incident.pk}/"
    failures: list[str] = []
    note = "Store managers briefed at 14:00" if lang == "en" else "14:00 已向門市店長說明"

    with sync_playwright() as p:
        browser = chromium.launch(p)
        page = browser.new_context(viewport={"width": 1400, "height": 900}).new_page()
        page.on("response", lambda r: failures.append(r.url) if r.status >= 500 else None)
        page.goto(f"{base}/accounts/login/")
        page.locator("input[name=username]").fill("lena")
        page.locator("input[name=password]").fill("pw-lena")
        page.locator("form button[type=submit], form input[type=submit]").last.click()
        page.wait_for_url(f"{base}/")
        page.goto(room)
        expect(page.locator(".war-room")).to_have_attribute("data-connected", "true", timeout=15000)
        page.evaluate("window.__notReloaded = true")
        expect(page.locator("#update-cadence")).to_contain_text(w["due"])

        page.get_by_label(w["note_label"]).fill(note)
        page.get_by_role("button", name=w["add"], exact=True).click()
        entry = page.locator("#timeline li", has_text=note)
        expect(entry).to_have_count(1, timeout=10000)
        expect(page.get_by_label(w["note_label"])).to_have_value("")
        entry.get_by_role("button").click()  # its Pin button
        pinned = page.locator("#timeline-pinned")
        expect(pinned).to_contain_text(note, timeout=10000)
        expect(pinned.get_by_role("button", name=w["unpin"])).to_have_count(1)
        expect(pinned.locator("h3")).to_have_text(w["pinned"])
        assert page.evaluate("window.__notReloaded") is True
        page.screenshot(path=f"var/cadence-{lang}-1400.png", full_page=True)
        page.set_viewport_size({"width": 390, "height": 844})
        page.locator("#update-cadence").scroll_into_view_if_needed()
        page.screenshot(path=f"var/cadence-{lang}-390-top.png")
        pinned.scroll_into_view_if_needed()
        page.screenshot(path=f"var/cadence-{lang}-390-pinned.png")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390

        page.set_viewport_size({"width": 1400, "height": 900})
        page.goto(f"{room}playbook/statements/{statement.pk}/")
        previews = page.locator("section", has_text=w["previews"])
        line = page.locator("#preview-line")
        expect(line).to_contain_text(LINE_TEXT)
        expect(line).to_contain_text(f"{len(LINE_TEXT)} / 500")
        expect(line).to_contain_text(w["by_hand"])
        expect(page.locator("#preview-ptt")).to_contain_text("[公告] Acme咖啡台北門市停電說明")
        expect(page.locator("#preview-x")).to_contain_text("282 / 280")
        expect(page.locator("#preview-x")).to_contain_text(w["over"])
        previews.screenshot(path=f"var/previews-{lang}-1400.png")
        page.set_viewport_size({"width": 390, "height": 844})
        previews.screenshot(path=f"var/previews-{lang}-390.png")
        wide = page.evaluate(WIDEST)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, wide
        browser.close()

    assert failures == []
    event = incident.timeline.get(message=note)
    assert event.pinned_at is not None and event.pinned_by == lena
