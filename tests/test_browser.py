"""A person in Chromium: log in, open the war room, and watch mentions posted
through the API appear without a reload."""

from __future__ import annotations

import json
import urllib.request
from datetime import UTC, datetime

import pytest

from crisisroom.services.incidents import incident_open
from crisisroom.services.users import api_token_create
from monitoring.models import Brand, WatchTerm
from tests import chromium

pytestmark = [pytest.mark.flow, pytest.mark.browser]


def post_mentions(base_url: str, token: str, items: list[dict]) -> dict:
    request = urllib.request.Request(
        f"{base_url}/api/v1/mentions",
        data=json.dumps(items).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def test_mentions_appear_live_in_the_war_room(live_stack, bob):
    from playwright.sync_api import expect, sync_playwright

    # All database work happens before Playwright starts its event loop in this thread.
    brand = Brand.objects.create(name="Acme Coffee", slug="acme-coffee")
    WatchTerm.objects.create(brand=brand, query="Acme Coffee")
    incident = incident_open(brand=brand, title="Loyalty points backlash", opened_by=bob)
    token = api_token_create(user=bob)
    base = live_stack.base_url

    with sync_playwright() as p:
        browser = chromium.launch(p)
        page = browser.new_page()
        page.goto(f"{base}/accounts/login/")
        page.get_by_label("Username").fill("bob")
        page.get_by_label("Password").fill("pw-bob")
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(f"{base}/")
        page.goto(f"{base}/incidents/{incident.pk}/")
        expect(
            page.get_by_role("heading", name=f"#{incident.pk} Loyalty points backlash")
        ).to_be_visible()
        # The socket is up once the server's hello arrived.
        expect(page.locator(".war-room")).to_have_attribute("data-connected", "true", timeout=15000)
        page.evaluate("window.__notReloaded = true")

        now = datetime.now(UTC).isoformat()
        result = post_mentions(
            base,
            token,
            [
                {
                    "source": "twitter",
                    "external_id": "b1",
                    "text": "Acme Coffee deleted my points <b>again</b>",
                    "published_at": now,
                    "author": "angry_customer",
                    "author_followers": 5400,
                },
                {
                    "source": "mastodon",
                    "external_id": "b2",
                    "text": "Acme Coffee loyalty change is a disgrace",
                    "published_at": now,
                    "author": "barista",
                },
            ],
        )
        assert result["accepted"] == 2

        feed = page.locator("#feed-items")
        expect(feed.get_by_text("Acme Coffee deleted my points <b>again</b>")).to_be_visible(
            timeout=15000
        )
        expect(feed.get_by_text("Acme Coffee loyalty change is a disgrace")).to_be_visible()
        assert page.evaluate("window.__notReloaded") is True
        # The text arrived as text, not as markup.
        assert feed.locator("b").count() == 0
        browser.close()
