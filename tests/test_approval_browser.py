"""An approver reads a second version of a statement in Chromium, in English and in
Traditional Chinese, at 1400 and 390 px: the decision at the top, the text and its
variant read-only, a word-level diff, the review helper; then approves, and marks
the claim the statement corrects as corrected on the playbook page. The author (the
executive lead, an approving role) reading the same page gets no Approve button."""

from __future__ import annotations

import pytest

from crisisroom.services.incidents import incident_open, member_assign
from crisisroom.services.users import user_add
from playbook.seed import seed_playbook_now
from playbook.services import assessment, statements
from tests import chromium

pytestmark = [pytest.mark.flow, pytest.mark.browser]

CASES = {
    "en": {
        "claim": "the company is going bankrupt",
        "v1": "We are sorry about the burnt beans. Refunds go out by Friday.",
        "v2": "We are sorry about the burnt beans. Refunds go out by Monday. "
        "We are not going bankrupt.",
        "x": "Sorry about the burnt beans: refunds by Monday.",
        "removed": "Friday",
        "added": "Monday",
        "decide": "Your decision",
        "approve": "Approve",
        "approved_line": "Legal counsel: lena ✓",
        "waiting": "Executive lead: waiting",
        "author_note": "another person approves it",
        "summary": "Version 1 → 2 by eve: 1 removed, 6 added",
        "status": "Status",
        "corrected": "Corrected",
        "change": "Change status",
        "history": "False → Corrected · lena",
    },
    "zh-hant": {
        "claim": "公司要倒閉",
        "v1": "我們對咖啡豆烘焙問題深感抱歉。退款將於週五前完成。",
        "v2": "我們對咖啡豆烘焙問題深感抱歉。退款將於週一前全額完成。我們沒有要倒閉。",
        "x": "對烘焙問題深感抱歉：週一前全額退款。",
        "removed": "五",
        "added": "一",
        "decide": "您的決定",
        "approve": "核准",
        "approved_line": "法律顧問: lena ✓",
        "waiting": "高階主管: 等待中",
        "author_note": "須由其他人核准",
        "summary": "第 1 版 → 第 2 版（eve 修改）：刪除 1、新增 10",
        "status": "狀態",
        "corrected": "已更正",
        "change": "變更狀態",
        "history": "不實 → 已更正 · lena",
    },
}


# The elements wider than the window, to say what overflows when something does.
WIDEST = """[window.innerWidth, ...[...document.querySelectorAll('body *')]
  .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1 || e.scrollWidth > window.innerWidth)
  .slice(-12).map(e => e.tagName + '.' + e.className + '#' + e.id + ' ' + e.scrollWidth)]"""


def _log_in(browser, base: str, username: str, width: int):  # type: ignore[no-untyped-def]
    page = browser.new_context(viewport={"width": width, "height": 900}).new_page()
    page.goto(f"{base}/accounts/login/")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(f"pw-{username}")
    page.locator("form button[type=submit], form input[type=submit]").last.click()
    page.wait_for_url(f"{base}/")
    return page


