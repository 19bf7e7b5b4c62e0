"""War-room fan-out: one tick renders and encodes a batch once per language and time
zone, whatever the number of sockets, and sends to them concurrently."""

from __future__ import annotations

import asyncio
import json
import time
import uuid

import pytest
from asgiref.sync import async_to_sync

from crisisroom import consumers
from crisisroom.consumers import IncidentConsumer

pytestmark = pytest.mark.django_db(transaction=True)  # database_sync_to_async closes connections


def mention_event(text: str) -> dict:
    return {
        "type": "mentions.new",
        "incident": 1,
        "event_id": uuid.uuid4().hex,
        "sent_at": time.time(),
        "mentions": [
            {
                "id": 7,
                "text": text,
                "author": "ann",
                "author_followers": 3,
                "platform": "twitter",
                "url": "",
                "lang": "en",
                "published_at": "2026-12-01T09:00:00+00:00",
                "sentiment_label": "negative",
                "sentiment_score": -0.5,
            }
        ],
    }


class Recorder(IncidentConsumer):
    """A consumer without a socket: records what it would send."""

    def __init__(self, user) -> None:  # type: ignore[no-untyped-def]
        super().__init__()
        self.init_buffer()
        self.user_id = user.pk
        self.sent: list[str] = []

    async def send(self, text_data=None, bytes_data=None, close=False):  # type: ignore[no-untyped-def]
        await asyncio.sleep(0)
        self.sent.append(text_data)


def test_one_tick_encodes_once_per_language_and_time_zone(charlie, bob, monkeypatch):
    bob.language, bob.time_zone = "zh-hant", "Asia/Taipei"
    bob.save(update_fields=["language", "time_zone"])
    calls = []
    original = IncidentConsumer.encode_json.__func__

    async def counting(cls, content):  # type: ignore[no-untyped-def]
        calls.append(content["type"])
        return await original(cls, content)

    monkeypatch.setattr(IncidentConsumer, "encode_json", classmethod(counting))
    event = mention_event("Acme Coffee <b>awful</b>")
    english = [Recorder(charlie) for _ in range(30)]
    chinese = [Recorder(bob) for _ in range(5)]
    for consumer in english + chinese:
        consumer.pending.append(event)

    async def tick() -> None:
        ticker = consumers._Ticker()
        ticker.waiting = set(english + chinese)
        await ticker._run()

    async_to_sync(tick)()
    assert calls == ["mentions.new", "mentions.new"]  # 35 sockets, 2 encodings
    assert {c.sent[0] for c in english} == {english[0].sent[0]}
    assert {c.sent[0] for c in chinese} == {chinese[0].sent[0]}
    assert english[0].sent[0] != chinese[0].sent[0]
    message = json.loads(english[0].sent[0])
    assert "&lt;b&gt;awful&lt;/b&gt;" in message["html"]
    assert all(len(c.sent) == 1 for c in english + chinese)


def test_a_chat_mention_is_encoded_per_user(charlie, alice):
    chat = {
        "type": "chat.new",
        "incident": 1,
        "id": 1,
        "author": "alice",
        "body": "@charlie look",
        "mentioned": ["charlie"],
        "at": "2026-12-01T09:00:00+00:00",
        "event_id": uuid.uuid4().hex,
        "sent_at": time.time(),
    }
    charlie.language = alice.language = "en"
    charlie.time_zone = alice.time_zone = "UTC"
    shared: dict = {}
    frames = []
    for user in (charlie, alice):
        consumer = Recorder(user)
        consumer.pending.append(chat)
        frames.append(async_to_sync(consumer.frames)(user, shared))
    assert frames[0] != frames[1]  # marked "for me" for charlie only


def test_a_socket_that_fails_to_send_does_not_stop_the_others(charlie):
    class Broken(Recorder):
        async def send(self, text_data=None, bytes_data=None, close=False):  # type: ignore[no-untyped-def]
            raise ConnectionResetError

    event = mention_event("Acme Coffee again")
    sockets = [Recorder(charlie), Broken(charlie), Recorder(charlie)]
    for consumer in sockets:
        consumer.pending.append(event)

    async def tick() -> None:
        ticker = consumers._Ticker()
        ticker.waiting = set(sockets)
        await ticker._run()

    async_to_sync(tick)()
    assert len(sockets[0].sent) == len(sockets[2].sent) == 1


def page_socket(user, page: str) -> Recorder:  # type: ignore[no-untyped-def]
    consumer = Recorder(user)
    consumer.incident_id = 1
    consumer.page = page
    consumer.kinds = consumers.PAGE_KINDS.get(page)
    return consumer


@pytest.mark.parametrize("playbook_first", [True, False])
def test_a_playbook_page_and_a_war_room_in_one_tick_get_their_own_frames(charlie, playbook_first):
    """The per-tick cache keys on the page: the playbook page's (filtered) frames are
    never handed to a war room with the same events, language and zone, nor the reverse."""
    event = mention_event("Acme Coffee on both pages")
    room, playbook = page_socket(charlie, ""), page_socket(charlie, "playbook")
    shared: dict = {}
    frames = {}
    for consumer in (playbook, room) if playbook_first else (room, playbook):
        consumer.pending.append(event)
        frames[consumer.page] = async_to_sync(consumer.frames)(charlie, shared)
    assert frames["playbook"] == []  # the playbook page has no feed to put a mention in
    assert [json.loads(f)["type"] for f in frames[""]] == ["mentions.new"]


def test_only_the_war_room_gets_the_viewer_parts(charlie):
    """The coach's next actions live only in the war room: another page listening on the
    incident's socket gets no viewer.refresh (htmx would find no #next-actions there)."""
    assert consumers.VIEWER_PARTS  # the playbook app adds its next-actions panel
    event = {
        "type": "timeline.new",
        "incident": 1,
        "id": 5,
        "kind": "note",
        "message": "Statement drafted",
        "at": "2026-12-01T09:00:00+00:00",
        "event_id": uuid.uuid4().hex,
        "sent_at": time.time(),
    }
    sent = {}
    for page in ("", "playbook", "statement"):
        consumer = page_socket(charlie, page)
        consumer.pending.append(event)
        sent[page] = [json.loads(f)["type"] for f in async_to_sync(consumer.frames)(charlie, {})]
    assert sent[""] == ["timeline.new", "viewer.refresh"]
    assert sent["playbook"] == sent["statement"] == []
