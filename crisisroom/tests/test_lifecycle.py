"""The incident lifecycle: open -> acknowledged -> monitoring -> resolved (with a one-line
summary on the timeline), reopen; who may resolve (the incident lead on that incident, or
an admin); the same rules on the pages (htmx) and the API."""

from __future__ import annotations

import pytest
from django.test import Client

from crisisroom.choices import IncidentStatus, TimelineKind
from crisisroom.services.incidents import incident_acknowledge, incident_open, member_assign
from crisisroom.services.users import user_add
from foundation.roles import OrgRole


@pytest.fixture
def team(alice, bob, brand):  # type: ignore[no-untyped-def]
    """alice admin; lena the incident lead on this incident; bob legal counsel on it;
    ivan an incident lead on the roster who leads another incident."""
    lena, _ = user_add(username="lena", org_role=OrgRole.RESPONDER, crisis_roles=["incident_lead"])
    ivan, _ = user_add(username="ivan", org_role=OrgRole.RESPONDER, crisis_roles=["incident_lead"])
    incident = incident_open(brand=brand, title="Burnt beans", opened_by=alice)
    other = incident_open(brand=brand, title="Other", opened_by=alice, is_drill=True)
    member_assign(incident=incident, user=lena, crisis_role="incident_lead", by=alice)
    member_assign(incident=incident, user=bob, crisis_role="legal_counsel", by=alice)
    member_assign(incident=other, user=ivan, crisis_role="incident_lead", by=alice)
    return {"incident": incident, "lena": lena, "ivan": ivan, "bob": bob, "alice": alice}


