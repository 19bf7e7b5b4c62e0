from __future__ import annotations

import json

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client
from django.utils import timezone

from crisisroom.asgi import application
from crisisroom.services.incidents import incident_open
from crisisroom.services.timeline import timeline_add
from crisisroom.services.war_room import mentions_push_to_war_rooms
from monitoring.models import Brand, Mention, Source

pytestmark = pytest.mark.django_db(transaction=True)


def _headers(user) -> list[tuple[bytes, bytes]]:  # type: ignore[no-untyped-def]
    headers = [(b"origin", b"http://127.0.0.1:8000")]
    if user is not None:
        client = Client()
        client.force_login(user)
        headers.append((b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode()))
    return headers


def _incident():  # type: ignore[no-untyped-def]
    brand = Brand.objects.create(name="Acme", slug="acme")
    return brand, incident_open(brand=brand, title="Outage")


def stored_mentions(brand, texts: list[str]) -> list[Mention]:  # type: ignore[no-untyped-def]
    """Mentions of ``brand`` from one API source, one per text, published now."""
    source, _ = Source.objects.get_or_create(
        kind="api", key="twitter", defaults={"platform": "twitter"}
    )
    now = timezone.now()
    return [
        Mention.objects.create(
            source=source,
            external_id=str(n),
            brand=brand,
            platform="twitter",
            text=text,
            published_at=now,
        )
        for n, text in enumerate(texts)
    ]


def _communicator(incident_id: int, user) -> WebsocketCommunicator:  # type: ignore[no-untyped-def]
    return WebsocketCommunicator(
        application, f"/ws/incidents/{incident_id}/", headers=_headers(user)
    )


async def receive_type(communicator: WebsocketCommunicator, kind: str) -> dict:
    """The next message of one type, skipping others (presence updates come and go)."""
    while True:
        message = await communicator.receive_json_from(timeout=5)
        if message["type"] == kind:
            return message


def test_an_anonymous_socket_is_refused():
    _, incident = _incident()

    communicator = _communicator(incident.pk, None)

    async def run() -> None:
        connected, code = await communicator.connect()
        assert not connected
        assert code == 4403

    async_to_sync(run)()


def test_a_socket_for_a_missing_incident_is_refused(charlie):
    communicator = _communicator(424242, charlie)

    async def run() -> None:
        connected, code = await communicator.connect()
        assert not connected
        assert code == 4404

    async_to_sync(run)()


def test_a_viewer_receives_new_mentions_with_their_text_escaped(charlie):
    brand, incident = _incident()
    source = Source.objects.create(kind="api", key="twitter", platform="twitter")
    mention = Mention.objects.create(
        source=source,
        external_id="1",
        brand=brand,
        platform="twitter",
        text="<script>alert(1)</script> Acme is down",
        published_at=timezone.now(),
    )

    communicator = _communicator(incident.pk, charlie)

    async def run() -> None:
        connected, _ = await communicator.connect()
        assert connected
        assert (await communicator.receive_json_from(timeout=5))["type"] == "hello"
        await database_sync_to_async(mentions_push_to_war_rooms)(mention_ids=[mention.pk])
        message = await receive_type(communicator, "mentions.new")
        assert message["mentions"][0]["text"] == mention.text
        assert "<script>" not in message["html"]
        assert "&lt;script&gt;alert(1)&lt;/script&gt; Acme is down" in message["html"]
        assert 'hx-swap-oob="afterbegin"' in message["html"]
        await communicator.disconnect()

    async_to_sync(run)()


def test_timeline_events_reach_the_room(bob):
    _, incident = _incident()

    communicator = _communicator(incident.pk, bob)

    async def run() -> None:
        await communicator.connect()
        await communicator.receive_json_from(timeout=5)

        @database_sync_to_async
        def add() -> None:
            from django.db import transaction

            with transaction.atomic():
                timeline_add(
                    incident=incident, kind="note", message="Legal is on the call", actor=bob
                )

        await add()
        message = await receive_type(communicator, "timeline.new")
        assert message["actor"] == "bob"
        assert "Legal is on the call" in message["html"]
        await communicator.disconnect()

    async_to_sync(run)()


def test_access_is_rechecked_on_every_message(charlie):
    brand, incident = _incident()

    communicator = _communicator(incident.pk, charlie)

    async def run() -> None:
        assert (await communicator.connect())[0]
        await communicator.receive_json_from(timeout=5)
        await communicator.send_json_to({"type": "ping"})
        assert (await receive_type(communicator, "pong")) == {"type": "pong"}

        @database_sync_to_async
        def deactivate() -> None:
            charlie.is_active = False
            charlie.save(update_fields=["is_active"])

        await deactivate()
        await communicator.send_json_to({"type": "ping"})
        output = await communicator.receive_output(timeout=5)
        assert output["type"] == "websocket.close"
        assert output["code"] == 4403

    async_to_sync(run)()


def test_json_messages_carry_a_type(charlie):
    _, incident = _incident()

    communicator = _communicator(incident.pk, charlie)

    async def run() -> None:
        await communicator.connect()
        raw = await communicator.receive_from(timeout=5)
        assert json.loads(raw)["type"] == "hello"
        await communicator.disconnect()

    async_to_sync(run)()


@pytest.mark.parametrize(
    "frame",
    ["not json", "[" * 1000 + "]" * 1000, "1" * 5000, "{" + '"a":' * 10 + "}", "x" * 10_000],
)
def test_a_frame_that_is_not_json_gets_an_error_message_and_the_socket_stays_open(charlie, frame):
    _, incident = _incident()
    communicator = _communicator(incident.pk, charlie)

    async def run() -> None:
        connected, _ = await communicator.connect()
        assert connected
        await receive_type(communicator, "hello")
        await communicator.send_to(text_data=frame)
        error = await receive_type(communicator, "error")
        assert error["error"]
        # Still open and answering.
        await communicator.send_json_to({"type": "ping"})
        assert (await receive_type(communicator, "pong"))["type"] == "pong"
        await communicator.disconnect()

    async_to_sync(run)()


def test_room_events_skip_channels_per_message_database_hop(charlie, monkeypatch):
    """A room event only queues its payload: no close_old_connections() thread hop per
    message and socket. Messages from the browser still get it."""
    import channels.consumer

    hops: list[str] = []
    real = channels.consumer.aclose_old_connections

    async def counted() -> None:
        hops.append("hop")
        await real()

    monkeypatch.setattr(channels.consumer, "aclose_old_connections", counted)
    brand, incident = _incident()
    mentions = stored_mentions(brand, [f"Acme store {n} is closed" for n in range(3)])
    communicator = _communicator(incident.pk, charlie)

    async def run() -> tuple[int, int]:
        connected, _ = await communicator.connect()
        assert connected
        assert (await communicator.receive_json_from(timeout=5))["type"] == "hello"
        hops.clear()
        for mention in mentions:
            await database_sync_to_async(mentions_push_to_war_rooms)(mention_ids=[mention.pk])
        seen = []
        while len(seen) < 3:
            seen += [
                m["text"] for m in (await receive_type(communicator, "mentions.new"))["mentions"]
            ]
        after_events = len(hops)
        await communicator.send_json_to({"type": "ping"})
        await communicator.receive_json_from(timeout=5)
        after_ping = len(hops)
        await communicator.disconnect()
        return after_events, after_ping

    after_events, after_ping = async_to_sync(run)()

    assert after_events == 0
    assert after_ping >= 1
