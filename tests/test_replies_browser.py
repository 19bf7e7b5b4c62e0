"""Answer from the feed, in Chromium: the social media manager filters the feed to
unanswered high-reach negative mentions, answers one from an approved statement by
hand with the link (English, 1400 px), drafts one of her own that legal counsel and
the executive lead approve (繁體中文, 390 px); no sideways scroll, no console error.
Screenshots land in var/screenshots/replies/."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from crisisroom.services.incidents import incident_open, member_assign
from crisisroom.services.users import user_add
from monitoring.models import Brand, Mention, Source
from playbook.choices import ReplyState
from playbook.models import MentionReply
from playbook.seed import seed_playbook_now
from playbook.services import statements
from tests import chromium

pytestmark = [pytest.mark.flow, pytest.mark.browser]
SHOTS = Path("var/screenshots/replies")
TEXT = "We are sorry. Every burnt order is refunded by Friday."


def _watch(page, errors: list[str]) -> None:  # type: ignore[no-untyped-def]
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))


def _fits(page) -> int:  # type: ignore[no-untyped-def]
    return page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )


def test_answer_from_the_feed_in_both_languages_and_widths(live_stack, monkeypatch):
    from playwright.sync_api import expect, sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    seed_playbook_now()
    people = {}
    for name, role in (("sam", "social_media_manager"), ("lex", "legal_counsel")):
        people[name], _ = user_add(
            username=name, org_role="responder", crisis_roles=[role], password=f"pw-{name}"
        )
    people["exe"], _ = user_add(
        username="exe", org_role="responder", crisis_roles=["executive_lead"], password="pw-exe"
    )
    brand = Brand.objects.create(name="Acme Coffee", slug="acme-coffee")
    now = datetime.now(UTC)
    incident = incident_open(brand=brand, title="Burnt beans", started_at=now - timedelta(hours=1))
    for name, role in (("sam", "social_media_manager"), ("lex", "legal_counsel")):
        member_assign(incident=incident, user=people[name], crisis_role=role, by=people["sam"])
    member_assign(
        incident=incident, user=people["exe"], crisis_role="executive_lead", by=people["sam"]
    )
    statement = statements.statement_create(incident=incident, by=people["sam"], body=TEXT)
    statements.statement_submit(statement=statement, by=people["sam"])
    statements.statement_approve(statement=statement, by=people["lex"])
    statements.statement_approve(statement=statement, by=people["exe"])
    source = Source.objects.create(kind="ptt", key="ptt", platform="ptt")
    rows = [
        ("big", "negative", 250000, "Burnt coffee again, boycott Acme"),
        ("small", "negative", 40, "meh, burnt"),
        ("fan", "positive", 300000, "Acme is still my favourite"),
        ("loud", "negative", 180000, "燒焦的咖啡，再也不買了"),
    ]
    mentions = {}
    for i, (author, label, followers, text) in enumerate(rows):
        mentions[author] = Mention.objects.create(
            source=source,
            external_id=f"M.{i}",
            brand=brand,
            platform="ptt",
            text=text,
            author=author,
            author_followers=followers,
            url=f"https://www.ptt.cc/bbs/coffee/M.{i}.html",
            published_at=now - timedelta(minutes=i + 1),
            sentiment_label=label,
        )
    SHOTS.mkdir(parents=True, exist_ok=True)
    base = live_stack.base_url
    room = f"{base}/incidents/{incident.pk}/"
    errors: list[str] = []
    with sync_playwright() as p:
        browser = chromium.launch(p)

        # English, 1400 px: filter, answer from the approved statement, by hand.
        context = browser.new_context(viewport={"width": 1400, "height": 900})
        page = context.new_page()
        _watch(page, errors)
        chromium.sign_in(page, base, "sam")
        page.goto(room)
        page.locator("#filter-unanswered").check()
        visible = page.locator("li.mention:visible")
        expect(visible).to_have_count(2)
        expect(page.locator(f"#mention-{mentions['big'].pk}")).to_be_visible()
        expect(page.locator(f"#mention-{mentions['fan'].pk}")).to_be_hidden()
        page.screenshot(path=str(SHOTS / "room-filtered-en-1400.png"))
        page.locator(f"#mention-{mentions['big'].pk} .reply-link").click()
        expect(page.locator("#answer")).to_contain_text("boycott Acme")
        page.get_by_role("button", name="Approved statement").first.click()
        expect(page.locator("#reply-text")).to_have_value(TEXT)
        page.select_option("#reply-target", "")
        page.get_by_role("button", name="Draft the reply").click()
        expect(page.locator(".reply-list")).to_contain_text("Ready to send")
        page.get_by_label("Link to the reply you posted").fill(
            "https://www.ptt.cc/bbs/coffee/M.99.html"
        )
        page.get_by_role("button", name="Mark answered").click()
        expect(page.locator(".reply-list")).to_contain_text("answered by sam")
        assert _fits(page) <= 0
        page.screenshot(path=str(SHOTS / "replies-en-1400.png"), full_page=True)
        page.goto(room)
        row = page.locator(f"#mention-{mentions['big'].pk}")
        expect(row.locator(".answered")).to_contain_text("answered by sam")
        row.scroll_into_view_if_needed()
        page.screenshot(path=str(SHOTS / "room-answered-en-1400.png"))
        page.locator("#filter-unanswered").check()
        expect(row).to_be_hidden()
        expect(page.locator("li.mention:visible")).to_have_count(1)
        context.close()

        # 繁體中文, 390 px: a reply of her own waits for legal counsel and the executive lead.
        for name in ("sam", "lex", "exe"):
            context = browser.new_context(viewport={"width": 390, "height": 844})
            page = context.new_page()
            _watch(page, errors)
            chromium.sign_in(page, base, name, language="zh-hant")
            if name == "sam":
                page.goto(room)
                assert _fits(page) <= 0
                page.screenshot(path=str(SHOTS / "room-zh-390.png"), full_page=True)
                page.locator(f"#mention-{mentions['loud'].pk} .reply-link").click()
                page.locator("#reply-text").fill("我們正在了解狀況，稍後回覆您。")
                assert _fits(page) <= 0
                page.screenshot(path=str(SHOTS / "form-zh-390.png"), full_page=True)
                page.select_option("#reply-target", "")
                page.get_by_role("button", name="草擬回覆").click()
                expect(page.locator(".reply-list")).to_contain_text("等待核准")
                expect(page.get_by_role("button", name="核准")).to_have_count(0)  # her own
            else:
                page.goto(f"{room}playbook/replies/")
                page.get_by_role("button", name="核准").click()
            assert _fits(page) <= 0
            page.screenshot(path=str(SHOTS / f"replies-zh-390-{name}.png"), full_page=True)
            context.close()
        browser.close()
    reply = MentionReply.objects.get(mention=mentions["loud"])
    assert reply.state == ReplyState.APPROVED
    assert errors == []
