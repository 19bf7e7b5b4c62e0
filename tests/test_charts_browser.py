"""A person in Chromium reads the charts: the war room's opens on the incident's window
with the detector's band and the alert and statement markers, its range buttons work
from the keyboard without a reload, new mentions keep flowing into the chosen range;
the dashboard has a sparkline per brand; the explorer charts its filter with platform
and sentiment bars. English and 繁體中文, 1400 and 390 px, no console error, nothing
scrolls sideways. Screenshots in var/screenshots/charts/."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from crisisroom.choices import TimelineKind
from crisisroom.services.incidents import incident_open
from crisisroom.services.timeline import timeline_add
from crisisroom.services.users import api_token_create
from crisisroom.tests.test_charts import volume_signal
from monitoring.models import BUCKET_SECONDS, Brand, Rollup, WatchTerm, bucket_start
from tests import chromium
from tests.test_browser import post_mentions

pytestmark = [pytest.mark.flow, pytest.mark.browser]

SHOTS = Path("var/screenshots/charts")
BUCKET = timedelta(seconds=BUCKET_SECONDS)
TAIPEI = ZoneInfo("Asia/Taipei")


def _history(brand: Brand, now: datetime) -> tuple[datetime, datetime]:
    """Two days of calm (3 per 5 minutes), then a two-hour storm (50 per 5 minutes,
    most of it negative) that started five hours ago and eased after a statement."""
    started = bucket_start(now - timedelta(hours=5))
    moment = bucket_start(now - timedelta(days=2))
    rows = []
    while moment < bucket_start(now):
        storm = started <= moment < started + timedelta(hours=2)
        count = 50 if storm else 3
        negative = 35 if storm else 1
        rows.append(
            Rollup(
                brand=brand,
                bucket=moment,
                platform="twitter",
                count=count,
                negative=negative,
                neutral=count - negative,
                reach=count * 1200,
            )
        )
        moment += BUCKET
    Rollup.objects.bulk_create(rows)
    return started, started + timedelta(hours=1, minutes=30)


def _walk_setup(bob):  # type: ignore[no-untyped-def]
    now = datetime.now(UTC)
    brand = Brand.objects.create(name="Acme Coffee", slug="acme-coffee")
    WatchTerm.objects.create(brand=brand, query="Acme Coffee")
    Brand.objects.create(name="Bean Bros", slug="bean-bros")
    started, statement_at = _history(brand, now)
    incident = incident_open(brand=brand, title="Loyalty points backlash", started_at=started)
    moment = started
    while moment < started + timedelta(hours=2):
        volume_signal(brand, moment, incident=incident, fires=moment == started)
        moment += BUCKET
    event = timeline_add(
        incident=incident,
        kind=TimelineKind.STATEMENT,
        message="Statement #1 published by bob: https://example.com/1",
        data={"statement": 1, "publications": [1]},
        actor=bob,
    )
    event.at = statement_at
    event.save(update_fields=["at"])
    return incident, api_token_create(user=bob)


def test_the_charts_read_at_a_glance(live_stack, bob, monkeypatch):
    from playwright.sync_api import expect, sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    incident, token = _walk_setup(bob)
    bob.time_zone = "Asia/Taipei"
    bob.save(update_fields=["time_zone"])
    window_start = f"{(incident.started_at - timedelta(hours=3)).astimezone(TAIPEI):%H:%M}"
    base = live_stack.base_url
    SHOTS.mkdir(parents=True, exist_ok=True)
    window_from = incident.started_at - timedelta(hours=3)

    def window_points() -> int:
        """3 hours before it started, to now: one more point each time the clock crosses
        a 5-minute boundary, which can happen while the walk runs."""
        return (bucket_start(datetime.now(UTC)) - window_from) // BUCKET + 1

    pushed = False
    with sync_playwright() as p:
        browser = chromium.launch(p)
        for width in (1400, 390):
            for language in ("en", "zh-hant"):
                zh = language == "zh-hant"
                context = browser.new_context(viewport={"width": width, "height": 900})
                page = context.new_page()
                errors: list[str] = []
                page.on(
                    "console", lambda m, e=errors: e.append(m.text) if m.type == "error" else None
                )
                page.on("pageerror", lambda exc, e=errors: e.append(str(exc)))
                chromium.sign_in(page, base, "bob", language=language)
                key = f"{language}-{width}"

                # --- the dashboard: one sparkline per brand, described in words
                sparks = page.locator("svg.sparkline")
                expect(sparks).to_have_count(2)
                label = (
                    page.locator("tr", has_text="Acme Coffee")
                    .locator("svg.sparkline")
                    .get_attribute("aria-label")
                )
                # the storm's hours: 12 buckets of 50
                assert ("最多 600 則" if zh else "at most 600 (") in label, label
                _fits(page, key + " dashboard")
                page.screenshot(path=str(SHOTS / f"dashboard-{key}.png"), full_page=True)

                # --- the war room
                page.goto(f"{base}/incidents/{incident.pk}/")
                expect(page.locator(".war-room")).to_have_attribute(
                    "data-connected", "true", timeout=15000
                )
                chart = page.locator("#volume-chart")
                expect(chart).to_have_attribute("data-range", "incident")
                expect(chart).to_have_attribute("data-points", re.compile(r"^[1-9][0-9]*$"))
                points = int(chart.get_attribute("data-points") or 0)
                assert points in (window_points() - 1, window_points()), (points, key)
                expect(chart.locator("canvas")).to_have_count(1)
                page.evaluate("window.__notReloaded = true")
                markers = page.locator(".chart-markers li")
                # the storm's alert (the live push below may make the detector add one)
                expect(page.locator(".chart-markers li.marker-alert").first).to_be_visible()
                statement = page.locator(".chart-markers li.marker-statement")
                expect(statement).to_have_count(1)
                expect(statement).to_contain_text(
                    "前一小時" if zh else "in the hour before: 50 mentions per 5 minutes"
                )
                summary = page.locator(".chart-summary")
                # 24 storm buckets of 50 (35 negative) and 72 calm ones of 3 (1 negative),
                # thousands separated; the window's start in the viewer's zone (Taipei)
                expect(summary).to_contain_text("1,423" if pushed else "1,416")
                if not pushed:
                    expect(summary).to_contain_text("64%")
                expect(summary).to_contain_text(window_start)
                assert chart.get_attribute("aria-label") == summary.inner_text()
                # hovering shows the time in the viewer's language in the legend
                chart.locator(".u-over").scroll_into_view_if_needed()
                box = chart.locator(".u-over").bounding_box()
                page.mouse.move(box["x"] + box["width"] * 0.6, box["y"] + box["height"] / 2)
                legend_time = chart.locator(".u-legend .u-series").first.locator(".u-value")
                expect(legend_time).to_contain_text("月" if zh else ":")
                legend = chart.locator(".u-legend").inner_text()
                for word in (
                    ["時間", "預期", "負面比例"] if zh else ["Time", "Expected", "Negative share"]
                ):
                    assert word in legend, (key, legend)
                page.locator(".chart-card").screenshot(path=str(SHOTS / f"war-room-{key}.png"))

                # range buttons from the keyboard: 6 h, then 7 d; no reload
                six = page.locator("[data-chart-range='6h']")
                six.focus()
                page.keyboard.press("Enter")
                expect(chart).to_have_attribute("data-range", "6h")
                expect(chart).to_have_attribute("data-points", str(6 * 12 + 1))
                expect(six).to_have_attribute("aria-pressed", "true")
                expect(page.locator("[data-chart-range='incident']")).to_have_attribute(
                    "aria-pressed", "false"
                )
                week = page.locator("[data-chart-range='7d']")
                week.focus()
                page.keyboard.press("Space")
                expect(chart).to_have_attribute("data-points", str(7 * 24 * 12 + 1))
                page.locator("[data-chart-range='1h']").click()
                expect(chart).to_have_attribute("data-range", "1h")
                if not pushed:
                    expect(markers).to_have_count(0)  # neither marker is in the last hour
                assert page.evaluate("window.__notReloaded") is True

                if not pushed:
                    # new mentions flow into the chosen range (the last hour)
                    before = summary.inner_text()
                    now = datetime.now(UTC).isoformat()
                    result = post_mentions(
                        base,
                        token,
                        [
                            {
                                "source": "twitter",
                                "external_id": f"live-{i}",
                                "text": f"Acme Coffee still no points ({i})",
                                "published_at": now,
                            }
                            for i in range(7)
                        ],
                    )
                    assert result["accepted"] == 7
                    expect(summary).not_to_have_text(before, timeout=15000)
                    expect(chart).to_have_attribute("data-range", "1h")
                    pushed = True

                page.locator(".chart-table summary").click()
                expect(page.locator(".chart-table table tbody tr").first).to_be_visible()
                _fits(page, key + " war room")
                page.screenshot(path=str(SHOTS / f"war-room-page-{key}.png"))

                # --- the explorer follows its filter (applied in place by htmx)
                page.goto(f"{base}/mentions/?brand=acme-coffee")
                explorer = page.locator("#explorer-chart")
                expect(explorer.locator("canvas")).to_have_count(1)
                expect(page.locator(".split-bars li .name", has_text="twitter")).to_be_visible()
                first = page.locator("#results .chart-summary").inner_text()
                assert first
                page.select_option("#id_sentiment", "negative")
                page.locator("form.filters button[type=submit]").click()
                expect(page.locator("#results .chart-summary")).not_to_have_text(first)
                expect(page.locator("#explorer-chart canvas")).to_have_count(1)
                # a search's chart is counted in its own request after the list
                negative_summary = page.locator("#results .chart-summary").inner_text()
                page.fill("#id_q", "points")
                page.locator("form.filters button[type=submit]").click()
                expect(page.locator("#results .chart-help")).to_contain_text(
                    "依符合條件的提及計算" if zh else "Counted from the matching mentions"
                )
                expect(page.locator("#explorer-chart canvas")).to_have_count(1)
                expect(page.locator("#results .chart-summary")).not_to_have_text(negative_summary)
                expect(page.locator("#explorer-charts[aria-busy]")).to_have_count(0)
                # and so is its count, which then heads the list
                expect(page.locator("#results-count[aria-busy]")).to_have_count(0)
                # ("about N" is the planner's estimate, shown when the count ran out
                # of its 60 ms budget: a loaded machine's honest answer)
                expect(page.locator("#results-h")).to_have_text(
                    re.compile(
                        r"^\s*(約 )?\d[\d,]*\+? 則提及"
                        if zh
                        else r"^\s*(about )?\d[\d,]*\+? mentions?\s*$"
                    )
                )
                _fits(page, key + " explorer")
                page.screenshot(path=str(SHOTS / f"explorer-{key}.png"), full_page=True)
                assert errors == [], (key, errors)
                context.close()
        browser.close()


def _fits(page, where: str) -> None:  # type: ignore[no-untyped-def]
    wide = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert wide <= 0, f"{where}: {wide}px sideways"
