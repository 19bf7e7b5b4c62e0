"""One whole incident, walked in Chromium by four people in their crisis roles, in
English and in Traditional Chinese (issue 13's walk): an alert raised through the API
→ the lead acknowledges → assembles the team → the assessment and a claim → the PR
lead drafts a statement from a template with an X variant and submits it → legal
counsel and the executive lead read it and approve → published to a local target →
a scheduled post queued, held by the pause (a real worker sweeps and sends nothing) →
channel updates → resume, and the worker sends it → resolved with a summary → the
post-crisis review → the exports hold the statement and the timeline.

On the way: no response ≥ 500, and the playbook's steps tick themselves from the work.
Screenshots at 1400 and 390 px go to var/walk-*.png."""

from __future__ import annotations

import json
import time
import urllib.request
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from crisisroom.services.users import api_token_create, user_add
from playbook.models import PublishTarget, ScheduledPost, Statement
from playbook.seed import seed_playbook_now
from tests import chromium
from tests.http_receiver import Receiver
from tests.test_approval_browser import WIDEST, _log_in
from tests.test_outbound_flow import _sweep_on_the_worker

pytestmark = [pytest.mark.flow, pytest.mark.browser]

# The pages' own words (zh-Hant from locale/zh_Hant/LC_MESSAGES/django.po).
WORDS = {
    "en": {
        "acknowledge": "Acknowledge",
        "acknowledged": "Acknowledged",
        "member": "Member",
        "crisis_role": "Crisis role",
        "assign": "Assign and notify",
        "assigned": "Team member assigned and notified.",
        "roles": {
            "incident_lead": "Incident lead",
            "pr_lead": "PR/communications lead",
            "legal_counsel": "Legal counsel",
            "executive_lead": "Executive lead",
        },
        "classification": "Classification",
        "product_issue": "Product issue",
        "response_level": "Response level",
        "level_statement": "Statement",
        "original_source": "Original source",
        "verified_facts": "Verified facts",
        "save_assessment": "Save the assessment",
        "claim": "Claim",
        "status": "Status",
        "false": "False",
        "evidence": "Evidence",
        "add_claim": "Add to the ledger",
        "title": "Title",
        "template": "Start from a template",
        "draft": "Draft a statement",
        "text": "Text",
        "save_edit": "Save (an edit resets approvals)",
        "submit": "Submit for approval",
        "decide": "Your decision",
        "approve": "Approve",
        "approved": "Approved",
        "published": "Published",
        "line_link": "LINE: published by hand at",
        "publish": "Publish",
        "published_msg": "Statement published.",
        "target": "Publishing target",
        "at": "Post at",
        "queue": "Queue",
        "queued": "Queued",
        "held": "Held (posting paused)",
        "sent_out": "Sent out",
        "reason": "Reason",
        "pause": "Pause scheduled posts",
        "resume": "Resume scheduled posts",
        "banner": "Posting is paused.",
        "save": "Save",
        "done": "Done",
        "channels": {
            "website": "Website",
            "social": "Social profiles",
            "ads": "Ads",
            "phone": "Phone system",
        },
        "summary": "One-line summary of how it was resolved",
        "resolve": "Resolve",
        "resolved": "Resolved",
        "root_cause": "Root cause",
        "lessons": "Lessons",
        "time_to_resolve": "Time to resolve",
        "export_md": "Export as Markdown",
        "export_pdf": "Export as PDF",
        "timeline_h": "## Timeline",
        "assessed": "Assessment updated (classification, original source, verified facts)",
        "states": {"pending": "Not started", "in_progress": "In progress", "done": "Done"},
    },
    "zh-hant": {
        "acknowledge": "確認",
        "acknowledged": "已確認",
        "member": "成員",
        "crisis_role": "危機角色",
        "assign": "指派並通知",
        "assigned": "已指派並通知團隊成員。",
        "roles": {
            "incident_lead": "事件負責人",
            "pr_lead": "公關／傳播負責人",
            "legal_counsel": "法律顧問",
            "executive_lead": "高階主管",
        },
        "classification": "分類",
        "product_issue": "產品問題",
        "response_level": "回應層級",
        "level_statement": "聲明",
        "original_source": "原始來源",
        "verified_facts": "已查證事實",
        "save_assessment": "儲存評估",
        "claim": "說法",
        "status": "狀態",
        "false": "不實",
        "evidence": "證據",
        "add_claim": "加入紀錄",
        "title": "標題",
        "template": "從範本開始",
        "draft": "起草聲明",
        "text": "內容",
        "save_edit": "儲存（編輯會重設核准）",
        "submit": "送審",
        "decide": "您的決定",
        "approve": "核准",
        "approved": "已核准",
        "published": "已發布",
        "line_link": "LINE：手動發布的網址",
        "publish": "發布",
        "published_msg": "聲明已發布。",
        "target": "發布目標",
        "at": "發文時間",
        "queue": "排入佇列",
        "queued": "排程中",
        "held": "暫緩（發文已暫停）",
        "sent_out": "已發出",
        "reason": "原因",
        "pause": "暫停排程貼文",
        "resume": "恢復排程貼文",
        "banner": "發文已暫停。",
        "save": "儲存",
        "done": "完成",
        "channels": {
            "website": "網站",
            "social": "社群帳號",
            "ads": "廣告",
            "phone": "電話系統",
        },
        "summary": "一句話說明事件如何解決",
        "resolve": "解決",
        "resolved": "已解決",
        "root_cause": "根本原因",
        "lessons": "教訓",
        "time_to_resolve": "解決所需時間",
        "export_md": "匯出為 Markdown",
        "export_pdf": "匯出為 PDF",
        "timeline_h": "## 時間軸",
        "assessed": "評估已更新（分類, 原始來源, 已查證事實）",
        "states": {"pending": "尚未開始", "in_progress": "進行中", "done": "完成"},
    },
}

