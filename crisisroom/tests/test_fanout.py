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
