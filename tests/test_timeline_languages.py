"""Every timeline line in the reader's language, whoever wrote it.

A worker (detection, escalation, a scheduled post) writes in the site's language and a
zh-Hant colleague's action in Chinese; the entry is stored as a message id and
parameters and translated when shown: on the war room page, in its websocket push,
in the review's Markdown and PDF. What people wrote (reasons, notes) stays as written
and is escaped; rows from before the key existed show their stored text.
"""

from __future__ import annotations

from datetime import datetime

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client
from django.utils import translation
from django.utils.translation import gettext_noop

from crisisroom import timeline_text
from crisisroom.asgi import application
from crisisroom.choices import TimelineKind
from crisisroom.models import TimelineEvent
from crisisroom.services.incidents import incident_dismiss, incident_take_signal
from crisisroom.services.timeline import timeline_add, timeline_pin
from monitoring.models import Brand, Signal
from playbook import exports
from tests.tools import require

SIGNAL_EN = "Volume spike: observed 180 against a baseline of 12.5 (threshold 40)"
SIGNAL_ZH = "聲量暴增：觀測值 180，基準值 12.5（門檻 40）"


@pytest.fixture(autouse=True)
def _language_back():  # type: ignore[no-untyped-def]
    yield
    translation.deactivate()


def _signal(brand: Brand, at: str = "2026-03-01T10:00:00Z") -> Signal:
    return Signal.objects.create(
        brand=brand,
        kind="volume",
        at=datetime.fromisoformat(at),
        baseline=12.5,
        threshold=40,
        observed=180,
        magnitude=3.5,
    )


def _readers(alice, bob):  # type: ignore[no-untyped-def]
    alice.language = "en"
    alice.save(update_fields=["language"])
    bob.language = "zh-hant"
    bob.save(update_fields=["language"])
    return alice, bob


def _page(user, path: str) -> str:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    response = client.get(path)
    assert response.status_code == 200, path
    return response.content.decode()


@pytest.mark.django_db
def test_a_worker_line_reads_in_each_readers_language(alice, bob):
    english, chinese = _readers(alice, bob)
    brand = Brand.objects.create(name="Acme", slug="acme")
    with translation.override("en"):  # the worker: the site's language
        incident = incident_take_signal(signal=_signal(brand))
    line = incident.timeline.get(kind=TimelineKind.SIGNAL)
    assert line.message_key and line.message == SIGNAL_EN

    en_page = _page(english, f"/incidents/{incident.pk}/")
    zh_page = _page(chinese, f"/incidents/{incident.pk}/")
    assert SIGNAL_EN in en_page and SIGNAL_ZH not in en_page
    assert SIGNAL_ZH in zh_page and SIGNAL_EN not in zh_page
    assert "由偵測系統提出" in zh_page and "raised by detection" in en_page


@pytest.mark.django_db
def test_a_chinese_colleagues_line_reads_in_english_and_user_text_stays_escaped(alice, bob):
    english, chinese = _readers(alice, bob)
    brand = Brand.objects.create(name="Acme", slug="acme")
    incident = incident_take_signal(signal=_signal(brand))
    reason = '<script>alert("x")</script> 只是測試貼文'
    with translation.override("zh-hant"):  # bob's own request
        incident_dismiss(incident=incident, user=chinese, reason=reason)

    en_page = _page(english, f"/incidents/{incident.pk}/")
    zh_page = _page(chinese, f"/incidents/{incident.pk}/")
    en_print = _page(english, f"/incidents/{incident.pk}/playbook/review/print/")
    zh_print = _page(chinese, f"/incidents/{incident.pk}/playbook/review/print/")
    assert "Dismissed as a false alarm by bob: &lt;script&gt;" in en_print
    assert "由 bob 排除為誤報：&lt;script&gt;" in zh_print
    assert '<script>alert("x")' not in en_print + zh_print
    assert "Dismissed as a false alarm by bob: &lt;script&gt;" in en_page
    assert "由 bob 排除為誤報：&lt;script&gt;" in zh_page
    for page in (en_page, zh_page):
        assert '<script>alert("x")' not in page
        assert "只是測試貼文" in page  # the reason as written, in both


@pytest.mark.django_db
def test_an_old_line_without_a_key_shows_as_stored(alice, bob):
    english, chinese = _readers(alice, bob)
    brand = Brand.objects.create(name="Acme", slug="acme")
    incident = incident_take_signal(signal=_signal(brand))
    TimelineEvent.objects.create(
        incident=incident, kind="status", message="舊紀錄 written <b>before</b>"
    )
    for reader in (english, chinese):
        page = _page(reader, f"/incidents/{incident.pk}/")
        assert "舊紀錄 written &lt;b&gt;before&lt;/b&gt;" in page


@pytest.mark.django_db
def test_a_pin_names_the_pinned_line_in_the_readers_language(alice, bob):
    english, chinese = _readers(alice, bob)
    brand = Brand.objects.create(name="Acme", slug="acme")
    incident = incident_take_signal(signal=_signal(brand))
    line = incident.timeline.get(kind=TimelineKind.SIGNAL)
    with translation.override("zh-hant"):
        timeline_pin(incident=incident, event_id=line.pk, by=english)
    assert f"Pinned by alice: {SIGNAL_EN}" in _page(english, f"/incidents/{incident.pk}/")
    assert f"alice 置頂：{SIGNAL_ZH}" in _page(chinese, f"/incidents/{incident.pk}/")


