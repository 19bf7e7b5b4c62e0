"""The war room never silently misses events.

A socket can stay open while the events meant for it are lost: the channel layer
(Redis) goes away and ``events.broadcast`` drops what it could not publish, or the
database fails while a batch is rendered. Each consumer therefore runs a watch:
every WAR_ROOM_HEARTBEAT_SECONDS it sends a ping to its own channel *through the
channel layer* and waits for it to come back.

- A ping that comes back (and a database that answers: checked once per interval
  per process, not per socket) proves the socket's events can flow; the page gets
  ``{"type": "heartbeat"}``.
- A ping that fails or does not come back, or a database that does not answer,
  marks the socket as having missed events (no heartbeat is sent, so the page sees
  the silence too and says it is offline).
- The first good round after that sends ``{"type": "resync"}``: the page reloads
  its live part, exactly as a fresh load shows it.

The page (static/js/app.js) also resyncs by itself when no heartbeat came for
WAR_ROOM_HEARTBEAT_MISSED_SECONDS and reconnects when the silence goes on, so a
server that cannot even tell it still ends in a page equal to a fresh load.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import time
from typing import Any

from channels.db import database_sync_to_async
from django.conf import settings
from django.db import connection

logger = logging.getLogger(__name__)


@database_sync_to_async
def _database_answers() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:
        return False
    return True


_database_state = {"checked": 0.0, "ok": True}


async def database_answers(max_age: float) -> bool:
    """Whether the database answers, asked at most once per ``max_age`` per process
    (sockets checking meanwhile get the last answer)."""
    now = time.monotonic()
    if now - _database_state["checked"] < max_age:
        return bool(_database_state["ok"])
    _database_state["checked"] = now
    _database_state["ok"] = await _database_answers()
    return bool(_database_state["ok"])


class LayerWatchMixin:
    """For an AsyncJsonWebsocketConsumer: ``await self.watch_start()`` after accept,
    ``self.watch_stop()`` on disconnect, ``self.missed_events()`` when a push failed."""

    channel_layer: Any
    channel_name: str
    _watch_task: asyncio.Task | None = None
    _missed = False

    def watch_hello(self) -> dict[str, int]:
        return {
            "heartbeat": settings.WAR_ROOM_HEARTBEAT_SECONDS,
            "heartbeat_missed": settings.WAR_ROOM_HEARTBEAT_MISSED_SECONDS,
        }

    async def watch_start(self) -> None:
        self._ping_seq = itertools.count(1)
        self._ping_expected = 0
        self._ping_back = asyncio.Event()
        self._watch_task = asyncio.ensure_future(self._watch())

    def watch_stop(self) -> None:
        if self._watch_task is not None:
            self._watch_task.cancel()
            self._watch_task = None

    def missed_events(self) -> None:
        self._missed = True

    async def layer_ping(self, message: dict[str, Any]) -> None:
        if message.get("seq") == self._ping_expected:
            self._ping_back.set()

    async def _round_trip(self, timeout: float) -> bool:
        self._ping_expected = next(self._ping_seq)
        self._ping_back.clear()
        try:
            await asyncio.wait_for(
                self.channel_layer.send(
                    self.channel_name, {"type": "layer.ping", "seq": self._ping_expected}
                ),
                timeout,
            )
            await asyncio.wait_for(self._ping_back.wait(), timeout)
        except Exception as exc:  # the layer is down: events are being dropped
            logger.info("war room socket %s: channel layer down (%r)", self.channel_name, exc)
            return False
        return True

    async def _watch(self) -> None:
        interval = float(settings.WAR_ROOM_HEARTBEAT_SECONDS)
        while True:
            await asyncio.sleep(interval)
            layer_ok = await self._round_trip(timeout=interval)
            if not (layer_ok and await database_answers(max_age=interval)):
                self._missed = True
                continue
            with contextlib.suppress(Exception):  # a closed socket ends with disconnect
                if self._missed:
                    self._missed = False
                    await self.send_json({"type": "resync"})  # type: ignore[attr-defined]
                await self.send_json({"type": "heartbeat"})  # type: ignore[attr-defined]