# What the team writes, in each language.
CASES = {
    "en": {
        "zone": "Europe/London",
        "incident": "Burnt beans in Taipei stores",
        "template": "Holding statement",
        "title": "Holding statement on the burnt beans",
        "body": "We are aware of reports about burnt beans in our Taipei stores. We are "
        "looking into it urgently and will share an update by 18:00. Questions: "
        "care@acme.example",
        "x": "Burnt beans in Taipei: we are on it and will update you by 18:00.",
        "source": "A PTT thread with photos of burnt beans",
        "facts": "One roaster in Taipei overheated on Monday; 300 bags affected.",
        "claim": "Acme is closing every store",
        "evidence": "No closure planned; the stores stay open.",
        "post": "Our 17:00 update: every affected bag is refunded.",
        "pause_reason": "Burnt beans: hold every post",
        "website_note": "Banner on the home page",
        "resolution": "Refunds sent; roaster fixed; sentiment back to normal",
        "root_cause": "A roaster's thermostat failed and nobody checked the batch.",
        "lessons": "Check every batch by hand when a roaster is serviced.",
    },
    "zh-hant": {
        "zone": "Asia/Taipei",
        "incident": "台北門市咖啡豆烘焙問題",
        "template": "暫行聲明",
        "title": "咖啡豆烘焙問題暫行聲明",
        "body": "我們已注意到有關台北門市咖啡豆烘焙問題的消息，正緊急了解情況，"
        "並將於18:00前提供最新進展。洽詢：care@acme.example",
        "x": "台北門市烘焙問題：我們正在處理，18:00前更新。",
        "source": "PTT 上一篇附烘焙失敗照片的文章",
        "facts": "台北一台烘豆機週一過熱，影響300包咖啡豆。",
        "claim": "Acme要關閉所有門市",
        "evidence": "沒有關店計畫，門市照常營業。",
        "post": "17:00 更新：所有受影響的咖啡豆都已退款。",
        "pause_reason": "烘焙問題：暫停所有貼文",
        "website_note": "首頁已放上公告",
        "resolution": "已完成退款、修好烘豆機，情緒已恢復正常",
        "root_cause": "烘豆機溫控故障，且沒有人檢查該批咖啡豆。",
        "lessons": "烘豆機維修後，每一批都要人工檢查。",
    },
}

