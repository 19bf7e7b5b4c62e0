"""A person in Chromium reads why an alert fired: the war room's "Why this alert"
card carries the count model's sentence (posts in the window, the number expected
at this time on this weekday, the odds), in English and Traditional Chinese, at
desktop and phone widths. Screenshots land in the test's tmp_path."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from crisisroom.services.incidents import incident_take_signal
from monitoring.detection import Signal as DetectorSignal
from monitoring.models import Brand, Signal, WatchTerm
from monitoring.signal_explain import explain
from tests import chromium

pytestmark = [pytest.mark.flow, pytest.mark.browser]


def test_the_war_room_says_why_the_alert_fired(live_stack, bob, tmp_path, monkeypatch):
    from playwright.sync_api import expect, sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    brand = Brand.objects.create(name="Acme Bakery", slug="acme-bakery")
    WatchTerm.objects.create(brand=brand, query="Acme Bakery")
    at = datetime(2026, 12, 1, 14, 0, tzinfo=UTC)  # a Tuesday
    # what the detector returns for 41 posts in an hour where 6.2 were expected
    found = DetectorSignal("volume", at, 6.2 / 12, 20 / 12, 41 / 12, 3.0, True, 60, 12, 21.3)
    signal = Signal.objects.create(
        brand=brand,
        kind="volume",
        at=at,
        baseline=found.baseline,
        threshold=found.threshold,
        observed=found.observed,
        magnitude=found.magnitude,
        detail=explain(found.kind, found.at, found),
    )
    incident = incident_take_signal(signal=signal)
    base = live_stack.base_url
    expected = {
        "en": "41 posts in the last hour; about 6.2 expected at this time on a Tuesday",
        "zh-hant": "過去一小時有 41 則貼文；星期二的這個時段預期約 6.2 則",
    }
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium.EXECUTABLE, args=chromium.ARGS)
        for viewport in ({"width": 1400, "height": 900}, {"width": 390, "height": 844}):
            for language, sentence in expected.items():
                context = browser.new_context(viewport=viewport)
                page = context.new_page()
                chromium.sign_in(page, base, "bob", language=language)
                page.goto(f"{base}/incidents/{incident.pk}/")
                card = page.locator("ul.signals li").first
                expect(card).to_contain_text(sentence)
                expect(card).to_contain_text("2,600,000")
                card.scroll_into_view_if_needed()
                overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
                assert overflow <= 1, f"{language} {viewport['width']}: {overflow}px sideways"
                page.screenshot(path=str(tmp_path / f"why-{language}-{viewport['width']}.png"))
                context.close()
        browser.close()
