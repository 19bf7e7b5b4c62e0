from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from django.core import mail

from crisisroom.consumers import coalesce
from crisisroom.models import ChatMessage, RoomPresence
from crisisroom.services.chat import chat_post
from crisisroom.services.incidents import incident_open
from crisisroom.services.war_room import mentions_push_to_war_rooms
from crisisroom.tests.test_consumers import _communicator, receive_type, stored_mentions
from monitoring.ingest import mentions_ingest
from monitoring.models import Brand

pytestmark = pytest.mark.django_db


@pytest.fixture
def incident(brand):  # type: ignore[no-untyped-def]
    return incident_open(
        brand=brand, title="Points backlash", started_at=datetime.now(UTC) - timedelta(hours=1)
    )


def test_the_war_room_renders_for_a_viewer_without_n_plus_one(
    client, charlie, incident, bob, django_assert_max_num_queries
):
    mentions_ingest(
        items=[
            {
                "source": s,
                "external_id": str(i),
                "text": f"Acme Coffee post {i}",
                "published_at": datetime.now(UTC).isoformat(),
            }
            for i, s in enumerate(["twitter", "threads"] * 20)
        ]
    )
    for i in range(5):
        chat_post(incident=incident, author=bob, body=f"note {i} @charlie")
    client.force_login(charlie)
    # Constant in the number of mentions and messages (27 for 10 or 40 of each): the
    # pause banner, the cadence line, the coach panel, the target timers (3) and the
    # feed's "answered by" marks (1: every reply of the incident at once) each add a
    # fixed few.
    with django_assert_max_num_queries(27):
        page = client.get(f"/incidents/{incident.pk}/")
    html = page.content.decode()
    assert page.status_code == 200
    assert html.count('class="mention ') == 40
    assert (
        html.count('class="chat-message for-me"') == 5
    )  # mentions of charlie are marked for charlie
    assert '<option value="threads">threads</option>' in html
    assert 'id="chat-body"' not in html  # a viewer reads the chat but does not write


def test_the_resync_part_is_the_live_region_only(client, bob, incident):
    client.force_login(bob)
    part = client.get(f"/incidents/{incident.pk}/?part=live", headers={"HX-Request": "true"})
    html = part.content.decode()
    assert html.lstrip().startswith('<div id="live">')
    assert "<html" not in html
    assert part["Vary"] and "HX-Request" in part["Vary"]


def test_the_dashboard_resync_part_is_its_live_region_only(client, bob, incident):
    client.force_login(bob)
    page = client.get("/").content.decode()
    assert 'data-live-url="/?part=live"' in page and 'data-live-target="#dashboard-live"' in page
    assert 'id="connection-banner"' in page
    part = client.get("/?part=live", headers={"HX-Request": "true"})
    html = part.content.decode()
    assert html.lstrip().startswith('<div id="dashboard-live">')
    assert incident.title in html and "<html" not in html
    assert "HX-Request" in part["Vary"]
    # Without htmx (someone following the link) it is the whole page.
    assert "<html" in client.get("/?part=live").content.decode()


def test_a_user_without_a_role_cannot_open_a_war_room(client, dave, incident):
    client.force_login(dave)
    assert client.get(f"/incidents/{incident.pk}/").status_code == 403
    assert client.get("/incidents/424242/").status_code in {403, 404}


def test_the_series_counts_buckets_from_rollups(client, bob, incident):
    now = datetime.now(UTC)
    mentions_ingest(
        items=[
            {
                "source": "twitter",
                "external_id": str(i),
                "text": f"Acme Coffee is awful, terrible ({i})",
                "published_at": (now - timedelta(minutes=1)).isoformat(),
            }
            for i in range(3)
        ]
    )
    client.force_login(bob)
    series = client.get(f"/incidents/{incident.pk}/series.json").json()
    assert len(series["t"]) == len(series["count"]) == 4 * 12 + 1  # 3 h before it, to now
    assert series["t"] == sorted(series["t"])
    assert sum(series["count"]) == 3
    assert sum(series["negative"]) == 3