PEOPLE = {
    "lena": "incident_lead",
    "pam": "pr_lead",
    "leo": "legal_counsel",
    "eve": "executive_lead",
}


def _raise_through_the_api(base: str, token: str, title: str) -> int:
    """The alert: another tool raises the incident through the HTTP API."""
    request = urllib.request.Request(
        f"{base}/api/v1/incidents",
        data=json.dumps({"title": title, "brand": "acme-coffee", "severity": "high"}).encode(),
        method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 201
        return json.loads(response.read())["id"]


def _submit(page, button) -> None:  # type: ignore[no-untyped-def]
    """A plain form post (POST, redirect, GET): wait for the page it lands on."""
    with page.expect_navigation():
        button.click()


def _shots(page, name: str) -> None:  # type: ignore[no-untyped-def]
    """The page at 1400 and at 390 px, nothing wider than the window, back to 1400."""
    for width in (1400, 390):
        page.set_viewport_size({"width": width, "height": 900})
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, (name, width, page.evaluate(WIDEST))
        page.screenshot(path=f"var/walk-{name}-{width}.png", full_page=width == 390)
    page.set_viewport_size({"width": 1400, "height": 900})


def _step_states(page) -> list[str]:  # type: ignore[no-untyped-def]
    return page.locator(".pb-steps > li .pb-step .badge").all_inner_texts()


def _scheduled_hits(receiver: Receiver) -> list:
    return [
        h for h in receiver.at("/publish") if h.json().get("event") == "scheduled_post.published"
    ]


@pytest.mark.parametrize("lang", ["en", "zh-hant"])
def test_a_team_walks_one_whole_incident(live_stack, alice, lang):  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect, sync_playwright

    seed_playbook_now()  # transactional tests flush what the migration seeded
    w, case = WORDS[lang], CASES[lang]
    for name, role in PEOPLE.items():
        user, _ = user_add(
            username=name, org_role="responder", crisis_roles=[role], password=f"pw-{name}"
        )
        user.language, user.time_zone = lang, case["zone"]
        user.save(update_fields=["language", "time_zone"])
    alice.language = lang
    alice.save(update_fields=["language"])
    receiver = Receiver().__enter__()
    PublishTarget.objects.create(
        name="newsroom", kind="webhook", base_url=f"{receiver.url}/publish"
    )
    base = live_stack.base_url
    pk = _raise_through_the_api(base, api_token_create(user=alice), case["incident"])
    room, playbook = f"{base}/incidents/{pk}/", f"{base}/incidents/{pk}/playbook/"
    failures: list[str] = []
    started = time.monotonic()

    def watch(page):  # type: ignore[no-untyped-def]
        page.on(
            "response",
            lambda r: (
                failures.append(f"{r.status} {r.request.method} {r.url}")
                if r.status >= 500
                else None
            ),
        )
        return page

    try:
        with sync_playwright() as p:
            browser = chromium.launch(p)
            lena = watch(_log_in(browser, base, "lena", 1400))

            # Acknowledge the alert in the war room.
            lena.goto(room)
            expect(lena.locator(".war-room")).to_have_attribute(
                "data-connected", "true", timeout=15000
            )
            _submit(lena, lena.get_by_role("button", name=w["acknowledge"], exact=True))
            expect(lena.locator("#incident-status")).to_contain_text(w["acknowledged"])

            # The team: the lead takes charge first, then assigns the others.
            lena.goto(playbook)
            expect(lena.locator(".pb-steps > li")).to_have_count(7)
            assert _step_states(lena) == [w["states"]["pending"]] * 7
            for name, role in PEOPLE.items():
                lena.get_by_role("combobox", name=w["member"]).select_option(name)
                lena.get_by_role("combobox", name=w["crisis_role"]).select_option(
                    label=w["roles"][role]
                )
                _submit(lena, lena.get_by_role("button", name=w["assign"]))
                expect(lena.locator("#team-h + ul")).to_contain_text(f"{name} — {w['roles'][role]}")
            expect(lena.get_by_text(w["assigned"])).to_be_visible()
            step1 = lena.locator(".pb-steps > li").nth(0)
            bound = step1.locator(".pb-item.bound")
            expect(bound).to_have_count(2)
            for i in range(2):
                expect(bound.nth(i).get_by_role("checkbox")).to_be_checked()
                expect(bound.nth(i).locator(".pb-who")).to_contain_text("lena")
            assert _step_states(lena)[0] == w["states"]["in_progress"]
            # The two judgement calls are ticked by hand, in place: step 1 is done.
            lena.evaluate("window.__notReloaded = true")
            for box in step1.locator(".pb-item:not(.bound)").get_by_role("checkbox").all():
                box.check()
                expect(box).to_be_checked()
            expect(step1.locator(".pb-step .badge")).to_have_text(w["states"]["done"])
            assert lena.evaluate("window.__notReloaded") is True

            # The assessment ticks its lines in step 2.
            lena.get_by_role("combobox", name=w["classification"]).select_option(
                label=w["product_issue"]
            )
            lena.get_by_role("combobox", name=w["response_level"]).select_option(
                label=w["level_statement"]
            )
            lena.get_by_label(w["original_source"], exact=True).fill(case["source"])
            lena.get_by_label(w["verified_facts"], exact=True).fill(case["facts"])
            _submit(lena, lena.get_by_role("button", name=w["save_assessment"]))
            step2 = lena.locator(".pb-steps > li").nth(1)
            expect(step2.locator(".pb-item.done")).to_have_count(2)
            expect(step2.locator(".pb-step .badge")).to_have_text(w["states"]["in_progress"])

            # The PR lead records a claim and drafts the statement from a template.
            pam = watch(_log_in(browser, base, "pam", 1400))
            pam.goto(playbook)
            pam.get_by_label(w["claim"], exact=True).fill(case["claim"])
            pam.locator("form:has(input[name=claim]) select[name=status]").select_option(
                label=w["false"]
            )
            pam.get_by_label(w["evidence"], exact=True).fill(case["evidence"])
            _submit(pam, pam.get_by_role("button", name=w["add_claim"]))
            expect(pam.locator(".claim").first).to_contain_text(case["claim"])
            expect(pam.locator(".pb-steps > li").nth(1).locator(".pb-item.done")).to_have_count(3)

            pam.get_by_label(w["title"], exact=True).fill(case["title"])
            template = pam.locator("select[name=template] option", has_text=case["template"])
            pam.get_by_role("combobox", name=w["template"]).select_option(
                template.first.get_attribute("value")
            )
            form = pam.locator("form:has(select[name=template])")
            form.get_by_role("checkbox", name="X", exact=True).check()
            form.get_by_role("checkbox", name="LINE", exact=True).check()
            _submit(pam, pam.get_by_role("button", name=w["draft"]))
            statement_url = pam.url
            # The template's placeholders block submitting until they are filled in.
            expect(pam.locator("#placeholders-msg")).to_contain_text("{issue}")
            expect(pam.get_by_role("button", name=w["submit"])).to_be_disabled()
            pam.get_by_role("textbox", name=w["text"], exact=True).fill(case["body"])
            pam.get_by_role("textbox", name="X", exact=True).fill(case["x"])
            _submit(pam, pam.get_by_role("button", name=w["save_edit"]))
            expect(pam.locator("#placeholders-msg")).to_have_count(0)
            expect(pam.locator("#variant-x")).to_have_text(case["x"])
            _submit(pam, pam.get_by_role("button", name=w["submit"]))
            expect(pam.get_by_role("button", name=w["approve"], exact=True)).to_have_count(0)

            # Legal counsel, then the executive lead, read it first and approve.
            for name in ("leo", "eve"):
                approver = watch(_log_in(browser, base, name, 1400))
                approver.goto(statement_url)
                expect(approver.locator("#decide-h")).to_have_text(w["decide"])
                expect(approver.locator("#statement-text")).to_have_text(case["body"])
                expect(approver.locator("#variant-x")).to_have_text(case["x"])
                approve = approver.get_by_role("button", name=w["approve"], exact=True)
                text = approver.locator("#statement-text")
                assert approve.bounding_box()["y"] < text.bounding_box()["y"]
                if name == "leo":
                    _shots(approver, f"{lang}-statement-approver")
                _submit(approver, approve)
                expect(approver.get_by_role("button", name=w["approve"], exact=True)).to_have_count(
                    0
                )
                approver.context.close()
            expect(lena.locator(".pb-steps > li").nth(2).locator(".pb-item.done")).to_have_count(
                2, timeout=15000
            )

            # The PR lead publishes: to the local target, and LINE by hand with its link.
            pam.goto(statement_url)
            expect(pam.locator(".pb-statement .badge")).to_have_text(w["approved"])
            pam.get_by_label(w["line_link"]).fill("https://line.me/R/ti/p/@acme-coffee")
            _submit(pam, pam.get_by_role("button", name=w["publish"], exact=True))
            expect(pam.get_by_text(w["published_msg"])).to_be_visible()
            expect(pam.locator(".pb-statement .badge")).to_have_text(w["published"])
            (published,) = receiver.wait_for("/publish", 1)
            assert published.json()["event"] == "statement.published"
            assert published.json()["text"] == case["body"]
            assert published.json()["variants"]["x"] == case["x"]

            # A post is queued for a few seconds from now, then the lead pauses posting.
            pam.goto(f"{base}/outbound/?incident={pk}")
            due = datetime.now(ZoneInfo(case["zone"])).replace(microsecond=0) + timedelta(seconds=6)
            pam.get_by_role("combobox", name=w["target"]).select_option("newsroom")
            pam.get_by_label(w["text"], exact=True).fill(case["post"])
            pam.get_by_label(w["at"]).fill(due.strftime("%Y-%m-%dT%H:%M:%S"))
            _submit(pam, pam.get_by_role("button", name=w["queue"], exact=True))
            row = pam.locator("#upcoming-h ~ .table-wrap tr[data-state]").first
            expect(row).to_contain_text(case["post"])
            expect(row).to_contain_text(w["queued"])
            pam.context.close()

            lena.goto(playbook)
            lena.get_by_label(w["reason"], exact=True).fill(case["pause_reason"])
            _submit(lena, lena.get_by_role("button", name=w["pause"]))
            expect(lena.locator("#outbound-pause-banner")).to_contain_text(case["pause_reason"])
            step4 = lena.locator(".pb-steps > li").nth(3)
            expect(step4.locator(".pb-item.done")).to_have_count(2)
            lena.goto(f"{base}/outbound/")
            expect(lena.locator("#outbound-pause-banner")).to_contain_text(w["banner"])
            row = lena.locator("tr[data-state=held]")
            expect(row).to_contain_text(case["post"])
            expect(row).to_contain_text(w["held"])
            _shots(lena, f"{lang}-outbound-paused")

            # Due now, and the worker sweeps as beat would: nothing goes out.
            while datetime.now(ZoneInfo(case["zone"])) <= due:
                time.sleep(0.2)
            _sweep_on_the_worker(live_stack)
            _sweep_on_the_worker(live_stack)
            assert _scheduled_hits(receiver) == []
            # No ORM while Playwright runs (its loop in this thread): the page says so.
            lena.reload()
            expect(lena.locator("tr[data-state=held]")).to_contain_text(case["post"])

            # Channel updates tick step 6 by themselves.
            lena.goto(playbook)
            for code, label in w["channels"].items():
                rows = lena.locator("#chan-h ~ table tbody tr")
                row = rows.filter(has=lena.get_by_role("cell", name=label, exact=True))
                row.get_by_role("combobox").select_option(label=w["done"])
                if code == "website":
                    row.locator("input[name=note]").fill(case["website_note"])
                _submit(lena, row.get_by_role("button", name=w["save"]))
            step6 = lena.locator(".pb-steps > li").nth(5)
            expect(step6.locator(".pb-step .badge")).to_have_text(w["states"]["done"])
            expect(step6.locator(".pb-item.done")).to_have_count(4)

            # Resume: the worker sends the held post, once.
            _submit(lena, lena.get_by_role("button", name=w["resume"]))
            expect(lena.locator("#outbound-pause-banner")).to_have_count(0)
            with receiver.arrived:
                receiver.arrived.wait_for(lambda: _scheduled_hits(receiver), timeout=30)
            (sent,) = _scheduled_hits(receiver)
            assert sent.json()["text"] == case["post"]
            lena.goto(f"{base}/outbound/")
            row = lena.locator("tr[data-state=sent]")
            expect(row).to_contain_text(case["post"])
            expect(row).to_contain_text(w["sent_out"])

            # The war room, then resolve with a one-line summary.
            lena.goto(room)
            expect(lena.locator(".war-room")).to_have_attribute(
                "data-connected", "true", timeout=15000
            )
            _shots(lena, f"{lang}-war-room")
            lena.get_by_label(w["summary"], exact=True).fill(case["resolution"])
            lena.get_by_role("button", name=w["resolve"], exact=True).click()
            expect(lena.locator("#incident-lifecycle")).to_contain_text(case["resolution"])
            expect(lena.locator("#incident-status")).to_contain_text(w["resolved"], timeout=15000)

            # The post-crisis review.
            lena.goto(f"{playbook}review/")
            lena.get_by_role("textbox", name=w["root_cause"], exact=True).fill(case["root_cause"])
            lena.get_by_role("textbox", name=w["lessons"], exact=True).fill(case["lessons"])
            _submit(lena, lena.get_by_role("button", name=w["save"], exact=True))
            expect(lena.get_by_role("textbox", name=w["root_cause"], exact=True)).to_have_value(
                case["root_cause"]
            )
            resolve_row = lena.locator("tr", has_text=w["time_to_resolve"])
            expect(resolve_row.locator("td")).not_to_have_text("—")
            _shots(lena, f"{lang}-review")

            # The exports: the statement and the timeline, in the team's language.
            with lena.expect_download() as download:
                lena.get_by_role("link", name=w["export_md"]).click()
            markdown = Path(download.value.path()).read_text(encoding="utf-8")
            with lena.expect_download() as download:
                lena.get_by_role("link", name=w["export_pdf"]).click()
            pdf = Path(download.value.path()).read_bytes()

            # The playbook followed the work: what is left are the judgement calls.
            lena.goto(playbook)
            states = _step_states(lena)
            unticked_bound = lena.locator(".pb-item.bound:not(.done)").all_inner_texts()
            lena.screenshot(path=f"var/walk-{lang}-playbook-1400.png", full_page=True)
            browser.close()
    finally:
        receiver.__exit__()

    s = w["states"]
    assert states == [
        s["done"],  # the team (two lines by hand)
        s["in_progress"],  # assessing: the sentiment and voices lines are a person's
        s["in_progress"],  # key messages and expected questions are a person's
        s["in_progress"],  # keep monitoring reactions
        s["pending"],  # communicating is a person's work
        s["done"],  # every channel updated
        s["in_progress"],  # watching sentiment recover
    ], states
    assert unticked_bound == []
    statement = Statement.objects.get()
    assert statement.state == "published"
    assert list(statement.approvals.values_list("user__username", flat=True).order_by("pk")) == [
        "leo",
        "eve",
    ]
    post = ScheduledPost.objects.get()
    assert post.state == "sent" and post.attempts == 1
    assert len(_scheduled_hits(receiver)) == 1
    assert case["body"] in markdown
    timeline = markdown.split(w["timeline_h"], 1)[1]
    # The assessment's entry names the fields it changed in words, not by their codes.
    for text in (w["assessed"], case["pause_reason"], case["resolution"]):
        assert text in timeline, text
    assert pdf.startswith(b"%PDF")
    assert failures == []
    print(f"FIGURE walk ({lang}): {time.monotonic() - started:.1f} s in the browser")
