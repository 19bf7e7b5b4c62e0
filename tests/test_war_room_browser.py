"""Two people in one war room, in two browser contexts: what one does, the other sees
live; a dropped connection shows a banner, reconnects, and catches up."""

from __future__ import annotations

import re

import pytest

from crisisroom.services.chat import chat_post
from crisisroom.services.incidents import incident_open, member_assign
from crisisroom.services.timeline import timeline_add
from crisisroom.services.users import user_add
from monitoring.models import Brand
from playbook.models import RunChecklistItem
from playbook.seed import seed_playbook_now
from playbook.services import statements
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
    live_stack, bob, monkeypatch
):
    from playwright.sync_api import expect, sync_playwright

    # The ORM is used between browser steps; Playwright keeps an event loop in this thread.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    seed_playbook_now()  # transactional tests flush what the migration seeded
    pam, _ = user_add(
        username="pam", org_role="responder", crisis_roles=["pr_lead"], password="pw-pam"
    )
    brand = Brand.objects.create(name="Acme Coffee", slug="acme-coffee")
    incident = incident_open(brand=brand, title="Outage in Taipei stores")
    member_assign(incident=incident, user=pam, crisis_role="pr_lead", by=pam)
    member_assign(incident=incident, user=bob, crisis_role="legal_counsel", by=pam)
    statement = statements.statement_create(
        incident=incident, by=pam, body="We are sorry; stores reopen at noon."
    )
    item = (
        RunChecklistItem.objects.filter(step__run__incident=incident, event="")
        .order_by("step__number", "position")
        .first()
    )
    base, room = live_stack.base_url, f"{live_stack.base_url}/incidents/{incident.pk}/"
    playbook_page = f"{room}playbook/"
    statement_page = f"{playbook_page}statements/{statement.pk}/"

    with sync_playwright() as p:
        browser = chromium.launch(p)
        a, b = login(browser, base, "pam"), login(browser, base, "bob")
        for page in (a, b):
            page.goto(room)
            expect(page.locator(".war-room")).to_have_attribute(
                "data-connected", "true", timeout=15000
            )
            page.evaluate("window.__notReloaded = true")
        expect(b.locator("#presence")).to_contain_text("pam", timeout=10000)
        expect(a.locator("#presence")).to_contain_text("bob", timeout=10000)

        # A writes in the team chat and acknowledges; B sees both without a reload.
        a.get_by_role("textbox", name="Message").fill("Store managers confirm the outage @bob")
        a.get_by_role("button", name="Send").click()
        expect(b.locator("#chat")).to_contain_text(
            "Store managers confirm the outage", timeout=10000
        )
        expect(b.locator("#chat .for-me")).to_have_count(1)
        a.get_by_role("button", name="Acknowledge").click()
        expect(b.locator("#incident-status")).to_contain_text("Acknowledged", timeout=10000)
        expect(b.locator("#timeline")).to_contain_text("Acknowledged by pam")
        # Acknowledging is a plain form post: A's own page reloaded; mark it again.
        expect(a.locator(".war-room")).to_have_attribute("data-connected", "true", timeout=15000)
        a.evaluate("window.__notReloaded = true")

        # A ticks a checklist item and submits the statement; B sees both live and approves;
        # A sees the approval live.
        a_desk = a.context.new_page()
        a_desk.goto(playbook_page)
        a_desk.locator(f"#pb-check-{item.pk}").check()
        expect(b.locator(f"#pb-check-{item.pk}")).to_be_checked(timeout=15000)
        a_desk.goto(statement_page)
        expect(b.locator(f"#pb-statement-{statement.pk}")).to_have_class(re.compile(r"s-draft"))
        a_desk.get_by_role("button", name="Submit for approval").click()
        # the draft's row already says who must approve: wait for the pushed state
        expect(b.locator(f"#pb-statement-{statement.pk}")).to_have_class(
            re.compile(r"\bs-submitted\b"), timeout=15000
        )
        b_desk = b.context.new_page()
        b_desk.goto(statement_page)
        b_desk.get_by_role("button", name="Approve").click()
        expect(a.locator(f"#pb-statement-{statement.pk}")).to_contain_text(
            "Legal counsel: approved", timeout=15000
        )
        for page in (a, b):
            assert page.evaluate("window.__notReloaded") is True

        # The server goes away: B is told, and what happens meanwhile is not lost.
        live_stack.stop("web")
        expect(b.locator("#connection-banner")).to_be_visible(timeout=10000)
        chat_post(incident=incident, author=pam, body="Written while the server was down")
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
        fresh = b.context.new_page()
        fresh.goto(room)
        fresh_ids = fresh.evaluate(
            "Array.from(document.querySelectorAll('#live [id]')).map(e => e.id)"
        )
        assert live_ids == fresh_ids
        for part in ("#chat", "#timeline", "#pb-statements", ".pb-steps"):
            assert b.locator(part).inner_text() == fresh.locator(part).inner_text(), part
        browser.close()
