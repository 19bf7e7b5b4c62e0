"""The channel layer: channels_redis's pub/sub layer, decoding a group message once
per process instead of once per socket.

A group message reaches a process once and is queued, as the same bytes, for every
channel of the group there; the stock layer then decodes it for each channel as that
channel reads it. With 250 war-room sockets on a process that is 250 decodings of
every event (a tenth of a server's CPU under ``tests/bench_war_room.py``). Here the
last few decoded messages are kept by their bytes, so the channels of one delivery
share one decoded message. Consumers therefore treat a received message as read-only
(the war room's consumers queue the payload and render from copies).
"""

from __future__ import annotations

from collections import OrderedDict
from contextlib import suppress
from typing import Any

from channels_redis.pubsub import RedisPubSubChannelLayer


class SharedDecodingPubSubChannelLayer(RedisPubSubChannelLayer):
    DECODED_KEPT = 64  # messages: more than a tick's worth of events per process

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._decoded: OrderedDict[bytes, Any] = OrderedDict()

    def deserialize(self, message: bytes) -> Any:
        decoded = self._decoded.get(message)
        if decoded is not None:
            with suppress(KeyError):  # evicted meanwhile by another event loop's thread
                self._decoded.move_to_end(message)
            return decoded
        decoded = super().deserialize(message)
        self._decoded[message] = decoded
        while len(self._decoded) > self.DECODED_KEPT:
            with suppress(KeyError):  # emptied meanwhile by another event loop's thread
                self._decoded.popitem(last=False)
        return decoded
