"""The war room's websocket: join an incident's group, re-check access on every
message, render the page's own partials for this user, send JSON."""

from __future__ import annotations

import zoneinfo
from datetime import datetime
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.template.loader import render_to_string
from django.utils import timezone, translation

from crisisroom.choices import IncidentStatus, Severity
from crisisroom.models import Incident, User
from crisisroom.permissions import can_view_incidents

CLOSE_FORBIDDEN = 4403
CLOSE_NOT_FOUND = 4404


@database_sync_to_async
def _fresh_user(user_id: int) -> User | None:
    return User.objects.filter(pk=user_id).first()


@database_sync_to_async
def _incident_exists(pk: int) -> bool:
    return Incident.objects.filter(pk=pk).exists()


class IncidentConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        user = self.scope.get("user")
        self.incident_id = int(self.scope["url_route"]["kwargs"]["incident_id"])
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
        await self.send_json({"type": "hello", "incident": self.incident_id})

    async def disconnect(self, code: int) -> None:
        group = getattr(self, "group", None)
        if group:
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if not await self._still_allowed():
            return
        if isinstance(content, dict) and content.get("type") == "ping":
            await self.send_json({"type": "pong"})

    async def room_event(self, message: dict[str, Any]) -> None:
        user = await self._still_allowed()
        if not user:
            return
        payload = dict(message["payload"])
        html = self._render(payload, user)
        if html:
            payload["html"] = html
        await self.send_json(payload)

    async def _still_allowed(self) -> User | None:
        user = await _fresh_user(self.user_id)
        if not can_view_incidents(user):
            await self.close(code=CLOSE_FORBIDDEN)
            return None
        return user

    def _render(self, payload: dict[str, Any], user: User) -> str:
        template = {
            "mentions.new": "crisisroom/war_room.html#mention-rows-oob",
            "timeline.new": "crisisroom/war_room.html#timeline-item-oob",
            "incident.updated": "crisisroom/war_room.html#incident-status",
            "playbook.item": "playbook/partials/panel.html#item-oob",
            "playbook.step": "playbook/partials/panel.html#step-oob",
            "statement.updated": "playbook/partials/panel.html#statement-oob",
        }.get(payload["type"])
        if template is None:
            return ""
        context = dict(payload)
        if payload["type"] == "mentions.new":
            context["mentions"] = [
                {**m, "published_at": datetime.fromisoformat(m["published_at"])}
                for m in reversed(payload["mentions"])
            ]
        elif payload["type"] == "incident.updated":
            context["oob"] = True
            context["incident"] = {
                "severity": payload["severity"],
                "get_severity_display": Severity(payload["severity"]).label,
                "get_status_display": IncidentStatus(payload["status"]).label,
                "is_drill": payload.get("is_drill", False),
            }
        elif payload["type"] in ("playbook.item", "playbook.step"):
            context["item"] = context["step"] = payload
        elif payload["type"] == "statement.updated":
            context["statement"] = payload
        elif payload["type"] == "timeline.new":
            context["event"] = {**payload, "at": datetime.fromisoformat(payload["at"])}
        try:
            tz = zoneinfo.ZoneInfo(user.time_zone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            tz = zoneinfo.ZoneInfo("UTC")
        with translation.override(user.language or None), timezone.override(tz):
            return render_to_string(template, context)
