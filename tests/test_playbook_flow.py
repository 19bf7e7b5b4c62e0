"""The playbook end to end through the public API: incident → team → assessment →
statement drafted → publication refused → approvals → published to a local
Mastodon-format server → the review's metrics and exports."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client

from crisisroom.models import Incident
from crisisroom.services.users import user_add
from foundation.roles import OrgRole
from monitoring.models import Rollup
from playbook.models import PublishTarget
from playbook.seed import seed_playbook_now
from playbook.services import assessment, review
from playbook.tests.fakesocial import serve

pytestmark = pytest.mark.usefixtures("local_targets")


def _user(name: str, role: str):  # type: ignore[no-untyped-def]
    return user_add(username=name, org_role=OrgRole.RESPONDER, crisis_roles=[role])[0]


def test_the_playbook_from_incident_to_review(alice, bob, brand, api_for):
    seed_playbook_now()
    social, server = serve()
    try:
        PublishTarget.objects.create(
            name="acme-mastodon", kind="mastodon", base_url=social.url, secret=social.token
        )
        pr, exec_, smm = (
            _user("pam", "pr_lead"),
            _user("eve", "executive_lead"),
            _user("sam", "social_media_manager"),
        )
        admin = api_for(alice)

        # An incident raised by hand gets the seven steps.
        response = admin.post("/incidents", {"title": "Burnt beans", "brand": brand.slug})
        assert response.status_code == 201
        incident_id = response.json()["id"]
        assert [s["number"] for s in response.json()["playbook"]] == [1, 2, 3, 4, 5, 6, 7]

        # Step 1: the team.
        for username, role in [
            ("alice", "incident_lead"),
            ("bob", "legal_counsel"),
            ("pam", "pr_lead"),
            ("eve", "executive_lead"),
            ("sam", "social_media_manager"),
        ]:
            r = admin.post(
                f"/incidents/{incident_id}/members", {"username": username, "crisis_role": role}
            )
            assert r.status_code == 201, r.content

        # Step 2: the assessment.
        incident = Incident.objects.get(pk=incident_id)
        assessment.assessment_update(
            incident=incident, by=alice, classification="product_issue", response_level="statement"
        )

        # Step 3: a statement, refused publication until approved.
        r = api_for(pr).post(
            f"/incidents/{incident_id}/statements",
            {
                "body": "We are sorry. We are refunding every order by Friday.",
                "channels": ["mastodon"],
            },
        )
        assert r.status_code == 201
        statement_id = r.json()["id"]
        assert r.json()["required_roles"] == ["legal_counsel", "executive_lead"]
        assert api_for(smm).post(f"/statements/{statement_id}/publish", {}).status_code == 409
        assert api_for(pr).post(f"/statements/{statement_id}/submit", {}).status_code == 200
        assert api_for(smm).post(f"/statements/{statement_id}/publish", {}).status_code == 409
        assert api_for(bob).post(f"/statements/{statement_id}/approve", {}).status_code == 200
        assert api_for(exec_).post(f"/statements/{statement_id}/approve", {}).status_code == 200
        r = api_for(pr).get(f"/statements/{statement_id}")
        assert r.json()["state"] == "approved"
        assert {a["role"] for a in r.json()["approvals"]} == {"legal_counsel", "executive_lead"}

        # Step 4: published to the Mastodon-format server.
        r = api_for(smm).post(f"/statements/{statement_id}/publish", {})
        assert r.status_code == 200, r.content
        assert r.json()["state"] == "published"
        assert social.requests[-1].body["status"].startswith("We are sorry.")
        detail = admin.get(f"/incidents/{incident_id}").json()
        assert detail["first_response_at"] is not None
        assert detail["statements"][0]["state"] == "published"
        step_4 = next(s for s in detail["playbook"] if s["number"] == 4)
        assert step_4["needs_approval"] is True

        # Step 7: metrics from the timeline and the rollups.
        incident.refresh_from_db()
        start = incident.started_at
        Incident.objects.filter(pk=incident_id).update(
            acknowledged_at=start + timedelta(minutes=10), resolved_at=start + timedelta(hours=3)
        )
        for minutes, count, negative in [(-120, 10, 1), (-60, 10, 1), (5, 50, 40), (15, 80, 60)]:
            Rollup.objects.create(
                brand=brand,
                bucket=start + timedelta(minutes=minutes),
                platform="x",
                count=count,
                negative=negative,
            )
        Rollup.objects.create(
            brand=brand, bucket=start + timedelta(hours=4), platform="x", count=10, negative=1
        )
        incident.refresh_from_db()
        from playbook.selectors import review_metrics

        metrics = review_metrics(incident, now=start + timedelta(hours=6))
        assert metrics["time_to_acknowledge"] == int(
            (incident.acknowledged_at - incident.opened_at).total_seconds()
        )
        assert metrics["time_to_first_response"] == int(
            (incident.first_response_at - incident.opened_at).total_seconds()
        )
        assert metrics["peak_volume"] == 80
        assert metrics["negative_share_before"] == 0.1
        assert metrics["negative_share_during"] == round(100 / 130, 3)
        assert metrics["negative_share_after"] == 0.1

        review.review_update(
            incident=incident, by=alice, root_cause="A roaster setting", lessons="Check it"
        )
        review.policy_action_add(incident=incident, by=alice, text="Roaster audit", owner=bob)
        client = Client()
        client.force_login(alice)
        md = client.get(f"/incidents/{incident_id}/playbook/review/export.md")
        assert md.status_code == 200
        text = md.content.decode()
        assert "A roaster setting" in text and "Roaster audit (owner: bob)" in text
        assert "Peak volume (mentions per 5 minutes) | 80" in text
        pdf = client.get(f"/incidents/{incident_id}/playbook/review/export.pdf")
        assert pdf.content.startswith(b"%PDF")
        # Every step of the way is on the timeline.
        kinds = set(incident.timeline.values_list("kind", flat=True))
        assert {"opened", "playbook", "member", "statement"} <= kinds
    finally:
        server.shutdown()
        server.server_close()
