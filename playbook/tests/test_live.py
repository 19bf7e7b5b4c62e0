"""Another user sees a ticked checklist item and a statement's approval state
change without a reload: the war-room socket carries the panel's own partials."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client

from crisisroom.asgi import application
from playbook.models import RunChecklistItem
from playbook.services import runs, statements
from playbook.tests.conftest import submitted

pytestmark = pytest.mark.django_db(transaction=True)


def _communicator(incident_id: int, user) -> WebsocketCommunicator:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    headers = [
        (b"origin", b"http://127.0.0.1:8000"),
        (b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode()),
    ]
    return WebsocketCommunicator(application, f"/ws/incidents/{incident_id}/", headers=headers)


async def _next_of(communicator: WebsocketCommunicator, kind: str) -> dict:
    while True:
        message = await communicator.receive_json_from(timeout=5)
        if message["type"] == kind:
            return message


def test_a_viewer_sees_a_ticked_item_and_the_steps_state(cast):
    item = RunChecklistItem.objects.filter(step__run__incident=cast.incident, event="").first()
    communicator = _communicator(cast.incident.pk, cast["viewer"])

    async def run() -> None:
        assert (await communicator.connect())[0]
        await database_sync_to_async(runs.checklist_item_set)(
            item=item, done=True, by=cast["incident_lead"]
        )
        message = await _next_of(communicator, "playbook.item")
        assert message["done"] is True
        assert f'id="pb-item-{item.pk}"' in message["html"]
        assert f'id="pb-check-{item.pk}" checked' in message["html"]
        assert "incident-lead" in message["html"]
        assert f'id="pb-step-{item.step_id}"' in message["html"]
        assert "In progress" in message["html"]
        assert message["html"].count('hx-swap-oob="true"') == 2
        await communicator.disconnect()

    async_to_sync(run)()


def test_a_viewer_sees_a_statement_move_through_its_approvals(cast):
    statement = submitted(cast)
    communicator = _communicator(cast.incident.pk, cast["viewer"])

    async def run() -> None:
        assert (await communicator.connect())[0]
        await database_sync_to_async(statements.statement_approve)(
            statement=statement, by=cast["legal_counsel"]
        )
        message = await _next_of(communicator, "statement.updated")
        assert message["state"] == "submitted"
        assert message["missing_roles"] == ["executive_lead"]
        assert f'id="pb-statement-{statement.pk}"' in message["html"]
        assert "Legal counsel: approved" in message["html"]
        assert "Executive lead: waiting" in message["html"]
        await database_sync_to_async(statements.statement_approve)(
            statement=statement, by=cast["executive_lead"]
        )
        message = await _next_of(communicator, "statement.updated")
        assert message["state"] == "approved"
        assert "Approved" in message["html"]
        await communicator.disconnect()

    async_to_sync(run)()


def test_a_new_statement_is_appended_to_the_panel(cast):
    communicator = _communicator(cast.incident.pk, cast["viewer"])

    async def run() -> None:
        assert (await communicator.connect())[0]
        statement = await database_sync_to_async(statements.statement_create)(
            incident=cast.incident, by=cast["pr_lead"], body="We are sorry."
        )
        message = await _next_of(communicator, "statement.updated")
        assert message["new"] is True
        assert 'id="pb-statements" hx-swap-oob="beforeend"' in message["html"]
        assert f'id="pb-statement-{statement.pk}"' in message["html"]
        await communicator.disconnect()

    async_to_sync(run)()


def test_the_war_room_shows_the_playbook_panel(cast):
    client = Client()
    client.force_login(cast["viewer"])
    response = client.get(f"/incidents/{cast.incident.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="playbook-h"' in html
    assert "Assemble the team" in html
    assert 'id="pb-statements"' in html


def test_the_room_sees_an_item_tick_itself_when_the_work_is_done(cast):
    from playbook.services import assessment

    communicator = _communicator(cast.incident.pk, cast["viewer"])

    async def run() -> None:
        assert (await communicator.connect())[0]
        await database_sync_to_async(assessment.claim_record)(
            incident=cast.incident, by=cast["pr_lead"], claim="The beans were burnt on purpose"
        )
        message = await _next_of(communicator, "playbook.item")
        assert message["done"] is True
        assert message["by"] == "pr-lead"
        assert "checked" in message["html"]
        assert "Record claims in the misinformation ledger" in message["html"]
        await communicator.disconnect()

    async_to_sync(run)()