@pytest.mark.parametrize("lang", ["en", "zh-hant"])
def test_an_approver_reads_the_second_version_with_its_diff_and_approves(live_stack, alice, lang):
    from playwright.sync_api import expect, sync_playwright

    from monitoring.models import Brand

    seed_playbook_now()
    w = CASES[lang]
    people = {}
    for name, role in (("lena", "legal_counsel"), ("pam", "pr_lead"), ("eve", "executive_lead")):
        user, _ = user_add(
            username=name, org_role="responder", crisis_roles=[role], password=f"pw-{name}"
        )
        user.language = lang
        user.save(update_fields=["language"])
        people[name] = (user, role)
    brand = Brand.objects.create(name="Acme Coffee", slug="acme-coffee")
    incident = incident_open(brand=brand, title="Burnt beans", opened_by=alice)
    for user, role in people.values():
        member_assign(incident=incident, user=user, crisis_role=role, by=alice)
    pam, eve = people["pam"][0], people["eve"][0]
    assessment.claim_record(incident=incident, by=pam, claim=w["claim"], status="false")
    # The executive lead writes it: an approver's role, but not for their own draft.
    statement = statements.statement_create(
        incident=incident, by=eve, body=w["v1"], channels=["x", "website"]
    )
    statements.statement_edit(statement=statement, by=eve, body=w["v2"], variants={"x": w["x"]})
    statements.statement_submit(statement=statement, by=eve)
    url = f"{live_stack.base_url}/incidents/{incident.pk}/playbook/statements/{statement.pk}/"
    failures: list[str] = []

    with sync_playwright() as p:
        browser = chromium.launch(p)
        author = _log_in(browser, live_stack.base_url, "eve", 390)
        author.goto(url)
        expect(author.locator("#decide-h")).to_be_visible()
        expect(author.locator(".decide")).to_contain_text(w["author_note"])
        expect(author.get_by_role("button", name=w["approve"], exact=True)).to_have_count(0)
        author.screenshot(path=f"var/approval-{lang}-author-390.png", full_page=False)

        page = _log_in(browser, live_stack.base_url, "lena", 1400)
        page.on("response", lambda r: failures.append(r.url) if r.status >= 500 else None)
        page.goto(url)
        approve = page.get_by_role("button", name=w["approve"], exact=True)
        text = page.locator("#statement-text")
        expect(text).to_have_text(w["v2"])
        expect(page.locator("#variant-x")).to_have_text(w["x"])
        diff = page.locator("#statement-diff")
        expect(diff.locator("del")).to_have_text(w["removed"])
        expect(diff.locator("ins").first).to_have_text(w["added"])
        expect(page.locator("#diff-h + p")).to_contain_text(w["summary"])
        # The correction negates the false claim: the helper does not call it a repetition.
        expect(page.locator(".flags")).not_to_contain_text(w["claim"])
        for width in (1400, 390):
            page.set_viewport_size({"width": width, "height": 900})
            # The decision is read first: above the text, and on the first screen.
            assert approve.bounding_box()["y"] < text.bounding_box()["y"]
            assert approve.bounding_box()["y"] < 900
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, page.evaluate(WIDEST)
            page.screenshot(path=f"var/approval-{lang}-{width}.png", full_page=True)
        approve.click()
        expect(page.locator(".decide")).to_contain_text(w["approved_line"])
        expect(page.locator(".decide")).to_contain_text(w["waiting"])
        expect(page.get_by_role("button", name=w["approve"], exact=True)).to_have_count(0)
        page.screenshot(path=f"var/approval-{lang}-approved-390.png", full_page=False)

        # The claim the statement corrects is now corrected: changed in place, with history.
        page.goto(f"{live_stack.base_url}/incidents/{incident.pk}/playbook/")
        page.evaluate("window.__notReloaded = true")
        row = page.locator(".claim").first
        row.get_by_label(w["status"]).select_option(label=w["corrected"])
        row.get_by_role("button", name=w["change"]).click()
        expect(page.locator(".claim").first.locator(".badge")).to_have_text(w["corrected"])
        page.locator(".claim-history summary").first.click()
        expect(page.locator(".claim-history").first).to_contain_text(w["history"])
        assert page.evaluate("window.__notReloaded") is True
        page.locator(".claim").first.scroll_into_view_if_needed()
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, page.evaluate(WIDEST)
        page.screenshot(path=f"var/claims-{lang}-390.png", full_page=False)
        page.set_viewport_size({"width": 1400, "height": 900})
        page.locator(".claim").first.scroll_into_view_if_needed()
        page.screenshot(path=f"var/claims-{lang}-1400.png", full_page=False)
        browser.close()
    assert failures == []
    assert list(statement.approvals.values_list("user__username", "version")) == [("lena", 2)]
    claim = incident.claims.get()
    assert claim.status == "corrected"
    assert list(claim.history.values_list("to_status", "by__username")) == [
        ("false", "pam"),
        ("corrected", "lena"),
    ]