def test_chat_notifies_the_mentioned_people_who_are_not_in_the_room(
    bob, charlie, alice, incident, django_capture_on_commit_callbacks
):
    RoomPresence.objects.create(incident=incident, user=alice, channel_name="c1")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        message = chat_post(
            incident=incident,
            author=bob,
            body="@charlie @alice @bob @nobody please check the facts",
        )
    assert sorted(u.username for u in message.mentioned.all()) == ["alice", "charlie"]
    assert [m.to for m in mail.outbox] == [["charlie@example.com"]]  # alice is in the room
    assert "please check the facts" in mail.outbox[0].body


def test_only_responders_write_in_the_chat(client, charlie, bob, incident):
    client.force_login(charlie)
    assert client.post(f"/incidents/{incident.pk}/chat/", {"body": "hi"}).status_code == 403
    client.force_login(bob)
    assert client.post(f"/incidents/{incident.pk}/chat/", {"body": "   "}).status_code == 400
    assert (
        client.post(
            f"/incidents/{incident.pk}/chat/", {"body": "on it"}, headers={"HX-Request": "true"}
        ).status_code
        == 204
    )
    assert ChatMessage.objects.get().body == "on it"


def test_the_dashboard_shows_incidents_brands_and_source_health(client, charlie, incident):
    mentions_ingest(
        items=[
            {
                "source": "twitter",
                "external_id": "1",
                "text": "Acme Coffee",
                "published_at": datetime.now(UTC).isoformat(),
            }
        ]
    )
    client.force_login(charlie)
    html = client.get("/").content.decode()
    assert "Points backlash" in html
    assert "Source health" in html and "twitter" in html
    assert 'ws-connect="/ws/dashboard/"' in html


def test_coalescing_merges_mentions_and_keeps_every_event():
    batch = [
        {"type": "mentions.new", "incident": 1, "mentions": [{"id": 1}]},
        {"type": "presence", "incident": 1, "users": ["a"]},
        {"type": "timeline.new", "incident": 1, "id": 7},
        {"type": "mentions.new", "incident": 1, "mentions": [{"id": 2}, {"id": 3}]},
        {"type": "presence", "incident": 1, "users": ["a", "b"]},
    ]
    merged = coalesce(batch)
    assert [p["type"] for p in merged] == ["mentions.new", "timeline.new", "presence"]
    assert [m["id"] for m in merged[0]["mentions"]] == [1, 2, 3]
    assert merged[2]["users"] == ["a", "b"]
    assert batch[0]["mentions"] == [{"id": 1}]  # the input is not changed


@pytest.mark.django_db(transaction=True)
def test_a_burst_of_pushes_arrives_as_few_messages_with_nothing_lost(charlie):
    brand = Brand.objects.create(name="Acme", slug="acme")
    incident = incident_open(brand=brand, title="Storm")
    ids = [m.pk for m in stored_mentions(brand, [f"post {i}" for i in range(60)])]
    communicator = _communicator(incident.pk, charlie)

    async def run() -> None:
        assert (await communicator.connect())[0]
        await receive_type(communicator, "hello")
        for pk in ids:  # 60 separate pushes, as 60 tiny ingests would make
            await database_sync_to_async(mentions_push_to_war_rooms)(mention_ids=[pk])
        received, messages = [], 0
        while len(received) < len(ids):
            message = await receive_type(communicator, "mentions.new")
            messages += 1
            received += [m["id"] for m in message["mentions"]]
        assert sorted(received) == sorted(ids)
        assert messages < len(ids) / 3
        await communicator.disconnect()

    async_to_sync(run)()


