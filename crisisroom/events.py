"""Live events: payload types and the one helper that sends them after commit.

Services call ``broadcast_on_commit(group, payload)`` (Zulip's
``send_event_on_commit``): nothing is pushed for a transaction that rolls back.
Consumers receive ``{"type": "room.event", "payload": payload}`` and render it
for their user.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
import uuid
from typing import Any, NotRequired, TypedDict

from asgiref.sync import async_to_sync
from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.db import transaction
from django.dispatch import Signal

logger = logging.getLogger(__name__)

DASHBOARD_GROUP = "dashboard"

# What incidents announce to the floors above and to the worker (Django signals;
# receivers connect in their AppConfig.ready, see crisisroom/receivers.py).
# ``incident_opened``: sent inside the transaction that opened ``incident``, so what
# a receiver writes (the playbook's run) commits or rolls back with it.
incident_opened = Signal()
# ``member_joined``: sent inside the transaction that put ``member`` (an IncidentMember)
# on an incident's team, by ``by``; the playbook ticks its checklist with it.
member_joined = Signal()
# Sent on commit: an alert (``alert_id``) is waiting to be sent.
alert_queued = Signal()
# ``alerts_sweeping``: sent by the periodic alert sweep (with ``now``) before it claims
# due alerts, so a higher floor can queue what has come due (the public-update
# reminders of the playbook) and have it sent by the same sweep.
alerts_sweeping = Signal()
# Sent on commit: a chat message (``message_id``) @mentions people to notify.
chat_mentioned = Signal()
# Sent on commit: an outgoing webhook event (``delivery_id``) is waiting to be sent.
outgoing_queued = Signal()


class MentionPayload(TypedDict):
    id: int
    text: str
    author: str
    author_followers: int
    platform: str
    url: str
    lang: str
    published_at: str
    sentiment_label: str
    sentiment_score: float


class MentionsNewEvent(TypedDict):
    type: str  # "mentions.new"
    incident: int
    mentions: list[MentionPayload]


class IncidentEvent(TypedDict):
    type: str  # "incident.opened" | "incident.updated"
    incident: int
    brand: str
    title: str
    status: str
    severity: str
    is_drill: bool


class TimelineEventPayload(TypedDict):
    type: str  # "timeline.new"
    incident: int
    id: int
    kind: str
    message: str  # as stored: English for a system line, as written for a note
    message_key: str  # the msgid each reader's socket translates ("" for a note)
    message_params: dict[str, Any]
    at: str
    actor: NotRequired[str]
    note: NotRequired[bool]  # written by hand (its author is shown)


class PinnedEntry(TypedDict):
    id: int
    kind: str
    message: str
    message_key: str
    message_params: dict[str, Any]
    at: str
    actor: str


class TimelinePinsEvent(TypedDict):
    type: str  # "timeline.pins": the pinned entries now, newest pin first
    incident: int
    pinned: list[PinnedEntry]


class ChatEvent(TypedDict):
    type: str  # "chat.new"
    incident: int
    id: int
    author: str
    body: str
    mentioned: list[str]
    at: str


class PresenceEvent(TypedDict):
    type: str  # "presence"
    incident: int
    users: list[str]


# The server's event loop, remembered by crisisroom.asgi. The in-memory channel
# layer (embedded mode) keeps asyncio queues bound to that loop, so a thread of
# the in-process scheduler must hand its sends to that loop rather than run them
# in a loop of its own.
_server_loop: asyncio.AbstractEventLoop | None = None
_loop_lock = threading.Lock()


def remember_server_loop(loop: asyncio.AbstractEventLoop) -> None:
    global _server_loop
    with _loop_lock:
        _server_loop = loop


def broadcast(group: str, payload: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    # Every event gets an id (consumers share one render of it per language and
    # time zone) and the time it left, just after the commit that caused it.
    payload = {**payload, "event_id": uuid.uuid4().hex, "sent_at": time.time()}
    message = {"type": "room.event", "payload": payload}
    try:
        running = asyncio.get_running_loop()
    except RuntimeError:
        running = None
    if running is not None:
        running.create_task(layer.group_send(group, message))
        return
    loop = _server_loop
    if isinstance(layer, InMemoryChannelLayer) and loop is not None and loop.is_running():
        asyncio.run_coroutine_threadsafe(layer.group_send(group, message), loop)
        return
    try:
        async_to_sync(layer.group_send)(group, message)
    except Exception:  # a live update must never break the write that caused it
        logger.exception("broadcast to %s failed", group)


def broadcast_on_commit(group: str, payload: dict[str, Any]) -> None:
    transaction.on_commit(lambda: broadcast(group, payload))
