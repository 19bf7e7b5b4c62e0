"""Every page read in 繁體中文 carries no English UI text.

An admin whose language is zh-Hant walks the app's pages (dashboard, an incident's war
room, alerts, playbook, a statement, the review, drills, brands, sources, the explorer,
the detector settings, on-call, preferences). All the content the test creates is
Chinese, so any Latin word left in the visible text (or a button, placeholder, title or
aria-label) outside the allow-list below is UI text that missed its translation.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

import pytest
from django.test import Client
from django.utils import translation

from crisisroom.drills import scenarios_list
from crisisroom.models import User
from crisisroom.services.incidents import incident_open
from monitoring.connectors.htmltree import VOID
from monitoring.ingest import mentions_ingest
from monitoring.models import Brand, MentionExport, WatchTerm
from playbook.models import MessageTemplate
from playbook.seed import seed_playbook_now
from playbook.services.assessment import claim_record
from playbook.services.statements import statement_create

# Words that are the same in every language: names, codes, units, formats.
ALLOWED = {
    "alice",  # the test's user name
    "example",  # and email address, alice@example.com (on the on-call pages)
    "com",
    "acme",  # the brand's slug
    "crisis",
    "room",  # the product name, "Crisis Room"
    "utc",
    "api",
    "csv",
    "tsv",
    "pdf",
    "md",
    "markdown",
    "html",
    "url",
    "email",
    "webhook",
    "x",
    "twitter",
    "facebook",
    "instagram",
    "threads",
    "youtube",
    "ptt",
    "dcard",
    "line",
    "rss",
    "google",
    "news",
    "reddit",
    "v",  # version numbers: v1
    "pr",
    "hr",
    "ok",
    "asia",
    "taipei",  # the zone name beside 台北時間 in the zone list
    "hong",
    "kong",
    "shanghai",
    "tokyo",
    "singapore",
    "europe",
    "london",
    "america",
    "new",
    "york",
    "los",
    "angeles",
    "ai",
    "id",
    "ms",
    "or",  # query syntax: 「OR」 and 「AND」 are operators
    "and",
    "not",
    "english",  # the language switcher names each language in itself
    "bluesky",
    "mastodon",
    "slack",  # the sitrep's reader kinds: Slack, Microsoft Teams
    "microsoft",
    "teams",
    "javascript",
    # example query terms inside translated help texts
    "acmecoffee",
    "grinder",
    "brew",
    "cold",
    "slug",
    "app",  # a loanword in Traditional Chinese text (修圖 App)
    # services and names in the source guide
    "algolia",
    "atom",
    "cloudflare",
    "yahoo",
    "hacker",
    "meta",
    "json",
    "data",  # YouTube Data API
    "cloud",  # Google Cloud
    "gossiping",  # PTT board names
    "lifeismoney",
    "mobilecomm",
    "money",  # a Dcard forum alias
    "hashtag",  # config keys named in the guide
    "query",
    "read",
    "coffee",
}
WORD = re.compile(r"[A-Za-z][A-Za-z0-9_'’:/-]*")
ATTRS = ("placeholder", "title", "aria-label", "alt")


class _Visible(HTMLParser):
    """Visible text and the attributes a person reads; skips scripts, styles and the
    zone datalist's IANA names (codes)."""

    SKIP = {"script", "style", "datalist", "template", "code", "pre"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping: list[str] = []

    VOID = VOID

    def handle_starttag(self, tag, attrs):  # type: ignore[no-untyped-def]
        if self.skipping:
            if tag not in self.VOID:
                self.skipping.append(tag)  # nested: the skipped element ends at its own end tag
            return
        # Content marked English on purpose (a bilingual editor shows both languages).
        if tag in self.SKIP or (dict(attrs).get("lang") or "").lower().startswith("en"):
            if tag not in self.VOID:
                self.skipping.append(tag)
            return
        attrs = dict(attrs)
        for name in ATTRS:
            if attrs.get(name):
                self.parts.append(attrs[name])
        if tag == "input" and attrs.get("type") in ("submit", "button") and attrs.get("value"):
            self.parts.append(attrs["value"])

    def handle_endtag(self, tag):  # type: ignore[no-untyped-def]
        if self.skipping and self.skipping[-1] == tag:
            self.skipping.pop()

    def handle_data(self, data):  # type: ignore[no-untyped-def]
        if not self.skipping:
            self.parts.append(data)


def english_words(html: str, allowed: set[str] = frozenset()) -> list[str]:
    parser = _Visible()
    parser.feed(html)
    found = []
    for part in parser.parts:
        # A message template's {placeholders} are codes, the same in every language.
        for word in WORD.findall(re.sub(r"\{\w{1,40}\}", " ", part)):
            key = word.lower().strip("'’:-")
            if any(c in key for c in "_:/") or any(c.isdigit() for c in key):
                continue  # a code: secret_env, pages_read_engagement, when:1d, r/x, v2
            if key not in ALLOWED and key not in allowed:
                found.append(word)
    return found


@pytest.fixture(autouse=True)
def _language_back():  # type: ignore[no-untyped-def]
    """The middleware leaves the last request's language active on this thread."""
    yield
    translation.deactivate()


@pytest.fixture
def zh_world(db):  # type: ignore[no-untyped-def]
    seed_playbook_now()
    admin = User.objects.create_user(
        username="alice", password="pw", org_role="admin", language="zh-hant"
    )
    admin.time_zone = "Asia/Taipei"
    admin.save()
    from crisisroom.models import CrisisRole

    admin.crisis_roles.set(CrisisRole.objects.all())
    brand = Brand.objects.create(name="艾可咖啡", slug="acme")
    WatchTerm.objects.create(brand=brand, kind="name", query="艾可咖啡")
    now = datetime.now(UTC)
    # Written in the site's language, as a worker writes (detection opens the incident,
    # the playbook starts itself): the timeline's lines must still read in Chinese.
    translation.activate("en")
    mentions_ingest(
        items=[
            {
                "source": "ptt",
                "external_id": str(i),
                "text": "艾可咖啡又當機了，退款在哪裡",
                "published_at": (now - timedelta(minutes=i)).isoformat(),
                "author": "小明",
                "author_followers": 2512675,
            }
            for i in range(5)
        ]
    )
    incident = incident_open(brand=brand, title="系統當機", started_at=now - timedelta(hours=1))
    statement = statement_create(
        incident=incident, by=admin, title="致歉聲明", body="我們深感抱歉，正在修復。"
    )
    claim_record(incident=incident, by=admin, claim="個資外洩", status="unverified")
    translation.deactivate()
    return admin, brand, incident, statement


def content_words() -> set[str]:
    """English content that is not UI: English message templates (a team may answer in
    English), the drill scenarios' brand names."""
    words = set()
    for t in MessageTemplate.objects.filter(lang="en"):
        words |= {w.lower() for w in WORD.findall(t.title)}
    for s in scenarios_list():
        words |= {w.lower() for w in WORD.findall(s["brand"])}
    return words


def test_every_page_in_zh_hant_has_no_english_ui_text(zh_world, settings):
    admin, brand, incident, statement = zh_world
    settings.EXPORT_BACKGROUND_ROWS = 0  # any mention at all: the background-export offer
    export = MentionExport.objects.create(user=admin, rows_expected=5)
    client = Client()
    client.force_login(admin)
    i, s = incident.pk, statement.pk
    pages = [
        "/",
        f"/incidents/{i}/",
        f"/incidents/{i}/alerts/",
        f"/incidents/{i}/playbook/",
        f"/incidents/{i}/playbook/statements/{s}/",
        f"/incidents/{i}/playbook/review/",
        f"/incidents/{i}/sitrep/",
        "/incidents/new/",
        "/drills/",
        "/on-call/",
        "/brands/",
        f"/brands/{brand.pk}/",
        "/brands/new/",
        f"/brands/{brand.slug}/detector/",
        "/sources/",
        "/sources/new/",
        "/mentions/",
        "/mentions/export.csv",
        f"/mentions/exports/{export.pk}/",
        "/preferences/",
        "/settings/",
        "/settings/users/",
        f"/settings/users/{admin.pk}/",
        "/settings/on-call/",
        "/settings/detector/",
        *settings_pages(),
    ]
    # The on-call page with a list, an override and a preview to read.
    from crisisroom.services.on_call import on_call_add, on_call_override_add

    admin.email = "alice@example.com"
    admin.save()
    on_call_add(user=admin)
    now = datetime.now(UTC)
    on_call_override_add(
        user=admin, starts_at=now + timedelta(days=2), ends_at=now + timedelta(days=3), by=admin
    )
    problems = {}
    for path in pages:
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        assert 'lang="zh-hant"' in response.content.decode().lower(), path
        words = english_words(response.content.decode(), content_words())
        if words:
            problems[path] = sorted(set(words))
    assert not problems, "\n".join(f"{p}: {w}" for p, w in problems.items())


def settings_pages() -> list[str]:
    """The playbook's settings pages (approval policies, message templates, publishing,
    the playbook template and its step and item forms)."""
    from playbook.models import ApprovalPolicy, PlaybookTemplate

    template = PlaybookTemplate.objects.get(is_default=True)
    step = template.steps.first()
    base = f"/settings/playbook/playbooks/{template.pk}/"
    return [
        "/settings/playbook/",
        "/settings/playbook/approvals/",
        f"/settings/playbook/approvals/{ApprovalPolicy.objects.first().pk}/",
        "/settings/playbook/templates/",
        f"/settings/playbook/templates/{MessageTemplate.objects.filter(lang='zh-hant').first().pk}/",
        "/settings/playbook/publishing/",
        "/settings/playbook/publishing/targets/new/",
        "/settings/playbook/publishing/webhooks/new/",
        "/settings/playbook/publishing/alerts/new/",
        "/settings/playbook/playbooks/",
        base,
        f"{base}steps/{step.pk}/",
        f"{base}steps/{step.pk}/items/{step.items.first().pk}/",
    ]


def test_the_checker_catches_english():
    assert english_words("<p>危機 Published</p>") == ["Published"]
    assert english_words('<p>危機 <span lang="en">Assemble <b>the</b> team</span> Left</p>') == [
        "Left"
    ]
    assert english_words('<input placeholder="Search">') == ["Search"]
    assert english_words("<textarea>我們將於 {next_time} 更新</textarea>") == []
    assert english_words("<script>var x = 'hello';</script><p>台北時間</p>") == []


def test_the_default_playbook_carries_both_languages(db):
    from playbook.models import ChecklistItemTemplate, StepTemplate

    seed_playbook_now()
    steps = StepTemplate.objects.filter(template__is_default=True)
    assert steps.count() == 7
    assert not steps.filter(title_zh_hant="").exists()
    assert not steps.filter(description_zh_hant="").exists()
    items = ChecklistItemTemplate.objects.filter(step__template__is_default=True)
    assert items.count() >= 27
    assert not items.filter(text_zh_hant="").exists()
    assert set(MessageTemplate.objects.filter(lang="zh-hant").values_list("kind", flat=True)) >= {
        "holding",
        "apology",
        "status_update",
        "faq",
    }


def test_localized_picks_the_viewers_language_and_falls_back_to_english():
    from foundation.i18n import localized

    step = {"title": "Assemble the team", "title_zh_hant": "組成團隊"}
    own = {"title": "Call the insurer", "title_zh_hant": ""}
    with translation.override("zh-hant"):
        assert localized(step, "title") == "組成團隊"
        assert localized(own, "title") == "Call the insurer"
    with translation.override("en"):
        assert localized(step, "title") == "Assemble the team"


def test_times_name_their_zone_and_numbers_group_thousands():
    from zoneinfo import ZoneInfo

    from django.utils import timezone

    from crisisroom.templatetags.crisis_format import number, when
    from foundation.timezones import zone_choices_common_first

    at = datetime(2026, 12, 1, 3, 16, tzinfo=UTC)
    with timezone.override(ZoneInfo("Asia/Taipei")):
        with translation.override("zh-hant"):
            assert when(at) == "2026-12-01 11:16 台北時間"
        with translation.override("en"):
            assert when(at) == "2026-12-01 11:16 Taipei time"
    assert "CST" not in when(at)
    assert number(2512675) == "2,512,675"
    assert zone_choices_common_first()[0][0] == "Asia/Taipei"
    assert len(zone_choices_common_first()) == len({z for z, _ in zone_choices_common_first()})


def test_a_new_dashboard_says_where_to_start_and_pages_carry_a_favicon(db):
    admin = User.objects.create_user(
        username="alice", password="pw", org_role="admin", language="zh-hant"
    )
    client = Client()
    client.force_login(admin)
    html = client.get("/").content.decode()
    assert "從這裡開始" in html
    assert 'href="/brands/new/"' in html and 'href="/drills/"' in html
    assert 'rel="icon"' in html
    assert not english_words(html, content_words())
    from django.contrib.staticfiles import finders

    assert finders.find("favicon.svg")
