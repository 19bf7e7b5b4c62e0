"""Two people in Chromium: a responder ticks a checklist item and approves a
statement on the playbook pages; a viewer in the war room sees both without a reload."""

from __future__ import annotations

import pytest

from crisisroom.services.incidents import incident_open, member_assign
from crisisroom.services.users import user_add
from playbook.models import RunChecklistItem
from playbook.seed import seed_playbook_now
from playbook.services import statements
from tests import chromium

pytestmark = [pytest.mark.flow, pytest.mark.browser]


def _log_in(browser, base: str, username: str):  # type: ignore[no-untyped-def]
    page = browser.new_context().new_page()
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(f"pw-{username}")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base}/")
    return page


def test_a_viewer_sees_the_playbook_move_live(live_stack, bob, charlie):
    from playwright.sync_api import expect, sync_playwright

    seed_playbook_now()
    from monitoring.models import Brand

    brand = Brand.objects.create(name="Acme Coffee", slug="acme-coffee")
    incident = incident_open(brand=brand, title="Burnt beans", opened_by=bob)
    member_assign(incident=incident, user=bob, crisis_role="legal_counsel", by=bob)
    pam, _ = user_add(
        username="pam", org_role="responder", crisis_roles=["pr_lead"], password="pw-pam"
    )
    eve, _ = user_add(
        username="eve", org_role="responder", crisis_roles=["executive_lead"], password="pw-eve"
    )
    member_assign(incident=incident, user=pam, crisis_role="pr_lead", by=bob)
    member_assign(incident=incident, user=eve, crisis_role="executive_lead", by=bob)
    statement = statements.statement_create(
        incident=incident, by=pam, body="We are sorry. Refunds by Friday."
    )
    statements.statement_submit(statement=statement, by=pam)
    statements.statement_approve(statement=statement, by=eve)
    item = (
        RunChecklistItem.objects.filter(step__run__incident=incident, event="")
        .order_by("step__number", "position")
        .first()
    )
    notify = RunChecklistItem.objects.get(
        step__run__incident=incident, text="Notify everyone assigned"
    )
    base = live_stack.base_url

    with sync_playwright() as p:
        browser = chromium.launch(p)
        viewer = _log_in(browser, base, "charlie")
        viewer.goto(f"{base}/incidents/{incident.pk}/")
        expect(viewer.locator(".war-room")).to_have_attribute(
            "data-connected", "true", timeout=15000
        )
        viewer.evaluate("window.__notReloaded = true")
        expect(viewer.locator(f"#pb-check-{item.pk}")).not_to_be_checked()
        # Assigning the team ticked its bound line by itself, as bob, who assigned them.
        expect(viewer.locator(f"#pb-check-{notify.pk}")).to_be_checked()
        expect(viewer.locator(f"#pb-item-{notify.pk}")).to_contain_text("bob")
        expect(viewer.locator(f"#pb-statement-{statement.pk}")).to_contain_text(
            "Legal counsel: waiting"
        )

        responder = _log_in(browser, base, "bob")
        responder.goto(f"{base}/incidents/{incident.pk}/playbook/")
        responder.evaluate("window.__notReloaded = true")
        # One click on a real checkbox, found by its label; no reload.
        responder.get_by_label(item.text).first.check()
        expect(viewer.locator(f"#pb-check-{item.pk}")).to_be_checked(timeout=15000)
        expect(viewer.locator(f"#pb-item-{item.pk}")).to_contain_text("bob")
        expect(responder.locator(f"#pb-item-{item.pk}")).to_contain_text("bob")
        assert responder.evaluate("window.__notReloaded") is True
        for width in (1400, 390):
            responder.set_viewport_size({"width": width, "height": 900})
            responder.screenshot(path=f"var/playbook-checklist-{width}.png", full_page=True)

        responder.goto(f"{base}/incidents/{incident.pk}/playbook/statements/{statement.pk}/")
        responder.get_by_role("button", name="Approve").click()
        badge = viewer.locator(f"#pb-statement-{statement.pk}")
        expect(badge).to_contain_text("Approved", timeout=15000)
        expect(badge).to_contain_text("Legal counsel: approved")
        assert viewer.evaluate("window.__notReloaded") is True
        responder.screenshot(path="var/playbook-statement.png", full_page=True)
        viewer.screenshot(path="var/playbook-war-room.png", full_page=True)
        browser.close()
    item.refresh_from_db()
    assert item.done and item.done_by.username == "bob"
