"""The situation report in Chromium, in English and Traditional Chinese, at 1400 and
390 px: the incident lead reads the report, adds a reader, sends it now; the email
arrives over real SMTP (through the real worker) and reads on a phone's width."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from crisisroom.models import Incident
from crisisroom.services.incidents import incident_open, member_assign
from crisisroom.services.users import user_add
from monitoring.models import Brand, Mention, Rollup, Source, bucket_start
from playbook.choices import ClaimStatus
from playbook.models import MisinformationClaim, SitrepDelivery
from playbook.seed import seed_playbook_now
from playbook.services import statements
from tests import chromium

pytestmark = [pytest.mark.flow, pytest.mark.browser]

WORDS = {
    "en": {
        "title": "Situation report",
        "voices": "New voices in the last hour",
        "volume": "120 mentions in the last hour",
        "add": "Add reader",
        "added": "The reader is added.",
        "send": "Send now",
        "on_its_way": "The sitrep is on its way to 2 readers.",
        "sent": "Sent",
        "subject": "Sitrep",
        "zone": "Taipei time",
    },
    "zh-hant": {
        "title": "情勢報告",
        "voices": "最近一小時新的聲音",
        "volume": "最近一小時 120 則提及",
        "add": "加入收件人",
        "added": "已加入收件人。",
        "send": "立即發送",
        "on_its_way": "情勢報告正在發送給 2 位收件人。",
        "sent": "已發送",
        "subject": "情勢報告",
        "zone": "台北時間",
    },
}
WIDEST = """[...document.querySelectorAll('body *')]
  .filter(e => e.getBoundingClientRect().right > 391)
  .slice(0, 5).map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))"""


def _state(incident: Incident, lena) -> None:  # type: ignore[no-untyped-def]
    now = timezone.now()
    Incident.objects.filter(pk=incident.pk).update(
        opened_at=now - timedelta(minutes=90), started_at=now - timedelta(minutes=90)
    )
    incident.refresh_from_db()
    for minutes, count, negative in ((20, 120, 60), (80, 40, 8)):
        Rollup.objects.create(
            brand=incident.brand,
            bucket=bucket_start(now - timedelta(minutes=minutes)),
            platform="twitter",
            count=count,
            negative=negative,
            neutral=count - negative - 10,
            positive=10,
        )
    source = Source.objects.create(kind="api", key="twitter", platform="twitter")
    for n, (author, followers) in enumerate(
        [("taipei_foodie_with_a_very_long_handle_name", 250_000), ("angry_fan", 1_200)]
    ):
        Mention.objects.create(
            source=source,
            external_id=f"m{n}",
            brand=incident.brand,
            platform="twitter",
            text="停電了，訂單怎麼辦？",
            author=author,
            author_followers=followers,
            published_at=now - timedelta(minutes=10 + n),
        )
    draft = statements.statement_create(
        incident=incident,
        by=lena,
        body="We are sorry for the power cut in our Taipei stores. Every order is refunded by Friday.",
    )
    statements.statement_submit(statement=draft, by=lena)
    MisinformationClaim.objects.create(
        incident=incident, claim="所有門市永久關閉", status=ClaimStatus.FALSE
    )


@pytest.mark.parametrize("lang", ["en", "zh-hant"])
def test_the_lead_reads_and_sends_the_sitrep(live_stack, smtp_server, monkeypatch, lang):  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect, sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    seed_playbook_now()
    lena, _ = user_add(
        username="lena", org_role="responder", crisis_roles=["incident_lead"], password="pw-lena"
    )
    erin, _ = user_add(
        username="erin",
        org_role="viewer",
        crisis_roles=["executive_lead"],
        email="erin@example.com",
        password=None,
    )
    for user in (lena, erin):
        user.language, user.time_zone = lang, "Asia/Taipei"
        user.save(update_fields=["language", "time_zone"])
    brand = Brand.objects.create(name="Acme Coffee", slug="acme-coffee")
    incident = incident_open(brand=brand, title="Power cut in Taipei stores", opened_by=lena)
    member_assign(incident=incident, user=lena, crisis_role="incident_lead", by=lena)
    member_assign(incident=incident, user=erin, crisis_role="executive_lead", by=lena)
    _state(incident, lena)
    base, w = live_stack.base_url, WORDS[lang]
    url = f"{base}/incidents/{incident.pk}/sitrep/"
    errors: list[str] = []

    with sync_playwright() as p:
        browser = chromium.launch(p)
        page = browser.new_context(viewport={"width": 1400, "height": 900}).new_page()
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("response", lambda r: errors.append(r.url) if r.status >= 500 else None)
        page.goto(f"{base}/accounts/login/")
        page.locator("input[name=username]").fill("lena")
        page.locator("input[name=password]").fill("pw-lena")
        page.locator("form button[type=submit], form input[type=submit]").last.click()
        page.wait_for_url(f"{base}/")
        # From the war room's playbook panel to the report.
        page.goto(f"{base}/incidents/{incident.pk}/")
        page.get_by_role("link", name=w["title"], exact=True).click()
        page.wait_for_url(url)
        expect(page.locator("h1")).to_contain_text(w["title"])
        expect(page.locator("#sr-voices-h")).to_have_text(w["voices"])
        expect(page.locator(".sr-figure").first).to_contain_text(w["volume"])
        expect(page.locator(".sr-figure.sr-up")).to_have_count(2)  # louder, and angrier
        expect(page.locator(".sitrep-report")).to_contain_text("taipei_foodie")
        expect(page.locator(".sitrep-report")).to_contain_text("所有門市永久關閉")

        add = page.locator("form.sr-add")
        add.locator("select[name=kind]").select_option("email")
        add.locator("input[name=address]").fill("board@example.com")
        add.locator("select[name=language]").select_option("zh-hant")
        add.locator("input[name=time_zone]").fill("Europe/London")
        add.get_by_role("button", name=w["add"]).click()
        expect(page.locator("body")).to_contain_text(w["added"])
        expect(page.locator(".sr-readers")).to_contain_text("board@example.com")

        page.get_by_role("button", name=w["send"]).click()
        expect(page.locator("body")).to_contain_text(w["on_its_way"])
        messages = smtp_server.inbox.wait_for(2, timeout=60)
        assert sorted(m["To"] for m in messages) == ["board@example.com", "erin@example.com"]
        page.reload()
        expect(page.locator("#sr-hist-h")).to_be_visible()
        page.screenshot(path=f"var/sitrep-{lang}-1400.png", full_page=True)

        page.set_viewport_size({"width": 390, "height": 844})
        page.screenshot(path=f"var/sitrep-{lang}-390.png", full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, page.evaluate(WIDEST)

        # The executive lead's email, as a phone shows it.
        erins = next(m for m in messages if m["To"] == "erin@example.com")
        assert w["subject"] in str(erins["Subject"]) or "=?utf-8?" in str(erins["Subject"])
        html = next(
            part.get_payload(decode=True).decode()
            for part in erins.walk()
            if part.get_content_type() == "text/html"
        )
        assert w["voices"] in html and w["zone"] in html
        mail = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
        mail.set_content(html)
        mail.screenshot(path=f"var/sitrep-email-{lang}-390.png", full_page=True)
        assert mail.evaluate("document.documentElement.scrollWidth") <= 390, mail.evaluate(WIDEST)
        browser.close()

    assert errors == []
    rows = SitrepDelivery.objects.filter(incident=incident)
    assert rows.count() == 2 and set(rows.values_list("status", flat=True)) == {"sent"}
