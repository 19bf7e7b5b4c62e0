"""Two people in one war room, in two browser contexts: what one does, the other sees
live; a dropped connection shows a banner, reconnects, and catches up."""

from __future__ import annotations

import pytest

from crisisroom.services import chat_post, incident_open, timeline_add
from monitoring.models import Brand
from tests import chromium

pytestmark = [pytest.mark.flow, pytest.mark.browser]


def login(browser, base: str, username: str):  # type: ignore[no-untyped-def]
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(f"pw-{username}")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base}/")
    return page


def test_two_users_see_each_other_live_and_catch_up_after_a_dropped_connection(
    live_stack, bob, alice, monkeypatch
):
    from playwright.sync_api import expect, sync_playwright

    # The ORM is used between browser steps; Playwright keeps an event loop in this thread.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    brand = Brand.objects.create(name="Acme Coffee", slug="acme-coffee")
    incident = incident_open(brand=brand, title="Outage in Taipei stores")
    base, room = live_stack.base_url, f"{live_stack.base_url}/incidents/{incident.pk}/"

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium.EXECUTABLE, args=chromium.ARGS)
        a, b = login(browser, base, "bob"), login(browser, base, "alice")
        for page in (a, b):
            page.goto(room)
            expect(page.locator(".war-room")).to_have_attribute(
                "data-connected", "true", timeout=15000
            )
        expect(b.locator("#presence")).to_contain_text("bob", timeout=10000)
        expect(a.locator("#presence")).to_contain_text("alice", timeout=10000)

        # A writes in the team chat and acknowledges; B sees both without a reload.
        b.evaluate("window.__notReloaded = true")
        a.get_by_label("Message").fill("Store managers confirm the outage @alice")
        a.get_by_role("button", name="Send").click()
        expect(b.locator("#chat")).to_contain_text(
            "Store managers confirm the outage", timeout=10000
        )
        expect(b.locator("#chat .for-me")).to_have_count(1)
        a.get_by_role("button", name="Acknowledge").click()
        expect(b.locator("#incident-status")).to_contain_text("Acknowledged", timeout=10000)
        expect(b.locator("#timeline")).to_contain_text("Acknowledged by bob")
        assert b.evaluate("window.__notReloaded") is True

        # The server goes away: B is told, and what happens meanwhile is not lost.
        live_stack.stop("web")
        expect(b.locator("#connection-banner")).to_be_visible(timeout=10000)
        chat_post(incident=incident, author=alice, body="Written while the server was down")
        timeline_add(incident=incident, kind="note", message="Holding statement drafted offline")
        live_stack.start("web")
        expect(b.locator("#chat")).to_contain_text(
            "Written while the server was down", timeout=30000
        )
        expect(b.locator("#timeline")).to_contain_text("Holding statement drafted offline")
        expect(b.locator(".war-room")).to_have_attribute("data-connected", "true", timeout=15000)
        assert b.evaluate("window.__notReloaded") is True

        # After the reconnect B's page equals a fresh load.
        live_ids = b.evaluate("Array.from(document.querySelectorAll('#live [id]')).map(e => e.id)")
        fresh = a.context.new_page()
        fresh.goto(room)
        fresh_ids = fresh.evaluate(
            "Array.from(document.querySelectorAll('#live [id]')).map(e => e.id)"
        )
        assert live_ids == fresh_ids
        assert b.locator("#chat").inner_text() == fresh.locator("#chat").inner_text()
        assert b.locator("#timeline").inner_text() == fresh.locator("#timeline").inner_text()
        browser.close()
