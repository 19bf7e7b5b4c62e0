"""The war room's team chat and who is in the room."""

from __future__ import annotations

import re
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from crisisroom import events
from crisisroom.models import ChatMessage, Incident, RoomPresence, User
from foundation.permissions import can_work_incidents, require
from foundation.signals import send_on_commit

# A socket not seen for this long (no heartbeat) no longer counts as in the room.
PRESENCE_STALE = timedelta(minutes=2)

MENTION_PATTERN = r"(?<![\w@])@([\w.+-]{1,150})"


def chat_payload(message: ChatMessage) -> dict:
    payload: events.ChatEvent = {
        "type": "chat.new",
        "incident": message.incident_id,
        "id": message.pk,
        "author": message.author.get_username(),
        "body": message.body,
        "mentioned": [user.get_username() for user in message.mentioned.all()],
        "at": message.created_at.isoformat(),
    }
    return dict(payload)


@transaction.atomic
def chat_post(*, incident: Incident, author: User, body: str) -> ChatMessage:
    """Post to the incident's team chat; @username notifies that person."""
    require(can_work_incidents(author), "Only responders and admins write in the team chat.")
    body = body.strip()
    if not body:
        raise ValueError("A chat message cannot be empty.")
    if len(body) > 4000:
        raise ValueError("A chat message is at most 4000 characters.")
    message = ChatMessage.objects.create(incident=incident, author=author, body=body)
    names = {name.rstrip(".") for name in re.findall(MENTION_PATTERN, body)}
    mentioned = list(User.objects.filter(username__in=names, is_active=True).exclude(pk=author.pk))
    if mentioned:
        message.mentioned.set(mentioned)
    events.broadcast_on_commit(incident.group_name, chat_payload(message))
    if mentioned:
        send_on_commit(events.chat_mentioned, sender=ChatMessage, message_id=message.pk)
    return message


def chat_notify(*, message_id: int) -> int:
    """Email the people a chat message @mentions who are not in the room right now."""
    message = ChatMessage.objects.select_related("incident", "author").filter(pk=message_id).first()
    if message is None:
        return 0
    present = set(
        RoomPresence.objects.filter(incident=message.incident).values_list("user_id", flat=True)
    )
    sent = 0
    for user in message.mentioned.exclude(email="").exclude(pk__in=present):
        with translation.override(user.language or settings.LANGUAGE_CODE):
            subject = _("[Crisis Room] %(author)s mentioned you in #%(id)s %(title)s") % {
                "author": message.author.get_username(),
                "id": message.incident_id,
                "title": message.incident.title,
            }
            body = render_to_string(
                "crisisroom/email/chat_mention.txt",
                {
                    "message": message,
                    "url": f"{settings.SITE_URL}/incidents/{message.incident_id}/",
                },
            )
        EmailMultiAlternatives(subject=subject, body=body, to=[user.email]).send()
        sent += 1
    return sent


def presence_list(*, incident_id: int) -> list[str]:
    return sorted(
        set(
            RoomPresence.objects.filter(incident_id=incident_id).values_list(
                "user__username", flat=True
            )
        )
    )


def _presence_event(incident_id: int) -> dict:
    payload: events.PresenceEvent = {
        "type": "presence",
        "incident": incident_id,
        "users": presence_list(incident_id=incident_id),
    }
    return dict(payload)


def presence_join(*, incident_id: int, user: User, channel_name: str) -> None:
    RoomPresence.objects.update_or_create(
        channel_name=channel_name,
        defaults={"incident_id": incident_id, "user": user, "seen_at": timezone.now()},
    )
    # Sockets whose server died never said goodbye; they stop being seen.
    RoomPresence.objects.filter(seen_at__lt=timezone.now() - PRESENCE_STALE).delete()
    events.broadcast(f"incident-{incident_id}", _presence_event(incident_id))


def presence_seen(*, channel_name: str) -> None:
    RoomPresence.objects.filter(channel_name=channel_name).update(seen_at=timezone.now())


def presence_leave(*, incident_id: int, channel_name: str) -> None:
    RoomPresence.objects.filter(channel_name=channel_name).delete()
    events.broadcast(f"incident-{incident_id}", _presence_event(incident_id))
