"""The war room's websocket: join an incident's group, re-check access before every
push, render the page's own partials for this user, send JSON.

Under load, events are coalesced: what arrives within FLUSH_INTERVAL is sent
together, runs of new mentions merged into one message, so a storm of thousands of
mentions a minute neither floods the browser nor loses an event.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
import zoneinfo
from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.template.loader import render_to_string
from django.utils import timezone, translation

from crisisroom import events, views
from crisisroom.choices import IncidentStatus, Severity
from crisisroom.layer_watch import LayerWatchMixin
from crisisroom.models import Incident, User
from crisisroom.services import chat
from foundation import jsonio, observability
from foundation.permissions import can_view_incidents
from foundation.timezones import zone_named

CLOSE_FORBIDDEN = 4403
CLOSE_NOT_FOUND = 4404
logger = logging.getLogger(__name__)
FLUSH_INTERVAL = 0.25  # seconds: at most four pushes a second per client

PARTIALS = {
    "mentions.new": "crisisroom/war_room.html#mention-rows-oob",
    "timeline.new": "crisisroom/war_room.html#timeline-item-oob",
    "timeline.pins": "crisisroom/war_room.html#pinned",
    "cadence.updated": "playbook/partials/cadence.html#cadence",
    "incident.updated": "crisisroom/war_room.html#incident-status",
    "chat.new": "crisisroom/war_room.html#chat-item-oob",
    "presence": "crisisroom/war_room.html#presence",
    "playbook.item": "playbook/partials/panel.html#item-oob",
    "playbook.step": "playbook/partials/panel.html#step-oob",
    "statement.updated": "playbook/partials/panel.html#statement-oob",
}

# Parts of the war room that differ per viewer (the playbook's next actions), added by
# the floors above in their AppConfig.ready: each takes the incident id and the user
# and returns out-of-band html, rendered again after a batch holding any of the
# VIEWER_PART_EVENTS.
VIEWER_PARTS: list[Callable[[int, Any], str]] = []
VIEWER_PART_EVENTS = {
    "incident.updated",
    "timeline.new",
    "playbook.item",
    "playbook.step",
    "statement.updated",
}

# What other pages than the war room listen for on the incident's socket (``?page=``):
# only the parts they have a target for, so htmx finds every out-of-band target.
PAGE_KINDS: dict[str, frozenset[str]] = {
    "playbook": frozenset({"playbook.item", "playbook.step"}),
    "statement": frozenset(),
}


def _page(scope: dict[str, Any]) -> str:
    """The connecting page, one of PAGE_KINDS; "" for the war room (every kind)."""
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    page = (query.get("page") or [""])[0]
    return page if page in PAGE_KINDS else ""


@database_sync_to_async
def _fresh_user(user_id: int) -> User | None:
    return User.objects.filter(pk=user_id).first()


@database_sync_to_async
def _incident_exists(pk: int) -> bool:
    return Incident.objects.filter(pk=pk).exists()


def coalesce(payloads: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Merge every new-mentions event of a batch into the first one; keep the rest in order.

    A merged event keeps the events it was made of under "_parts", so each part's
    rendering can be shared between consumers (see _render_cached).
    """
    merged: list[dict[str, Any]] = []
    mentions: dict[str, Any] | None = None
    for payload in payloads:
        if payload["type"] == "mentions.new":
            if mentions is None:
                mentions = {**payload, "mentions": list(payload["mentions"]), "_parts": [payload]}
                merged.append(mentions)
            else:
                mentions["mentions"].extend(payload["mentions"])
                mentions["_parts"].append(payload)
        elif payload["type"] == "presence":
            # Only the latest list of who is in the room matters.
            merged = [p for p in merged if p["type"] != "presence"]
            merged.append(payload)
        else:
            merged.append(payload)
    return merged


_RENDERED: OrderedDict[tuple[str, str, str, str], str] = OrderedDict()
_RENDERED_MOST = 2000


def _render_cached(payload: dict[str, Any], user: User, render: Any) -> str:
    """One rendering of an event per language and time zone, shared by every socket
    of this process: 200 people in one room cost one render, not 200."""
    event_id = payload.get("event_id")
    if not event_id:
        return render(payload, user)
    # A chat message is marked for the people it mentions, so its render is per user.
    who = str(user.pk) if payload["type"] == "chat.new" else ""
    key = (event_id, user.language or "", user.time_zone, who)
    html = _RENDERED.get(key)
    if html is None:
        html = render(payload, user)
        _RENDERED[key] = html
        if len(_RENDERED) > _RENDERED_MOST:
            _RENDERED.popitem(last=False)
    return html