@pytest.mark.django_db
def test_the_review_markdown_and_pdf_read_in_the_readers_language(alice):
    brand = Brand.objects.create(name="Acme", slug="acme")
    with translation.override("en"):
        incident = incident_take_signal(signal=_signal(brand))
    with translation.override("zh-hant"):
        zh = exports.review_markdown(incident)
        pdf = exports.review_pdf(incident)
    with translation.override("en"):
        en = exports.review_markdown(incident)
    assert SIGNAL_ZH in zh and SIGNAL_EN not in zh
    assert SIGNAL_EN in en and SIGNAL_ZH not in en
    require(exports.CJK_FONTS[0][0], "fonts-noto-cjk")
    from playbook.tests.test_report_documents import pdf_text

    flat = "".join(pdf_text(pdf).split())
    assert "".join(SIGNAL_ZH.split()) in flat


def _headers(user) -> list[tuple[bytes, bytes]]:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    cookie = f"sessionid={client.cookies['sessionid'].value}".encode()
    return [(b"origin", b"http://127.0.0.1:8000"), (b"cookie", cookie)]


async def _next(communicator: WebsocketCommunicator, kind: str) -> dict:
    while True:
        message = await communicator.receive_json_from(timeout=15)
        if message["type"] == kind:
            return message


@pytest.mark.django_db(transaction=True)
def test_the_websocket_push_is_translated_per_reader(alice, bob):
    english, chinese = _readers(alice, bob)
    brand = Brand.objects.create(name="Acme", slug="acme")
    incident = incident_take_signal(signal=_signal(brand))
    sockets = {
        lang: WebsocketCommunicator(
            application, f"/ws/incidents/{incident.pk}/", headers=_headers(user)
        )
        for lang, user in (("en", english), ("zh", chinese))
    }

    async def run() -> None:
        for socket in sockets.values():
            assert (await socket.connect())[0]

        @database_sync_to_async
        def worker() -> None:
            from django.db import transaction

            with translation.override("en"), transaction.atomic():
                incident_take_signal(signal=_signal(brand, at="2026-03-01T10:05:00Z"))
                timeline_add(
                    incident=incident,
                    kind=TimelineKind.PLAYBOOK,
                    key=gettext_noop("Post #%(id)s published to %(target)s"),
                    params={"id": 7, "target": "<i>Blog</i>"},
                )

        await worker()
        en = await _next(sockets["en"], "timeline.new")
        zh = await _next(sockets["zh"], "timeline.new")
        assert SIGNAL_EN in en["html"] and SIGNAL_ZH in zh["html"]
        en = await _next(sockets["en"], "timeline.new")
        zh = await _next(sockets["zh"], "timeline.new")
        assert "Post #7 published to &lt;i&gt;Blog&lt;/i&gt;" in en["html"]
        assert "<i>Blog" not in zh["html"] and "&lt;i&gt;Blog&lt;/i&gt;" in zh["html"]
        assert "published to" not in zh["html"]
        for socket in sockets.values():
            await socket.disconnect()

    async_to_sync(run)()


def test_a_translation_that_does_not_fit_falls_back_to_english():
    with translation.override("zh-hant"):
        # A placeholder missing from the parameters: the English, then the stored text.
        assert timeline_text.render("Alert sent to %(to)s", {"other": 1}, "stored") == "stored"
        assert timeline_text.render("", {}, "as written") == "as written"
        nested = timeline_text.message(
            "Acknowledged by %(user)s (%(via)s)",
            {"user": "bob", "via": timeline_text.message("link in the alert")},
        )
        assert "link in the alert" not in timeline_text.render(nested["key"], nested["params"])
        lang = {"title": {"lang": {"en": "Outage", "zh-hant": "當機"}}}
        assert timeline_text.render("Curveball: %(title)s", lang) == "突發狀況：當機"
    with translation.override("en"):
        assert timeline_text.render("Curveball: %(title)s", lang) == "Curveball: Outage"


def test_a_line_takes_a_key_or_a_text_not_both(db):
    with pytest.raises(ValueError):
        timeline_add(incident=None, kind="note", key="a", message="b")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        timeline_add(incident=None, kind="note")  # type: ignore[arg-type]


def test_parameters_are_stored_as_json_and_lazy_labels_stay_translatable():
    from zoneinfo import ZoneInfo

    from django.utils import timezone

    from crisisroom.choices import Severity

    class Target:
        def __str__(self) -> str:
            return "Blog"

    at = datetime.fromisoformat("2026-03-01T10:00:00+00:00")
    stored = timeline_text.params_stored(
        {"target": Target(), "severity": Severity.HIGH.label, "due": at, "n": 3}
    )
    assert stored == {
        "target": "Blog",
        "severity": {"key": "High"},
        "due": {"at": "2026-03-01T10:00:00+00:00"},
        "n": 3,
    }
    key = "Post #%(n)s to %(target)s (%(severity)s, due %(due)s)"
    with translation.override("zh-hant"), timezone.override(ZoneInfo("Asia/Taipei")):
        text = timeline_text.render(key, stored)
    assert "高" in text and "18:00 台北時間" in text and "Blog" in text
