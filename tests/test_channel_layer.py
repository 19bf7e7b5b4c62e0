"""The production channel layer decodes a group message once per process: every
channel of the group on this process gets the same decoded message."""

from __future__ import annotations

import uuid
from collections import OrderedDict

import pytest
from asgiref.sync import async_to_sync
from django.conf import settings

from foundation.channel_layer import SharedDecodingPubSubChannelLayer


def _layer() -> SharedDecodingPubSubChannelLayer:
    return SharedDecodingPubSubChannelLayer(
        hosts=[settings.REDIS_URL or "redis://127.0.0.1:6379/0"],
        prefix=f"test-layer-{uuid.uuid4().hex[:8]}",
    )


def test_the_same_bytes_are_decoded_once_and_other_bytes_apart():
    layer = _layer()
    message = {"type": "room.event", "payload": {"type": "mentions.new", "mentions": [1, 2]}}
    data = layer.serialize(message)

    first = layer.deserialize(data)
    again = layer.deserialize(bytes(bytearray(data)))  # equal bytes, another object
    other = layer.deserialize(layer.serialize({**message, "payload": {"type": "presence"}}))

    assert first == message
    assert again is first
    assert other is not first and other["payload"] == {"type": "presence"}


def test_only_the_latest_messages_are_kept():
    layer = _layer()
    data = layer.serialize({"type": "room.event", "payload": {"n": -1}})
    first = layer.deserialize(data)
    for n in range(layer.DECODED_KEPT):
        layer.deserialize(layer.serialize({"type": "room.event", "payload": {"n": n}}))

    assert len(layer._decoded) == layer.DECODED_KEPT
    later = layer.deserialize(data)
    assert later == first and later is not first


def test_every_channel_of_a_group_gets_the_event_through_redis():
    if not settings.REDIS_URL:
        pytest.fail("this test runs in services mode: set REDIS_URL")
    layer = _layer()

    async def run() -> list[dict]:
        channels = [await layer.new_channel() for _ in range(3)]
        for channel in channels:
            await layer.group_add("incident-1", channel)
        await layer.group_send("incident-1", {"type": "room.event", "payload": {"id": "e1"}})
        received = [await layer.receive(channel) for channel in channels]
        await layer.flush()
        return received

    received = async_to_sync(run)()

    assert [m["payload"] for m in received] == [{"id": "e1"}] * 3
    assert received[0] is received[1] is received[2]


def test_a_message_evicted_between_look_up_and_reuse_is_still_returned():
    # Every event loop of a process (Daphne's, async_to_sync's threads) shares the
    # layer's cache: another thread may evict a message between get() and
    # move_to_end(). Simulated here by a cache whose get() evicts what it returns.
    class EvictingOnGet(OrderedDict):
        def get(self, key, default=None):
            value = super().get(key, default)
            self.pop(key, None)
            return value

    layer = _layer()
    data = layer.serialize({"type": "room.event", "payload": {"id": "e1"}})
    first = layer.deserialize(data)
    layer._decoded = EvictingOnGet(layer._decoded)

    assert layer.deserialize(data) is first