@database_sync_to_async
def _users_by_id(ids: set[int]) -> dict[int, User]:
    return {user.pk: user for user in User.objects.filter(pk__in=ids)}


SEND_CONCURRENCY = 100  # sockets written per slice before the loop serves others


class _Ticker:
    """One per event loop: every FLUSH_INTERVAL, ONE query re-checks the users of
    every socket with something to send, then each of those sockets flushes. A
    crowded room costs one permission query a tick, not one per socket; and the
    sockets flush the same events together, so they share renders and the encoded
    JSON frames (one encoding per batch of events, language and time zone; see
    CoalescingConsumer.frames). The sends go out concurrently in slices, and the
    loop is handed back between slices, so a room of 1,000 sockets never holds the
    event loop that also serves the API for a whole tick."""

    def __init__(self) -> None:
        self.waiting: set[CoalescingConsumer] = set()
        self.task: asyncio.Task | None = None

    def want(self, consumer: CoalescingConsumer) -> None:
        self.waiting.add(consumer)
        if self.task is None or self.task.done():
            self.task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        while self.waiting:
            started = time.monotonic()
            batch, self.waiting = self.waiting, set()
            try:
                users = await _users_by_id({consumer.user_id for consumer in batch})
            except Exception:  # the database is down: these events are lost here
                logger.exception("war room: cannot load users; sockets will resync")
                for consumer in batch:
                    consumer.pending = []
                    consumer.missed_events()
                await asyncio.sleep(FLUSH_INTERVAL)
                continue
            encoded: dict[tuple, list[str]] = {}
            ready: list[tuple[CoalescingConsumer, list[str]]] = []
            for consumer in batch:
                try:
                    frames = await consumer.frames(users.get(consumer.user_id), encoded)
                except Exception:  # one broken socket must not stall the room
                    logger.exception("war room flush failed")
                    consumer.missed_events()
                    continue
                if frames:
                    ready.append((consumer, frames))
            for start in range(0, len(ready), SEND_CONCURRENCY):
                chunk = ready[start : start + SEND_CONCURRENCY]
                results = await asyncio.gather(
                    *(consumer.send_frames(frames) for consumer, frames in chunk),
                    return_exceptions=True,
                )
                for result in results:
                    if isinstance(result, BaseException):
                        logger.error("war room send failed", exc_info=result)
                await asyncio.sleep(0)
            await asyncio.sleep(max(0.0, FLUSH_INTERVAL - (time.monotonic() - started)))


_tickers: dict[asyncio.AbstractEventLoop, _Ticker] = {}


def _ticker() -> _Ticker:
    loop = asyncio.get_running_loop()
    ticker = _tickers.get(loop)
    if ticker is None:
        for stale in [other for other in _tickers if other.is_closed()]:
            del _tickers[stale]
        ticker = _tickers[loop] = _Ticker()
    return ticker


# Browsers send only small control messages ({"type": "ping"}).
MAX_FRAME_CHARS = 4096


