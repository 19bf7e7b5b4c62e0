"""A large export in Chromium: the explorer's Export CSV offers the background export,
the real worker writes it while the page shows progress, and the download link gives
every row; in English and Traditional Chinese, desktop and phone."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest

from monitoring.ingest import mentions_ingest
from monitoring.models import Brand, WatchTerm
from tests import chromium

pytestmark = [pytest.mark.flow, pytest.mark.browser]


@pytest.fixture
def export_env(monkeypatch):  # type: ignore[no-untyped-def]
    """Read by the live server and worker: 120 rows are "large", in batches of 40."""
    monkeypatch.setenv("EXPORT_BACKGROUND_ROWS", "50")
    monkeypatch.setenv("EXPORT_BATCH_ROWS", "40")
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def test_a_large_export_runs_in_the_background_with_progress(export_env, live_stack, bob):
    from playwright.sync_api import expect, sync_playwright

    brand = Brand.objects.create(name="Acme Coffee", slug="acme-coffee")
    WatchTerm.objects.create(brand=brand, query="Acme Coffee")
    now = datetime.now(UTC)
    mentions_ingest(
        items=[
            {
                "source": "twitter",
                "external_id": f"x{n:03}",
                "text": f"Acme Coffee note {n:03}",
                "published_at": (now - timedelta(minutes=n)).isoformat(),
                "author": "someone",
            }
            for n in range(1, 121)
        ]
    )
    base = live_stack.base_url
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium.EXECUTABLE, args=chromium.ARGS)
        for width, height in ((1400, 900), (390, 844)):
            for language, export, background, download in (
                ("en", "Export CSV", "Export in the background", "Download the CSV"),
                ("zh-hant", "匯出 CSV", "在背景匯出", "下載 CSV"),
            ):
                context = browser.new_context(viewport={"width": width, "height": height})
                page = context.new_page()
                errors: list[str] = []
                page.on(
                    "console", lambda m, errors=errors: m.type == "error" and errors.append(m.text)
                )
                chromium.sign_in(page, base, "bob", language=language)
                page.goto(f"{base}/mentions/?brand=acme-coffee")
                page.get_by_role("link", name=export, exact=True).click()
                page.wait_for_load_state()
                page.screenshot(path=f"var/export-large-{language}-{width}.png", full_page=True)
                page.get_by_role("button", name=background).click()
                page.wait_for_url("**/mentions/exports/*/")
                link = page.get_by_role("link", name=download)
                expect(link).to_be_visible(timeout=60_000)  # the worker wrote it
                assert page.locator("progress").get_attribute("value") == "100"
                assert "120" in page.locator("#export-progress").inner_text()
                page.screenshot(path=f"var/export-done-{language}-{width}.png", full_page=True)
                answer = page.request.get(base + link.get_attribute("href"))
                assert answer.status == 200
                rows = list(csv.reader(io.StringIO(answer.text())))
                assert len(rows) == 121  # the header and every mention, once
                assert {row[6] for row in rows[1:]} == {f"x{n:03}" for n in range(1, 121)}
                overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
                assert overflow <= 1, f"{language} {width}: scrolls sideways by {overflow}px"
                assert not errors, errors
                context.close()
        browser.close()
