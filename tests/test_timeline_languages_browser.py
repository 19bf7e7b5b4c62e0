"""The same worker-written timeline line, read in English and in 繁體中文.

The Celery worker delivers the alert of a newly opened incident and writes "Alert sent
to …" on the timeline. An English reader and a zh-Hant reader, each in their own
browser, see that line in their own language, at 1400 and 390 px, without sideways
scrolling or console errors. Screenshots in var/screenshots/timeline-languages/."""

from __future__ import annotations

from pathlib import Path

import pytest

from crisisroom.celery import app
from crisisroom.services.incidents import incident_open
from monitoring.models import Brand
from playbook.seed import seed_playbook_now
from tests import chromium

pytestmark = [pytest.mark.flow, pytest.mark.browser]
SHOTS = Path("var/screenshots/timeline-languages")
LINES = {"en": "Alert sent to alice", "zh-hant": "已發送警示給 alice"}


def test_a_worker_line_reads_in_each_readers_language(live_stack, alice, monkeypatch):
    from playwright.sync_api import expect, sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    seed_playbook_now()
    alice.language = "en"
    alice.save(update_fields=["language"])
    from crisisroom.services.users import user_add

    mei, _ = user_add(username="mei", org_role="responder", password="pw-mei")
    mei.language = "zh-hant"
    mei.save(update_fields=["language"])
    brand = Brand.objects.create(name="艾可咖啡", slug="acme")
    incident = incident_open(brand=brand, title="門市系統當機")  # alice, an admin, is paged
    # The alert's delivery, on the stack's worker (this process queues elsewhere): the
    # worker writes "Alert sent to alice" on the timeline, in no reader's language.
    alert = incident.alerts.get(recipient=alice)
    app.send_task(
        "crisisroom.tasks.alert_send_task", args=[alert.pk], queue=live_stack.env["CELERY_QUEUE"]
    )
    SHOTS.mkdir(parents=True, exist_ok=True)
    base = live_stack.base_url
    problems: dict[str, list[str]] = {}
    with sync_playwright() as p:
        browser = chromium.launch(p)
        for username, language in (("alice", "en"), ("mei", "zh-hant")):
            other = LINES["zh-hant" if language == "en" else "en"]
            for width in (1400, 390):
                context = browser.new_context(viewport={"width": width, "height": 900})
                page = context.new_page()
                errors: list[str] = []
                page.on(
                    "console", lambda m, e=errors: e.append(m.text) if m.type == "error" else None
                )
                page.on("pageerror", lambda exc, e=errors: e.append(str(exc)))
                chromium.sign_in(page, base, username, language=language)
                page.goto(f"{base}/incidents/{incident.pk}/")
                expect(page.locator(".war-room")).to_have_attribute(
                    "data-connected", "true", timeout=15000
                )
                timeline = page.locator("#timeline")
                # Written by the worker a moment after the incident opened: by the
                # time the page loads, or pushed live over the socket.
                expect(timeline).to_contain_text(LINES[language], timeout=30000)
                expect(timeline).not_to_contain_text(other)
                timeline.scroll_into_view_if_needed()
                key = f"{language}-{width}"
                page.screenshot(path=str(SHOTS / f"war-room-{key}.png"))
                problems |= chromium.fit_problems(page, key, errors)
                context.close()
        browser.close()
    assert not problems, problems