class CoalescingConsumer(LayerWatchMixin, AsyncJsonWebsocketConsumer):
    """Collects group events and pushes them at most every FLUSH_INTERVAL, after
    re-checking that the user may still see them."""

    group = ""
    user_id = 0
    counted = False
    page = ""  # which page the socket serves, when pages get different frames

    async def accept(self, subprotocol: str | None = None, headers: Any = None) -> None:
        await super().accept(subprotocol, headers)
        self.counted = True
        observability.OPEN_SOCKETS.labels(type(self).__name__).inc()

    def init_buffer(self) -> None:
        self.pending: list[dict[str, Any]] = []

    async def receive(self, text_data: str | None = None, bytes_data=None, **kwargs: Any) -> None:  # type: ignore[no-untyped-def]
        """Frames from the browser: JSON through the one reader (depth and size limits).
        Anything else gets an error message back; the socket stays open (no 1011)."""
        if not text_data:
            await self.send_json({"type": "error", "error": "Send JSON text frames."})
            return
        if len(text_data) > MAX_FRAME_CHARS:
            await self.send_json({"type": "error", "error": "The message is too large."})
            return
        try:
            content = jsonio.loads(text_data, max_depth=8)
        except jsonio.JSONInputError as exc:
            await self.send_json(
                {"type": "error", "error": f"The message is not valid JSON: {exc}"}
            )
            return
        await self.receive_json(content, **kwargs)

    # Messages from the channel layer whose handlers touch no database: they skip the
    # close_old_connections() that channels runs before every handler, a trip to a
    # worker thread per message and socket (a quarter of a server's CPU with 1,000
    # sockets under tests/bench_war_room.py). The ticker's queries go through
    # database_sync_to_async, which closes stale connections around each.
    NO_DATABASE_MESSAGES = frozenset({"room.event", "layer.ping"})

    async def dispatch(self, message: dict[str, Any]) -> None:
        kind = message.get("type")
        if kind in self.NO_DATABASE_MESSAGES:
            await getattr(self, get_handler_name(message))(message)
            return
        await super().dispatch(message)

    async def room_event(self, message: dict[str, Any]) -> None:
        # The message may be shared by every socket of this process (see
        # foundation.channel_layer): keep the payload, never change it.
        self.pending.append(message["payload"])
        _ticker().want(self)

    async def flush(self, user: User | None) -> None:
        await self.send_frames(await self.frames(user, {}))

    async def frames(self, user: User | None, encoded: dict[tuple, list[str]]) -> list[str]:
        """This socket's pending events as JSON text frames, after the permission
        re-check. ``encoded`` is shared by the sockets of one tick: sockets with the
        same events, language and time zone get the same frames, rendered and
        encoded once."""
        batch, self.pending = self.pending, []
        if not batch:
            return []
        if not can_view_incidents(user):
            await self.close(code=CLOSE_FORBIDDEN)
            return []
        ids = tuple(p.get("event_id") for p in batch)
        key: tuple | None = None
        if all(ids):
            # A chat message is marked for the people it mentions: per user then.
            who = user.pk if self.per_user(batch) else 0
            key = (type(self).__name__, self.page, ids, user.language or "", user.time_zone, who)
            if key in encoded:
                return encoded[key]
        frames = [await self.encode_json(p) for p in await self.render_batch(batch, user)]
        if key is not None:
            encoded[key] = frames
        return frames

    def per_user(self, batch: list[dict[str, Any]]) -> bool:
        """Whether this batch renders differently for each user, not per language."""
        return any(p["type"] == "chat.new" for p in batch)

    async def send_frames(self, frames: list[str]) -> None:
        for frame in frames:
            await self.send(text_data=frame)

    async def render_batch(self, batch: list[dict[str, Any]], user: User) -> list[dict[str, Any]]:
        raise NotImplementedError

    async def _still_allowed(self) -> User | None:
        user = await _fresh_user(self.user_id)
        if not can_view_incidents(user):
            await self.close(code=CLOSE_FORBIDDEN)
            return None
        return user

    async def disconnect(self, code: int) -> None:
        self.pending = []
        self.watch_stop()
        if self.counted:
            self.counted = False
            observability.OPEN_SOCKETS.labels(type(self).__name__).dec()
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)


def _user_zone(user: User) -> zoneinfo.ZoneInfo:
    return zone_named(user.time_zone) or zoneinfo.ZoneInfo("UTC")


class DashboardConsumer(CoalescingConsumer):
    """The dashboard: any incident or brand change re-renders its live part for the user."""

    async def connect(self) -> None:
        self.init_buffer()
        user = self.scope.get("user")
        if not can_view_incidents(user):
            await self.close(code=CLOSE_FORBIDDEN)
            return
        self.user_id = user.pk
        self.group = events.DASHBOARD_GROUP
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        await self.send_json({"type": "hello", **self.watch_hello()})
        await self.watch_start()

    async def render_batch(self, batch: list[dict[str, Any]], user: User) -> list[dict[str, Any]]:
        # The dashboard shows the state after the batch's events, the same for everyone
        # of a language and time zone: render it once for all sockets that get them.
        ids = [p.get("event_id") for p in batch]
        key: dict[str, Any] = {"type": "dashboard.refresh"}
        if all(ids):
            key["event_id"] = "dashboard:" + hashlib.sha1(",".join(ids).encode()).hexdigest()
        html = await database_sync_to_async(_render_cached)(
            key, user, lambda _payload, u: self._render(u)
        )
        return [{"type": "dashboard.refresh", "events": [p["type"] for p in batch], "html": html}]

    def _render(self, user: User) -> str:
        with translation.override(user.language or None), timezone.override(_user_zone(user)):
            return render_to_string(
                "crisisroom/dashboard.html#live", {**views.dashboard_context(), "oob": True}
            )


