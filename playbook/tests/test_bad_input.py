"""Issue 16 on the playbook: page POSTs go through forms (a 400 naming the field),
stored links are http(s), the org-wide pause belongs to incident leads and admins."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from crisisroom.models import IncidentMember
from crisisroom.services.incidents import incident_dismiss, incident_open, member_assign
from foundation.permissions import PermissionDenied
from playbook.models import MisinformationClaim, OutboundPause, Publication, Statement
from playbook.services import assessment, base, publishing, team
from playbook.tests.conftest import approved, drafted, make_user

pytestmark = pytest.mark.django_db


def _page(cast, who="incident_lead"):  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(cast[who])
    return client


def _url(cast, tail: str) -> str:  # type: ignore[no-untyped-def]
    return f"/incidents/{cast.incident.pk}/playbook/{tail}"


@pytest.mark.parametrize(
    ("tail", "data"),
    [
        ("claims/", {"claim": "Beans\x00burnt", "status": "unverified"}),
        ("claims/", {"claim": "Beans burnt", "status": "made-up"}),
        ("claims/", {"claim": "Beans burnt", "correction_url": "https://a.test/" + "x" * 200}),
        ("claims/", {"claim": "Beans burnt", "correction_url": "javascript:alert(1)"}),
        ("claims/", {"claim": "Beans burnt", "claim_id": "abc"}),
        ("questions/", {"question": "Refund\x00?"}),
        ("pause/", {"reason": "Crisis\x00"}),
        ("statements/new/", {"body": "We are\x00sorry"}),
        ("statements/new/", {"body": "We are sorry", "template": "abc"}),
        ("statements/new/", {"body": "We are sorry", "channels": ["fax"]}),
        ("assessment/", {"classification": "nonsense"}),
        ("review/save/", {"root_cause": "x\x00"}),
    ],
)
def test_a_bad_page_post_is_a_400_that_names_the_field_and_stores_nothing(cast, tail, data):
    before = (MisinformationClaim.objects.count(), Statement.objects.count())
    response = _page(cast).post(_url(cast, tail), data)
    assert response.status_code == 400, response.status_code
    page = response.content.decode()
    assert '<ul class="messages" role="status"><li>' in page  # the reason, on the page
    assert (MisinformationClaim.objects.count(), Statement.objects.count()) == before
    assert not OutboundPause.objects.exists()


def test_an_unknown_claim_id_is_a_404(cast):
    other = incident_open(brand=cast.incident.brand, title="Another")
    claim = MisinformationClaim.objects.create(incident=other, claim="Not this incident's")
    response = _page(cast).post(_url(cast, "claims/"), {"claim": "x", "claim_id": claim.pk})
    assert response.status_code == 404
    assert MisinformationClaim.objects.get(pk=claim.pk).claim == "Not this incident's"
    response = _page(cast).post(_url(cast, "claims/"), {"claim": "x", "claim_id": 987654})
    assert response.status_code == 404


def test_a_good_claim_with_its_link_is_stored(cast):
    response = _page(cast).post(
        _url(cast, "claims/"),
        {"claim": "Beans burnt", "status": "false", "correction_url": "https://acme.test/facts"},
    )
    assert response.status_code == 302
    assert MisinformationClaim.objects.get().correction_url == "https://acme.test/facts"


def test_the_service_refuses_a_javascript_link_too(cast):
    with pytest.raises(base.InvalidInput):
        assessment.claim_record(
            incident=cast.incident,
            by=cast["incident_lead"],
            claim="x",
            correction_url="javascript:alert(1)",
        )


def test_a_published_link_must_be_http(cast, api_for):
    statement = approved(cast)
    for url in ["javascript:alert(1)", "data:text/html,hi", "ftp://x.test/"]:
        response = api_for(cast["pr_lead"]).post(
            f"/statements/{statement.pk}/publish", {"url": url}
        )
        assert response.status_code == 400, url
        page = _page(cast, "pr_lead").post(
            _url(cast, f"statements/{statement.pk}/publish/"), {"url": url}
        )
        assert page.status_code == 400
    assert not Publication.objects.exists()


@pytest.mark.parametrize(
    ("path", "body", "reason"),
    [
        ("/statements/{sid}", {"channels": None}, "channels"),
        ("/statements/{sid}", {"channels": ["fax"]}, "channels"),
        ("/statements/{sid}", {"body": "  "}, "body must not be empty"),
        ("/statements/{sid}", {"body": "a\x00b"}, "body contains a NUL"),
        ("/statements/{sid}", {"variants": {"fax": "hi"}}, "variants"),
        ("/statements/{sid}", {"variants": None}, "variants"),
        ("/statements/{sid}/reject", {"comment": "no\ud800"}, "comment contains an invalid"),
        ("/incidents/{id}/statements", {"body": "hi\ud800"}, "body contains an invalid"),
        ("/incidents/{id}/statements", {"body": "hi", "channels": None}, "channels"),
        ("/incidents/{id}/members", {"username": "", "crisis_role": "pr_lead"}, "username"),
    ],
)
def test_api_bodies_are_checked_field_by_field(cast, api_for, path, body, reason):
    statement = drafted(cast)
    client = api_for(cast["pr_lead"])
    target = f"/api/v1{path.format(sid=statement.pk, id=cast.incident.pk)}"
    method = client.client.patch if path == "/statements/{sid}" else client.client.post
    response = method(
        target,
        data=json.dumps(body, ensure_ascii=True),
        content_type="application/json",
        headers=client.headers,
    )
    assert response.status_code == 400, response.content
    assert reason in response.json()["error"]
    assert Statement.objects.get(pk=statement.pk).body == statement.body


# --- the organisation-wide pause ------------------------------------------------------


def _second_incident(cast):  # type: ignore[no-untyped-def]
    other = incident_open(brand=cast.incident.brand, title="Unrelated outage")
    member = make_user("mallory", "responder", "social_media_manager")
    member_assign(incident=other, user=member, crisis_role="social_media_manager", by=cast["admin"])
    lead = make_user("lena", "responder", "incident_lead")
    member_assign(incident=other, user=lead, crisis_role="incident_lead", by=cast["admin"])
    return other, member, lead


def test_another_incidents_team_member_cannot_lift_the_org_pause(cast):
    publishing.outbound_pause(by=cast["incident_lead"], reason="Crisis", incident=cast.incident)
    other, member, _ = _second_incident(cast)
    with pytest.raises(PermissionDenied):
        publishing.outbound_resume(by=member, incident=other)
    client = Client()
    client.force_login(member)
    assert client.post(f"/incidents/{other.pk}/playbook/resume/").status_code == 403
    assert OutboundPause.objects.filter(resumed_at__isnull=True).exists()


def test_the_lead_of_another_active_incident_may_lift_it_and_both_timelines_say_so(cast):
    publishing.outbound_pause(by=cast["incident_lead"], reason="Crisis", incident=cast.incident)
    other, _, lead = _second_incident(cast)
    publishing.outbound_resume(by=lead, incident=other)
    expected = f"Scheduled posts resumed by lena from incident #{other.pk}"
    for incident in (cast.incident, other):
        assert expected in list(incident.timeline.values_list("message", flat=True))


def test_the_lead_of_a_closed_incident_cannot_pause_the_organisation(cast):

    incident_dismiss(incident=cast.incident, user=cast["admin"], reason="false alarm")
    cast.incident.refresh_from_db()
    with pytest.raises(PermissionDenied):
        publishing.outbound_pause(by=cast["incident_lead"], reason="x", incident=cast.incident)
    publishing.outbound_pause(by=cast["admin"], reason="admin may", incident=cast.incident)


def test_a_responder_cannot_make_themselves_the_team_of_an_empty_incident(cast):
    empty = incident_open(brand=cast.incident.brand, title="Fresh", opened_by=cast["outsider"])
    with pytest.raises(PermissionDenied):
        team.team_member_add(
            incident=empty, user=cast["outsider"], crisis_role="legal_counsel", by=cast["outsider"]
        )
    assert not IncidentMember.objects.filter(incident=empty).exists()
    # Someone on the roster as incident lead may take charge of an empty team.
    lead = make_user("leah", "responder", "incident_lead")
    team.team_member_add(incident=empty, user=lead, crisis_role="incident_lead", by=lead)
    assert IncidentMember.objects.filter(incident=empty, user=lead).exists()
