"""Every page fits the window (no sideways scroll) at 390 and 1400 px, in English and
繁體中文, with no console error and no failed request (favicon included). Screenshots
land in var/screenshots/fit/ to look at."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from crisisroom.services.incidents import incident_open
from monitoring.ingest import mentions_ingest
from monitoring.models import Brand, WatchTerm
from playbook.seed import seed_playbook_now
from playbook.services.statements import statement_create
from tests import chromium
from tests.test_zh_hant_pages import settings_pages

pytestmark = [pytest.mark.flow, pytest.mark.browser]
SHOTS = Path("var/screenshots/fit")
LONG = "https://example.com/" + "a-very-long-url-without-any-break-" * 8


def test_every_page_fits_the_window_without_console_errors(live_stack, alice, monkeypatch):
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    seed_playbook_now()
    brand = Brand.objects.create(name="Acme Coffee", slug="acme-coffee")
    WatchTerm.objects.create(brand=brand, query="Acme Coffee")
    now = datetime.now(UTC)
    mentions_ingest(
        items=[
            {
                "source": "twitter",
                "external_id": str(i),
                "text": "Acme Coffee is down again " + LONG,
                "published_at": (now - timedelta(minutes=i)).isoformat(),
                "author": "someone_with_a_rather_long_handle_name",
                "author_followers": 2512675,
            }
            for i in range(3)
        ]
    )
    incident = incident_open(brand=brand, title="Outage", started_at=now - timedelta(hours=1))
    statement = statement_create(
        incident=incident, by=alice, title="Holding", body="We are looking into it. " + LONG
    )
    i, s = incident.pk, statement.pk
    pages = [
        "/",
        f"/incidents/{i}/",
        f"/incidents/{i}/alerts/",
        f"/incidents/{i}/playbook/",
        f"/incidents/{i}/playbook/statements/{s}/",
        f"/incidents/{i}/playbook/review/",
        f"/incidents/{i}/playbook/review/print/",
        "/drills/",
        "/brands/",
        "/sources/",
        "/mentions/",
        "/preferences/",
        "/settings/",
        "/settings/users/",
        f"/settings/users/{alice.pk}/",
        "/settings/on-call/",
        "/settings/detector/",
        "/on-call/",
        *settings_pages(),
    ]
    from crisisroom.services.on_call import on_call_add, on_call_override_add

    on_call_add(user=alice)
    on_call_override_add(
        user=alice, starts_at=now + timedelta(days=2), ends_at=now + timedelta(days=3), by=alice
    )
    SHOTS.mkdir(parents=True, exist_ok=True)
    base = live_stack.base_url
    problems: dict[str, list[str]] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium.EXECUTABLE, args=chromium.ARGS)
        for width in (1400, 390):
            context = browser.new_context(viewport={"width": width, "height": 900})
            page = context.new_page()
            errors: list[str] = []
            page.on(
                "console",
                lambda m, errors=errors: errors.append(m.text) if m.type == "error" else None,
            )
            page.on("pageerror", lambda e, errors=errors: errors.append(str(e)))
            page.on(
                "response",
                lambda r, errors=errors: (
                    errors.append(f"{r.status} {r.url}") if r.status >= 400 else None
                ),
            )
            for language in ("en", "zh-hant"):
                chromium.sign_in(page, base, "alice", "pw-alice", language)
                for path in pages:
                    errors.clear()
                    page.goto(base + path)
                    page.wait_for_load_state("networkidle")
                    page.wait_for_timeout(300)  # the socket's first pushes
                    problems.update(
                        chromium.fit_problems(page, f"{path} {language} {width}", errors)
                    )
                    name = path.strip("/").replace("/", "_") or "dashboard"
                    page.screenshot(path=str(SHOTS / f"{name}-{language}-{width}.png"))
                page.locator("form.logout button").click()
                page.wait_for_url(f"{base}/accounts/login/")
            context.close()
        browser.close()
    assert problems == {}, "\n".join(f"{k}: {v}" for k, v in problems.items())
