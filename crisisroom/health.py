"""/healthz: database, broker and channel layer, each checked for real."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import connection


def _database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return "ok"


def _broker() -> str:
    if not settings.REDIS_URL:
        return "ok (embedded: tasks run in-process)"
    import redis

    client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2, socket_connect_timeout=2)
    try:
        client.ping()
    finally:
        client.close()
    return "ok"


async def _layer_roundtrip() -> str:
    layer = get_channel_layer()
    channel = await layer.new_channel("healthz.")
    token = uuid.uuid4().hex
    await layer.send(channel, {"type": "healthz", "token": token})
    message = await asyncio.wait_for(layer.receive(channel), timeout=2)
    if message.get("token") != token:
        raise RuntimeError("channel layer returned another message")
    return "ok"


def _channel_layer() -> str:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return async_to_sync(_layer_roundtrip)()
    raise RuntimeError("called from an event loop")


def health_report() -> dict[str, Any]:
    report: dict[str, Any] = {"mode": "embedded" if settings.EMBEDDED else "services"}
    healthy = True
    for name, check in (
        ("database", _database),
        ("broker", _broker),
        ("channel_layer", _channel_layer),
    ):
        try:
            report[name] = check()
        except Exception as exc:
            healthy = False
            report[name] = f"error: {exc.__class__.__name__}: {exc}"[:300]
    report["status"] = "ok" if healthy else "error"
    return report
