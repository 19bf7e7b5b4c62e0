from __future__ import annotations

import pytest

from crisisroom.models import Incident, TimelineEvent
from monitoring.models import Brand

pytestmark = pytest.mark.django_db


def test_a_responder_raises_an_incident_by_hand_and_the_brand_is_created(api_for, bob):
    response = api_for(bob).post(
        "/incidents", {"title": "Store fire rumour", "brand": "north-wind", "severity": "high"}
    )
    assert response.status_code == 201
    body = response.json()
    incident = Incident.objects.get(pk=body["id"])
    assert incident.brand == Brand.objects.get(slug="north-wind")
    assert (body["status"], body["severity"], body["is_drill"]) == ("open", "high", False)
    assert incident.opened_by == bob
    assert TimelineEvent.objects.filter(incident=incident, kind="opened").count() == 1


def test_a_drill_is_marked(api_for, bob):
    body = (
        api_for(bob)
        .post("/incidents", {"title": "Drill", "brand": "acme", "is_drill": True})
        .json()
    )
    assert body["is_drill"] is True


@pytest.mark.parametrize(
    ("payload", "words"),
    [
        ({"brand": "acme"}, "title"),
        ({"title": "x"}, "brand"),
        ({"title": "x", "brand": "acme", "severity": "apocalyptic"}, "severity"),
        ({"title": "x", "brand": "acme", "is_drill": "yes"}, "is_drill"),
        ({"title": "x", "brand": "!!!"}, "slug"),
        ([], "JSON object"),
    ],
)
def test_a_bad_manual_raise_says_what_is_wrong(api_for, bob, payload, words):
    response = api_for(bob).post("/incidents", payload)
    assert response.status_code == 400
    assert words in response.json()["error"]


def test_a_viewer_cannot_raise_but_can_list_and_read(api_for, bob, charlie):
    created = api_for(bob).post("/incidents", {"title": "Outage", "brand": "acme"}).json()
    viewer = api_for(charlie)
    assert viewer.post("/incidents", {"title": "x", "brand": "acme"}).status_code == 403
    listed = viewer.get("/incidents", status="open").json()
    assert [i["id"] for i in listed["incidents"]] == [created["id"]]
    assert viewer.get("/incidents", status="resolved").json()["incidents"] == []
    detail = viewer.get(f"/incidents/{created['id']}").json()
    for key in (
        "status",
        "severity",
        "category",
        "is_drill",
        "opened_at",
        "acknowledged_at",
        "first_response_at",
        "resolved_at",
        "playbook",
        "statements",
        "signals",
    ):
        assert key in detail
    assert viewer.get("/incidents/999999").status_code == 404


def test_a_user_without_an_organisation_role_reads_nothing(api_for, dave, bob):
    created = api_for(bob).post("/incidents", {"title": "Outage", "brand": "acme"}).json()
    assert api_for(dave).get(f"/incidents/{created['id']}").status_code == 403
    assert api_for(dave).get("/incidents").status_code == 403


def test_the_openapi_document_lists_the_contract(client):
    spec = client.get("/api/v1/openapi.json").json()
    assert spec["openapi"].startswith("3.")
    assert {"/mentions", "/incidents", "/incidents/{id}"} <= set(spec["paths"])