@pytest.mark.django_db(transaction=True)
def test_who_is_in_the_room_is_pushed_as_people_come_and_go(charlie, bob):
    brand = Brand.objects.create(name="Acme", slug="acme")
    incident = incident_open(brand=brand, title="Storm")
    first, second = _communicator(incident.pk, charlie), _communicator(incident.pk, bob)

    async def run() -> None:
        await first.connect()
        assert (await receive_type(first, "presence"))["users"] == ["charlie"]
        await second.connect()
        message = await receive_type(first, "presence")
        assert message["users"] == ["bob", "charlie"]
        assert "bob" in message["html"]
        await second.disconnect()
        assert (await receive_type(first, "presence"))["users"] == ["charlie"]
        await first.disconnect()

    async_to_sync(run)()
    assert not RoomPresence.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_the_dashboard_socket_refreshes_when_an_incident_opens(charlie, monkeypatch):
    from channels.testing import WebsocketCommunicator

    from crisisroom import views
    from crisisroom.asgi import application
    from crisisroom.tests.test_consumers import _headers

    contexts = []
    dashboard_context = views.dashboard_context
    monkeypatch.setattr(
        views, "dashboard_context", lambda: contexts.append(1) or dashboard_context()
    )
    brand = Brand.objects.create(name="Acme", slug="acme")
    communicator = WebsocketCommunicator(application, "/ws/dashboard/", headers=_headers(charlie))
    other = WebsocketCommunicator(application, "/ws/dashboard/", headers=_headers(charlie))

    async def run() -> None:
        for socket in (communicator, other):
            assert (await socket.connect())[0]
            await receive_type(socket, "hello")

        @database_sync_to_async
        def open_one() -> None:
            from django.db import transaction

            with transaction.atomic():
                incident_open(brand=brand, title="Fresh trouble")

        await open_one()
        message = await receive_type(communicator, "dashboard.refresh")
        assert "Fresh trouble" in message["html"]
        assert 'hx-swap-oob="true"' in message["html"]
        assert (await receive_type(other, "dashboard.refresh"))["html"] == message["html"]
        assert len(contexts) == 1  # one render per event for both sockets
        await communicator.disconnect()
        await other.disconnect()

    async_to_sync(run)()


def test_the_war_room_ranks_key_voices_by_reach_and_activity(
    client, bob, incident, django_assert_num_queries
):
    now = datetime.now(UTC).isoformat()
    mentions_ingest(
        items=[
            {
                "source": "twitter",
                "external_id": "a1",
                "text": "Acme Coffee outage again",
                "published_at": now,
                "author": "bignews",
                "author_followers": 900000,
            },
            {
                "source": "twitter",
                "external_id": "b1",
                "text": "Acme Coffee, where is my order",
                "published_at": now,
                "author": "small_fry",
                "author_followers": 40,
            },
        ]
    )
    client.force_login(bob)
    html = client.get(f"/incidents/{incident.pk}/").content.decode()
    voices = html[html.index('id="key-voices"') : html.index('aria-labelledby="chat-h"')]
    assert voices.index("bignews") < voices.index("small_fry")
    # The minute poll of every open page: session, user, incident, key voices; no feed,
    # timeline, chat or presence.
    with django_assert_num_queries(4):
        part = client.get(
            f"/incidents/{incident.pk}/?part=voices", headers={"HX-Request": "true"}
        ).content.decode()
    assert part.lstrip().startswith('<section class="card" id="key-voices"') and "bignews" in part


def test_the_dashboard_lists_source_health_warnings(client, charlie, brand):
    from monitoring.models import Signal

    Signal.objects.create(
        brand=brand,
        kind="source_health",
        at=datetime.now(UTC),
        baseline=0,
        threshold=3,
        observed=5,
        fires=False,
        detail={
            "sources": [
                {"id": 1, "name": "Acme RSS", "consecutive_failures": 5, "last_error": "HTTP 500"}
            ]
        },
    )
    client.force_login(charlie)
    html = client.get("/").content.decode()
    assert "Gap in Acme Coffee's data" in html and "Acme RSS" in html


def test_a_batch_for_brands_without_an_active_incident_is_not_read_back(
    brand, django_assert_num_queries
):
    (mention,) = stored_mentions(brand, ["Acme Coffee"])
    with django_assert_num_queries(1):  # the active-incident lookup only
        assert mentions_push_to_war_rooms(mention_ids=[mention.pk], brand_ids=[brand.pk]) == 0