def _htmx(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client(HTTP_HX_REQUEST="true")
    client.force_login(user)
    return client


def test_the_lead_walks_the_incident_through_every_status_on_the_page(team):
    incident, lena = team["incident"], team["lena"]
    client = _htmx(lena)
    page = client.get(f"/incidents/{incident.pk}/")
    assert b"incident-lifecycle" in page.content and b'name="summary"' in page.content
    incident_acknowledge(incident=incident, user=lena)
    response = client.post(f"/incidents/{incident.pk}/monitor/")
    assert response.status_code == 200
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.MONITORING
    assert incident.monitoring_at is not None
    response = client.post(
        f"/incidents/{incident.pk}/resolve/", {"summary": "Refunds sent;\n sentiment back"}
    )
    assert response.status_code == 200
    assert 'id="incident-lifecycle"' in response.content.decode()
    assert "Refunds sent; sentiment back" in response.content.decode()
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.RESOLVED
    assert incident.resolved_by == lena
    assert incident.resolved_at >= incident.acknowledged_at
    entry = incident.timeline.filter(kind=TimelineKind.STATUS).latest("at")
    assert entry.message == "Resolved by lena: Refunds sent; sentiment back"
    assert entry.actor == lena


def test_resolving_without_a_summary_says_so_and_changes_nothing(team):
    incident = team["incident"]
    response = _htmx(team["lena"]).post(f"/incidents/{incident.pk}/resolve/", {"summary": "  "})
    assert response.status_code == 200
    assert "one-line summary" in response.content.decode()
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.OPEN


def test_without_javascript_resolving_comes_back_to_the_room(team):
    incident = team["incident"]
    client = Client()
    client.force_login(team["alice"])
    response = client.post(f"/incidents/{incident.pk}/resolve/", {"summary": "Handled"})
    assert response.status_code == 302
    assert response["Location"] == f"/incidents/{incident.pk}/"
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.RESOLVED


def test_a_team_member_who_is_not_the_lead_cannot_resolve_on_the_page(team):
    incident = team["incident"]
    page = _htmx(team["bob"]).get(f"/incidents/{incident.pk}/")
    assert b'name="summary"' not in page.content
    response = _htmx(team["bob"]).post(f"/incidents/{incident.pk}/resolve/", {"summary": "x"})
    assert response.status_code == 403
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.OPEN


@pytest.mark.parametrize(
    ("who", "status"), [("lena", 200), ("alice", 200), ("bob", 403), ("ivan", 403)]
)
def test_the_api_lets_the_lead_on_that_incident_or_an_admin_resolve(team, api_for, who, status):
    incident = team["incident"]
    response = api_for(team[who]).post(f"/incidents/{incident.pk}/resolve", {"summary": "Done"})
    assert response.status_code == status, response.content
    incident.refresh_from_db()
    if status == 200:
        body = response.json()
        assert body["status"] == "resolved"
        assert body["resolved_at"] == incident.resolved_at.isoformat()
        assert body["resolution_summary"] == "Done"
    else:
        assert "error" in response.json()
        assert incident.status == IncidentStatus.OPEN


def test_a_viewer_cannot_resolve(team, api_for, charlie):
    incident = team["incident"]
    response = api_for(charlie).post(f"/incidents/{incident.pk}/resolve", {"summary": "Done"})
    assert response.status_code == 403


def test_the_api_wants_a_summary_and_refuses_resolving_twice(team, api_for):
    incident, api = team["incident"], api_for(team["lena"])
    assert api.post(f"/incidents/{incident.pk}/resolve", {}).status_code == 400
    assert api.post(f"/incidents/{incident.pk}/resolve", {"summary": 3}).status_code == 400
    long = api.post(f"/incidents/{incident.pk}/resolve", {"summary": "x" * 301})
    assert long.status_code == 400 and "300" in long.json()["error"]
    assert api.post(f"/incidents/{incident.pk}/resolve", {"summary": "Done"}).status_code == 200
    again = api.post(f"/incidents/{incident.pk}/resolve", {"summary": "Done"})
    assert again.status_code == 409
    assert "Resolved" in again.json()["error"]


def test_reopening_clears_the_resolution_and_keeps_the_history(team, api_for):
    incident, api = team["incident"], api_for(team["lena"])
    incident_acknowledge(incident=incident, user=team["lena"])
    api.post(f"/incidents/{incident.pk}/resolve", {"summary": "Done"})
    assert api.post(f"/incidents/{incident.pk}/reopen", {}).status_code == 400
    response = api.post(f"/incidents/{incident.pk}/reopen", {"reason": "It flared up again"})
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "acknowledged"
    assert body["resolved_at"] is None
    messages = list(incident.timeline.values_list("message", flat=True))
    assert "Resolved by lena: Done" in messages
    assert "Reopened by lena: It flared up again" in messages
    assert api.post(f"/incidents/{incident.pk}/reopen", {"reason": "x"}).status_code == 409
    assert (
        api_for(team["bob"]).post(f"/incidents/{incident.pk}/reopen", {"reason": "x"}).status_code
        == 403
    )


def test_a_dismissed_incident_can_be_reopened(team, api_for):
    incident = team["incident"]
    api = api_for(team["alice"])
    assert api.post(f"/incidents/{incident.pk}/dismiss", {}).status_code == 200
    response = api.post(f"/incidents/{incident.pk}/reopen", {"reason": "It was real"})
    assert response.status_code == 200
    assert response.json()["status"] == "open"
    assert response.json()["dismissed_at"] is None


def test_the_detail_shows_status_and_the_resolved_at_milestone(team, api_for):
    incident = team["incident"]
    api = api_for(team["lena"])
    assert api.get(f"/incidents/{incident.pk}").json()["resolved_at"] is None
    api.post(f"/incidents/{incident.pk}/monitor", {})
    assert api.get(f"/incidents/{incident.pk}").json()["status"] == "monitoring"
    assert api.get("/incidents", status="monitoring").json()["count"] == 1
    api.post(f"/incidents/{incident.pk}/resolve", {"summary": "Done"})
    detail = api.get(f"/incidents/{incident.pk}").json()
    assert detail["status"] == "resolved"
    assert detail["resolved_at"] is not None


@pytest.mark.django_db  # the served document lists the active publish targets
def test_the_openapi_documents_the_lifecycle(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200, response.content
    spec = response.json()
    for action in ("resolve", "reopen", "monitor"):
        assert f"/incidents/{{id}}/{action}" in spec["paths"]
    resolve = spec["paths"]["/incidents/{id}/resolve"]["post"]
    assert resolve["requestBody"]["content"]["application/json"]["schema"]["required"] == [
        "summary"
    ]
    assert set(resolve["responses"]) >= {"200", "400", "403", "409"}
    status = spec["components"]["schemas"]["Incident"]["properties"]["status"]["enum"]
    assert status == ["open", "acknowledged", "monitoring", "resolved", "dismissed"]


def test_a_new_signal_joins_an_incident_being_monitored(team):
    from crisisroom.models import Incident
    from crisisroom.services.lifecycle import incident_monitor

    incident = incident_monitor(incident=team["incident"], user=team["lena"])
    assert Incident.objects.filter(pk=incident.pk, status="monitoring").get().is_active
