"""The war room's and the dashboard's sockets heartbeat through the channel layer and asks the page to
resync after the layer was down (the fault suite does this with a real Redis)."""

from __future__ import annotations

import asyncio

import pytest
from asgiref.sync import async_to_sync
from channels.layers import InMemoryChannelLayer, channel_layers
from channels.testing import WebsocketCommunicator

from crisisroom.asgi import application
from crisisroom.tests.test_consumers import _communicator, _headers, _incident, receive_type

pytestmark = pytest.mark.django_db(transaction=True)


class FlakyLayer(InMemoryChannelLayer):
    """The in-memory layer, with a switch that makes sends fail like a Redis outage."""

    down = False

    async def send(self, channel, message):  # type: ignore[no-untyped-def]
        if FlakyLayer.down:
            raise ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")
        return await super().send(channel, message)


@pytest.fixture
def flaky_layer(settings):  # type: ignore[no-untyped-def]
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": f"{__name__}.FlakyLayer"}}
    settings.WAR_ROOM_HEARTBEAT_SECONDS = 1
    settings.WAR_ROOM_HEARTBEAT_MISSED_SECONDS = 3
    channel_layers.backends.clear()
    FlakyLayer.down = False
    yield
    FlakyLayer.down = False
    channel_layers.backends.clear()


@pytest.mark.parametrize("page", ["war room", "dashboard"])
def test_the_socket_heartbeats_and_resyncs_after_the_layer_was_down(charlie, flaky_layer, page):
    _, incident = _incident()
    if page == "dashboard":
        communicator = WebsocketCommunicator(
            application, "/ws/dashboard/", headers=_headers(charlie)
        )
    else:
        communicator = _communicator(incident.pk, charlie)

    async def run() -> None:
        connected, _ = await communicator.connect()
        assert connected
        hello = await receive_type(communicator, "hello")
        assert (hello["heartbeat"], hello["heartbeat_missed"]) == (1, 3)
        await receive_type(communicator, "heartbeat")
        FlakyLayer.down = True
        await asyncio.sleep(2.5)
        while not await communicator.receive_nothing(timeout=0.1):
            message = await communicator.receive_json_from()
            assert message["type"] != "resync"
        assert await communicator.receive_nothing(timeout=1.5)  # silence: no heartbeat
        FlakyLayer.down = False
        assert (await receive_type(communicator, "resync"))["type"] == "resync"
        await receive_type(communicator, "heartbeat")
        await communicator.disconnect()

    async_to_sync(run)()
