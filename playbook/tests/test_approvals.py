"""The approval rules, one test each, through the services and the public API."""

from __future__ import annotations

import pytest

from crisisroom.models import Incident
from crisisroom.services.incidents import incident_open, member_assign
from foundation.permissions import PermissionDenied
from foundation.roles import OrgRole
from playbook.choices import StatementState
from playbook.models import ApprovalPolicy, Publication
from playbook.services import base, publishing, statements
from playbook.tests.conftest import approved, drafted, make_user, submitted


def test_the_default_policy_requires_legal_counsel_and_executive_lead(cast):
    statement = drafted(cast)
    assert statement.response_level == "statement"
    for level in ("clarification", "statement", "full_campaign"):
        policy = ApprovalPolicy.objects.get(response_level=level)
        assert {r.slug for r in policy.required_roles.all()} == {"legal_counsel", "executive_lead"}


def test_it_refuses_to_publish_a_draft(cast):
    statement = drafted(cast)
    with pytest.raises(base.TransitionRefused, match="missing"):
        publishing.statement_publish(
            statement=statement, by=cast["social_media_manager"], manual_url="https://x.test/1"
        )


def test_it_refuses_to_publish_with_one_approval_of_two(cast, api_for):
    statement = submitted(cast)
    statements.statement_approve(statement=statement, by=cast["legal_counsel"])
    response = api_for(cast["social_media_manager"]).post(
        f"/statements/{statement.pk}/publish", {"url": "https://x.test/1"}
    )
    assert response.status_code == 409
    assert "Executive lead" in response.json()["error"]  # the role by name, not its code
    statement.refresh_from_db()
    assert statement.state == StatementState.SUBMITTED


def test_approval_by_every_required_role_approves_it(cast):
    statement = submitted(cast)
    statements.statement_approve(statement=statement, by=cast["legal_counsel"])
    statement.refresh_from_db()
    assert statement.state == StatementState.SUBMITTED
    statements.statement_approve(statement=statement, by=cast["executive_lead"])
    statement.refresh_from_db()
    assert statement.state == StatementState.APPROVED


def test_it_refuses_self_approval(cast, api_for):
    legal = cast["legal_counsel"]
    statement = statements.statement_create(incident=cast.incident, by=legal, body="We are sorry.")
    statements.statement_submit(statement=statement, by=legal)
    response = api_for(legal).post(f"/statements/{statement.pk}/approve", {})
    assert response.status_code == 409
    assert "own draft" in response.json()["error"]


def test_it_refuses_approval_by_someone_who_edited_the_draft(cast):
    statement = drafted(cast)
    statements.statement_edit(statement=statement, by=cast["executive_lead"], body="We are sorry!")
    statements.statement_submit(statement=statement, by=cast["pr_lead"])
    with pytest.raises(base.TransitionRefused, match="own draft"):
        statements.statement_approve(statement=statement, by=cast["executive_lead"])


def test_a_role_held_on_the_roster_but_not_on_this_incident_cannot_approve(cast, api_for):
    statement = submitted(cast)
    response = api_for(cast["outsider"]).post(f"/statements/{statement.pk}/approve", {})
    assert response.status_code == 403


def test_a_role_held_on_another_incident_does_not_count(cast, brand):
    other = incident_open(brand=brand, title="Other", opened_by=cast["admin"])
    olivia = cast["outsider"]
    member_assign(incident=other, user=olivia, crisis_role="legal_counsel", by=cast["admin"])
    statement = submitted(cast)
    with pytest.raises(PermissionDenied):
        statements.statement_approve(statement=statement, by=olivia)


def test_an_admin_without_the_role_on_the_incident_cannot_approve(cast):
    statement = submitted(cast)
    with pytest.raises(PermissionDenied):
        statements.statement_approve(statement=statement, by=cast["admin"])


def test_one_person_holding_both_roles_approves_only_once(cast):
    both = make_user("bea", OrgRole.RESPONDER, "legal_counsel", "executive_lead")
    for role in ("legal_counsel", "executive_lead"):
        member_assign(incident=cast.incident, user=both, crisis_role=role, by=cast["admin"])
    statement = submitted(cast)
    statements.statement_approve(statement=statement, by=both)
    with pytest.raises(base.TransitionRefused, match="already approved"):
        statements.statement_approve(statement=statement, by=both)
    statement.refresh_from_db()
    assert statement.state == StatementState.SUBMITTED


def test_it_refuses_to_approve_a_draft_that_was_not_submitted(cast):
    statement = drafted(cast)
    with pytest.raises(base.TransitionRefused, match="submitted"):
        statements.statement_approve(statement=statement, by=cast["legal_counsel"])


