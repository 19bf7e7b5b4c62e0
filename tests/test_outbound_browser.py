"""The outbound queue in Chromium, in English and Traditional Chinese, at 1400 and
390 px: an admin queues a post (the time in their own zone), pauses posting, sees
the banner on every page, and resumes; the post is held while paused and queued
again after."""

from __future__ import annotations

import pytest

from playbook.models import PublishTarget, ScheduledPost
from tests import chromium
from tests.http_receiver import Receiver

pytestmark = [pytest.mark.flow, pytest.mark.browser]

WORDS = {
    "en": {
        "target": "Publishing target",
        "text": "Text",
        "at": "Post at",
        "queue": "Queue",
        "reason": "Reason",
        "pause": "Pause scheduled posts",
        "resume": "Resume scheduled posts",
        "banner": "Posting is paused.",
        "held": "Held (posting paused)",
        "queued": "Queued",
    },
    "zh-hant": {
        "target": "發布目標",
        "text": "內容",
        "at": "發文時間",
        "queue": "排入佇列",
        "reason": "原因",
        "pause": "暫停排程貼文",
        "resume": "恢復排程貼文",
        "banner": "發文已暫停。",
        "held": "暫緩（發文已暫停）",
        "queued": "排程中",
    },
}


@pytest.mark.parametrize("lang", ["en", "zh-hant"])
def test_queue_pause_see_the_banner_and_resume(live_stack, alice, lang):  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect, sync_playwright

    alice.language, alice.time_zone = lang, "Asia/Taipei"
    alice.save(update_fields=["language", "time_zone"])
    base, w = live_stack.base_url, WORDS[lang]
    failures: list[str] = []
    receiver = Receiver().__enter__()
    PublishTarget.objects.create(
        name="newsroom", kind="webhook", base_url=f"{receiver.url}/publish"
    )
    # No ORM inside: Playwright's sync API runs an event loop in this thread.
    with sync_playwright() as p:
        browser = chromium.launch(p)
        page = browser.new_context(viewport={"width": 1400, "height": 900}).new_page()
        page.on("response", lambda r: failures.append(r.url) if r.status >= 500 else None)
        page.goto(f"{base}/accounts/login/")
        page.locator("input[name=username]").fill("alice")
        page.locator("input[name=password]").fill("pw-alice")
        page.locator("form button[type=submit], form input[type=submit]").last.click()
        page.wait_for_url(f"{base}/")

        page.goto(f"{base}/outbound/")
        page.get_by_label(w["target"]).select_option("newsroom")
        page.get_by_label(w["text"], exact=True).fill("Update at 17:00: refunds are on their way.")
        page.get_by_label(w["at"]).fill("2031-03-01T17:00")
        page.get_by_role("button", name=w["queue"], exact=True).click()
        row = page.locator("tr[data-state]").first
        expect(row).to_contain_text("2031-03-01 17:00")  # as typed, in Asia/Taipei
        expect(row).to_contain_text(w["queued"])
        page.screenshot(path=f"var/outbound-{lang}-queued-1400.png", full_page=True)

        page.get_by_label(w["reason"], exact=True).fill("Product recall: hold every post")
        page.get_by_role("button", name=w["pause"]).click()
        banner = page.locator("#outbound-pause-banner")
        expect(banner).to_contain_text(w["banner"])
        expect(banner).to_contain_text("Product recall: hold every post")
        expect(page.locator("tr[data-state]").first).to_contain_text(w["held"])
        page.screenshot(path=f"var/outbound-{lang}-paused-1400.png", full_page=True)
        for path in ("/", "/drills/", "/on-call/"):
            page.goto(f"{base}{path}")
            expect(page.locator("#outbound-pause-banner")).to_contain_text(w["banner"])
        page.set_viewport_size({"width": 390, "height": 844})
        page.goto(f"{base}/")
        page.screenshot(path=f"var/outbound-{lang}-banner-390.png", full_page=False)
        box = page.locator("#outbound-pause-banner").bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390
        assert page.evaluate("document.documentElement.scrollWidth") <= 390

        page.goto(f"{base}/outbound/")
        page.screenshot(path=f"var/outbound-{lang}-paused-390.png", full_page=True)
        page.get_by_role("button", name=w["resume"]).click()
        expect(page.locator("#outbound-pause-banner")).to_have_count(0)
        expect(page.locator("tr[data-state]").first).to_contain_text(w["queued"])
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.screenshot(path=f"var/outbound-{lang}-resumed-390.png", full_page=True)
        browser.close()
    receiver.__exit__()
    post = ScheduledPost.objects.get()
    assert post.state == "queued"
    assert post.due_at.isoformat() == "2031-03-01T09:00:00+00:00"  # 17:00 in Taipei
    assert receiver.at("/publish") == []  # due in 2031: nothing went out
    assert failures == []
