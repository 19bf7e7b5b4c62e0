"""Timeline notes and pins: any member of the team writes a note (a Django form) and
pins entries, which head the timeline; pushed live to every open war room."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from django.db import transaction

from crisisroom.models import TimelineEvent
from crisisroom.services.incidents import incident_open, member_assign
from crisisroom.services.timeline import NoteError, timeline_note_add, timeline_pin
from crisisroom.services.users import user_add
from crisisroom.tests.test_consumers import _communicator, receive_type
from foundation.permissions import PermissionDenied
from monitoring.models import Brand


@pytest.fixture
def erin(db):  # type: ignore[no-untyped-def]
    """A responder who is not on this incident's team."""
    return user_add(username="erin", org_role="responder", password=None)[0]


@pytest.fixture
def incident(alice, bob):  # type: ignore[no-untyped-def]
    brand = Brand.objects.create(name="Acme", slug="acme")
    incident = incident_open(brand=brand, title="Outage", opened_by=alice)
    member_assign(incident=incident, user=bob, crisis_role="legal_counsel", by=alice)
    return incident


@pytest.mark.django_db
def test_a_team_member_writes_a_note_and_outsiders_cannot(incident, bob, charlie, erin):
    note = timeline_note_add(incident=incident, by=bob, text="  Legal is on the call  ")
    assert (note.kind, note.message, note.actor) == ("note", "Legal is on the call", bob)
    with pytest.raises(PermissionDenied):
        timeline_note_add(incident=incident, by=charlie, text="a viewer")
    with pytest.raises(PermissionDenied):
        timeline_note_add(incident=incident, by=erin, text="a responder not on the team")
    with pytest.raises(NoteError):
        timeline_note_add(incident=incident, by=bob, text="   ")


@pytest.mark.django_db
def test_pinned_entries_head_the_timeline_and_pinning_is_recorded(client, incident, bob):
    first = timeline_note_add(incident=incident, by=bob, text="Store managers briefed")
    timeline_note_add(incident=incident, by=bob, text="A later note")
    client.force_login(bob)
    response = client.post(
        f"/incidents/{incident.pk}/timeline/pin/", {"event": first.pk, "pinned": "1"}
    )
    assert response.status_code == 302
    first.refresh_from_db()
    assert first.pinned_at is not None and first.pinned_by == bob
    assert TimelineEvent.objects.filter(incident=incident, data__pin=first.pk).count() == 1
    page = client.get(f"/incidents/{incident.pk}/").content.decode()
    pinned_box = page.index('id="timeline-pinned"')
    assert page.index(f'id="pinned-{first.pk}"') > pinned_box
    assert page.index(f'id="pinned-{first.pk}"') < page.index('id="timeline"')
    # Pinning twice records nothing more; unpinning empties the box.
    timeline_pin(incident=incident, event_id=first.pk, by=bob, pinned=True)
    assert TimelineEvent.objects.filter(incident=incident, data__pin=first.pk).count() == 1
    client.post(f"/incidents/{incident.pk}/timeline/pin/", {"event": first.pk})
    assert 'id="pinned-' not in client.get(f"/incidents/{incident.pk}/").content.decode()


@pytest.mark.django_db
def test_an_entry_of_another_incident_cannot_be_pinned(incident, bob, alice):
    other = incident_open(brand=incident.brand, title="Other", opened_by=alice)
    entry = other.timeline.first()
    with pytest.raises(NoteError):
        timeline_pin(incident=incident, event_id=entry.pk, by=bob)


@pytest.mark.django_db
@pytest.mark.parametrize(("lang", "label"), [("en", "Add note"), ("zh-hant", "新增筆記")])
def test_the_note_form_posts_and_refuses_an_empty_note(client, incident, bob, lang, label):
    bob.language = lang
    bob.save(update_fields=["language"])
    client.force_login(bob)
    page = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert label in page and 'name="text"' in page
    response = client.post(
        f"/incidents/{incident.pk}/timeline/note/",
        {"text": "Press call at 3"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 204
    assert incident.timeline.filter(kind="note", message="Press call at 3").exists()
    response = client.post(
        f"/incidents/{incident.pk}/timeline/note/", {"text": " "}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 400


@pytest.mark.django_db
def test_a_viewer_gets_403_for_a_note(client, incident, charlie):
    client.force_login(charlie)
    response = client.post(f"/incidents/{incident.pk}/timeline/note/", {"text": "hi"})
    assert response.status_code == 403
    assert not incident.timeline.filter(message="hi").exists()


@pytest.mark.django_db(transaction=True)
def test_notes_and_pins_reach_the_room_live(alice, bob):
    brand = Brand.objects.create(name="Acme", slug="acme")
    incident = incident_open(brand=brand, title="Outage", opened_by=alice)
    member_assign(incident=incident, user=bob, crisis_role="legal_counsel", by=alice)
    communicator = _communicator(incident.pk, alice)

    async def run() -> None:
        await communicator.connect()
        await communicator.receive_json_from(timeout=5)

        @database_sync_to_async
        def note_and_pin() -> int:
            with transaction.atomic():
                note = timeline_note_add(incident=incident, by=bob, text="CEO video at 5")
            with transaction.atomic():
                timeline_pin(incident=incident, event_id=note.pk, by=bob)
            return note.pk

        note_id = await note_and_pin()
        new = await receive_type(communicator, "timeline.new")
        assert "CEO video at 5" in new["html"] and ">bob<" in new["html"]
        assert f'name="event" value="{note_id}"' in new["html"]  # its pin button
        pins = await receive_type(communicator, "timeline.pins")
        assert f'id="pinned-{note_id}"' in pins["html"] and 'hx-swap-oob="true"' in pins["html"]
        await communicator.disconnect()

    async_to_sync(run)()
