"""An admin in Chromium, in English and 繁體中文 at 1400 and 390 px: reads what a kind
needs, tests a PTT source against a local copy of ptt.cc (items shown, nothing
stored), saves a Google News search preset, and sees a YouTube source's quota on the
source page. Screenshots go to $SOURCES_SHOTS (when set) for a person to look at."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from monitoring.connectors.youtube import quota_day
from monitoring.models import Mention, Source
from monitoring.tests.feedserver import FeedServer, Reply
from tests import chromium

pytestmark = [pytest.mark.flow, pytest.mark.browser]

PAYLOADS = Path(__file__).resolve().parent.parent / "monitoring" / "tests" / "payloads"
ARTICLES = {"M.1795518000.A.1F3": "ptt_article_1.html", "M.1795521600.A.2B7": "ptt_article_2.html"}

WORDS = {
    "en": {
        "guide": "What each kind needs",
        "test": "Test this source",
        "result": "7 items fetched; the newest 7",
        "reactions": "2 up, 1 down",
        "save": "Save",
        "quota": "Quota today: 102 of 10,000 units",
    },
    "zh-hant": {
        "guide": "各類來源需要什麼",
        "test": "測試此來源",
        "result": "已抓取 7 筆；最新的 7 筆",
        "reactions": "2 推、1 噓",
        "save": "儲存",
        "quota": "今日配額：已用 102／10,000 單位",
    },
}


@pytest.fixture
def ptt_site():  # type: ignore[no-untyped-def]
    server = FeedServer().start()
    server.routes["/bbs/MobileComm/index.html"] = Reply(
        body=(PAYLOADS / "ptt_index.html").read_text(encoding="utf-8")
    )
    for article, name in ARTICLES.items():
        server.routes[f"/bbs/MobileComm/{article}.html"] = Reply(
            body=(PAYLOADS / name).read_text(encoding="utf-8")
        )
    try:
        yield server
    finally:
        server.stop()


def test_an_admin_tests_and_saves_sources_in_both_languages(live_stack, alice, ptt_site, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    Source.objects.create(
        kind="youtube",
        key="yt-acme",
        name="YouTube: Acme",
        config={"query": "Acme", "secret_env": "CRISISROOM_SOURCE_YOUTUBE_API_KEY"},
        cursor={"quota": {"day": quota_day(datetime.now(UTC)), "used": 102}},
    )
    shots = Path(os.environ.get("SOURCES_SHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    base = live_stack.base_url
    overflow: dict[str, int] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium.EXECUTABLE, args=chromium.ARGS)
        for width in (1400, 390):
            for language, words in WORDS.items():
                context = browser.new_context(
                    viewport={"width": width, "height": 900},
                    extra_http_headers={"Accept-Language": language},
                )
                page = context.new_page()
                chromium.sign_in(page, base, "alice", language=None)

                page.goto(f"{base}/sources/new/")
                expect(page.locator(".kind-guide h2")).to_have_text(words["guide"])
                page.select_option("#id_kind", "ptt")
                page.fill("#id_key", f"ptt-{language}-{width}")
                page.fill("#id_url", ptt_site.base_url)
                page.fill("#id_config", '{"boards": "MobileComm"}')
                page.get_by_role("button", name=words["test"]).click()
                result = page.locator("#test-result")
                expect(result).to_contain_text(words["result"])
                expect(result).to_contain_text("爛透了 退貨")
                expect(result).to_contain_text(words["reactions"])
                # The form keeps what was typed, ready to save.
                expect(page.locator("#id_key")).to_have_value(f"ptt-{language}-{width}")
                result.scroll_into_view_if_needed()
                page.screenshot(
                    path=str(shots / f"source-test-{language}-{width}.png"), full_page=True
                )
                overflow[f"test {language} {width}"] = page.evaluate(
                    "document.documentElement.scrollWidth - window.innerWidth"
                )

                page.goto(f"{base}/sources/new/")
                page.select_option("#id_kind", "rss")
                page.fill("#id_key", f"gn-{language}-{width}")
                page.select_option("#id_preset", "google_news_tw")
                page.fill("#id_search_query", "Acme 退貨 when:1d")
                page.get_by_role("button", name=words["save"], exact=True).click()
                page.wait_for_url(f"{base}/sources/")
                expect(page.locator("body")).to_contain_text("news.google.com/rss/search?q=Acme")
                expect(page.locator("body")).to_contain_text(words["quota"])
                page.screenshot(path=str(shots / f"sources-{language}-{width}.png"), full_page=True)
                overflow[f"list {language} {width}"] = page.evaluate(
                    "document.documentElement.scrollWidth - window.innerWidth"
                )
                context.close()
        browser.close()

    # Testing stored nothing; saving stored the presets, with the URL made from the query.
    assert not Source.objects.filter(kind="ptt").exists() and not Mention.objects.exists()
    saved = Source.objects.get(key="gn-zh-hant-390")
    assert saved.url.startswith("https://news.google.com/rss/search?q=Acme+%E9%80%80%E8%B2%A8")
    assert {k: v for k, v in overflow.items() if v > 1} == {}