class IncidentConsumer(CoalescingConsumer):
    kinds: frozenset[str] | None = None  # the kinds this page shows; None: all (war room)

    async def connect(self) -> None:
        self.init_buffer()
        user = self.scope.get("user")
        self.incident_id = int(self.scope["url_route"]["kwargs"]["incident_id"])
        self.page = _page(self.scope)
        self.kinds = PAGE_KINDS.get(self.page)
        if not can_view_incidents(user):
            await self.close(code=CLOSE_FORBIDDEN)
            return
        if not await _incident_exists(self.incident_id):
            await self.close(code=CLOSE_NOT_FOUND)
            return
        self.user_id = user.pk
        self.group = f"incident-{self.incident_id}"
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        await self.send_json({"type": "hello", "incident": self.incident_id, **self.watch_hello()})
        await self.watch_start()
        await database_sync_to_async(chat.presence_join)(
            incident_id=self.incident_id, user=user, channel_name=self.channel_name
        )

    async def disconnect(self, code: int) -> None:
        if self.group:
            await database_sync_to_async(chat.presence_leave)(
                incident_id=self.incident_id, channel_name=self.channel_name
            )
        await super().disconnect(code)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if not await self._still_allowed():
            return
        if isinstance(content, dict) and content.get("type") == "ping":
            await database_sync_to_async(chat.presence_seen)(channel_name=self.channel_name)
            await self.send_json({"type": "pong"})

    def per_user(self, batch: list[dict[str, Any]]) -> bool:
        return super().per_user(batch) or self._wants_viewer_parts(batch)

    def _wants_viewer_parts(self, batch: list[dict[str, Any]]) -> bool:
        # Only the war room (every kind) has the viewer parts' targets.
        if self.kinds is not None or not VIEWER_PARTS:
            return False
        return any(p["type"] in VIEWER_PART_EVENTS for p in batch)

    async def render_batch(self, batch: list[dict[str, Any]], user: User) -> list[dict[str, Any]]:
        rendered = []
        wants_viewer_parts = self._wants_viewer_parts(batch)
        for payload in coalesce(batch):
            if self.kinds is not None and payload.get("type") not in self.kinds:
                continue
            parts = payload.pop("_parts", None) or [payload]
            html = "".join(_render_cached(part, user, self._render) for part in parts)
            rendered.append({**payload, "html": html} if html else payload)
        if wants_viewer_parts:
            html = await database_sync_to_async(self._render_viewer_parts)(user)
            rendered.append({"type": "viewer.refresh", "html": html})
        return rendered

    def _render_viewer_parts(self, user: User) -> str:
        with translation.override(user.language or None), timezone.override(_user_zone(user)):
            return "".join(part(self.incident_id, user) for part in VIEWER_PARTS)

    def _render(self, payload: dict[str, Any], user: User) -> str:
        template = PARTIALS.get(payload["type"])
        if template is None:
            return ""
        context = dict(payload)
        kind = payload["type"]
        if kind == "mentions.new":
            context["mentions"] = [
                {**m, "published_at": datetime.fromisoformat(m["published_at"])}
                for m in reversed(payload["mentions"])
            ]
        elif kind == "incident.updated":
            context["oob"] = True
            context["incident"] = {
                "severity": payload["severity"],
                "get_severity_display": Severity(payload["severity"]).label,
                "get_status_display": IncidentStatus(payload["status"]).label,
                "is_drill": payload.get("is_drill", False),
            }
        elif kind in ("playbook.item", "playbook.step"):
            context["item"] = context["step"] = payload
        elif kind == "statement.updated":
            context["statement"] = payload
        elif kind == "timeline.new":
            context["event"] = {
                **payload,
                "at": datetime.fromisoformat(payload["at"]),
                "incident_id": payload["incident"],
            }
        elif kind == "timeline.pins":
            context["oob"] = True
            context["incident_id"] = payload["incident"]
            context["pinned"] = [
                {**e, "at": datetime.fromisoformat(e["at"])} for e in payload["pinned"]
            ]
        elif kind == "cadence.updated":
            context["oob"] = True
            context["cadence"] = {
                **payload,
                "due_at": datetime.fromisoformat(payload["due_at"]) if payload["due_at"] else None,
                "last_at": datetime.fromisoformat(payload["last_at"])
                if payload["last_at"]
                else None,
            }
        elif kind == "chat.new":
            context["message"] = {
                **payload,
                "created_at": datetime.fromisoformat(payload["at"]),
                "for_me": user.get_username() in payload["mentioned"],
            }
        elif kind == "presence":
            context["oob"] = True
            context["present"] = payload["users"]
        with translation.override(user.language or None), timezone.override(_user_zone(user)):
            return render_to_string(template, context)
