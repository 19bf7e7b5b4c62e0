"""What incidents and the war room do when a floor below (monitoring) or their own
services announce something. Connected once, in ``CrisisroomConfig.ready``."""

from __future__ import annotations

from typing import Any

from crisisroom import events
from crisisroom.services.incidents import incident_take_signal
from crisisroom.services.war_room import mentions_push_to_war_rooms
from crisisroom.tasks import alert_send_task, chat_notify_task, outgoing_send_task
from monitoring import events as monitoring_events


def _push_mentions(
    sender: Any, *, mention_ids: list[int], brand_ids: set[int], **kwargs: Any
) -> None:
    mentions_push_to_war_rooms(mention_ids=mention_ids, brand_ids=brand_ids)


def _take_signal(sender: Any, *, detected: Any, **kwargs: Any) -> None:
    incident_take_signal(signal=detected)


def _send_alert(sender: Any, *, alert_id: int, **kwargs: Any) -> None:
    alert_send_task.delay(alert_id)


def _notify_chat(sender: Any, *, message_id: int, **kwargs: Any) -> None:
    chat_notify_task.delay(message_id)


def _send_outgoing(sender: Any, *, delivery_id: int, **kwargs: Any) -> None:
    outgoing_send_task.delay(delivery_id)


def connect() -> None:
    monitoring_events.mentions_stored.connect(
        _push_mentions, dispatch_uid="crisisroom.war-room-push"
    )
    monitoring_events.signal_raised.connect(_take_signal, dispatch_uid="crisisroom.take-signal")
    events.alert_queued.connect(_send_alert, dispatch_uid="crisisroom.alert-send")
    events.chat_mentioned.connect(_notify_chat, dispatch_uid="crisisroom.chat-notify")
    events.outgoing_queued.connect(_send_outgoing, dispatch_uid="crisisroom.outgoing-send")