def test_an_edit_after_approval_resets_the_approvals(cast, api_for):
    statement = approved(cast)
    response = api_for(cast["pr_lead"]).client.patch(
        f"/api/v1/statements/{statement.pk}",
        data='{"body": "We are sorry. Refunds start today."}',
        content_type="application/json",
        headers=api_for(cast["pr_lead"]).headers,
    )
    assert response.status_code == 200
    body = response.json()
    assert body["state"] == "draft"
    assert body["approvals"] == []
    assert body["version"] == 2
    assert "reset" in cast.incident.timeline.last().message or any(
        "reset" in e.message for e in cast.incident.timeline.all()
    )


def test_a_new_channel_variant_after_approval_also_resets_it(cast):
    statement = approved(cast)
    statements.statement_edit(
        statement=statement, by=cast["pr_lead"], variants={"x": "We are sorry. Refunds by Friday."}
    )
    statement.refresh_from_db()
    assert statement.state == StatementState.DRAFT
    assert not statement.approvals.exists()


def test_a_rejection_returns_it_to_draft_with_the_comment(cast, api_for):
    statement = submitted(cast)
    statements.statement_approve(statement=statement, by=cast["legal_counsel"])
    response = api_for(cast["executive_lead"]).post(
        f"/statements/{statement.pk}/reject", {"comment": "Name the refund date."}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["state"] == "draft"
    assert body["approvals"] == []
    assert body["last_rejection"]["comment"] == "Name the refund date."


def test_a_rejection_without_a_comment_is_a_bad_request(cast, api_for):
    statement = submitted(cast)
    response = api_for(cast["legal_counsel"]).post(f"/statements/{statement.pk}/reject", {})
    assert response.status_code == 400


def test_publishing_an_approved_statement_sets_the_first_response_milestone(cast):
    statement = approved(cast)
    statement, pubs = publishing.statement_publish(
        statement=statement, by=cast["social_media_manager"], manual_url="https://acme.test/s/1"
    )
    assert statement.state == StatementState.PUBLISHED
    assert pubs[0].state == "manual"
    incident = Incident.objects.get(pk=cast.incident.pk)
    assert incident.first_response_at == statement.published_at


def test_a_published_statement_cannot_be_published_again_or_edited(cast):
    statement = approved(cast)
    publishing.statement_publish(
        statement=statement, by=cast["social_media_manager"], manual_url="https://acme.test/s/1"
    )
    with pytest.raises(base.TransitionRefused):
        publishing.statement_publish(
            statement=statement, by=cast["social_media_manager"], manual_url="https://a.test/2"
        )
    with pytest.raises(base.TransitionRefused):
        statements.statement_edit(statement=statement, by=cast["pr_lead"], body="Changed")


def test_a_drill_never_publishes_for_real(cast, brand, monkeypatch):
    from playbook.models import PublishTarget

    PublishTarget.objects.create(
        name="main", kind="mastodon", base_url="http://127.0.0.1:9/", secret="t"
    )

    def no_network(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise AssertionError("a drill called out")

    monkeypatch.setattr("playbook.publishers._post_json", no_network)
    drill = incident_open(brand=brand, title="Drill", opened_by=cast["admin"], is_drill=True)
    for role in ("pr_lead", "legal_counsel", "executive_lead", "social_media_manager"):
        member_assign(incident=drill, user=cast[role], crisis_role=role, by=cast["admin"])
    statement = statements.statement_create(incident=drill, by=cast["pr_lead"], body="Sorry.")
    statements.statement_submit(statement=statement, by=cast["pr_lead"])
    statements.statement_approve(statement=statement, by=cast["legal_counsel"])
    statements.statement_approve(statement=statement, by=cast["executive_lead"])
    statement, pubs = publishing.statement_publish(
        statement=statement, by=cast["social_media_manager"]
    )
    assert statement.state == StatementState.PUBLISHED
    assert [p.state for p in pubs] == ["sandbox"]
    assert Publication.objects.filter(statement=statement, state="sent").count() == 0


def test_every_transition_lands_in_the_timeline(cast):
    statement = approved(cast)
    publishing.statement_publish(
        statement=statement, by=cast["social_media_manager"], manual_url="https://acme.test/s/1"
    )
    messages = [e.message for e in cast.incident.timeline.filter(kind="statement")]
    assert any("drafted" in m for m in messages)
    assert any("submitted" in m for m in messages)
    assert sum("approved by" in m and " as " in m for m in messages) == 2
    assert any("every required role" in m for m in messages)
    assert any("published" in m for m in messages)


def test_the_page_refuses_to_publish_an_unapproved_statement_with_a_message(cast):
    from django.test import Client

    statement = submitted(cast)
    client = Client()
    client.force_login(cast["social_media_manager"])
    url = f"/incidents/{cast.incident.pk}/playbook/statements/{statement.pk}/"
    response = client.post(url + "publish/", {"url": "https://acme.test/1"}, follow=True)
    assert response.status_code == 200
    assert "Not approved yet" in response.content.decode()
    statement.refresh_from_db()
    assert statement.state == StatementState.SUBMITTED
    assert not Publication.objects.filter(statement=statement).exists()
