"""The coach's rules, from states: each fires, each clears, nobody is told to do what
they may not do; then the same through the database, the API and the war room."""

from __future__ import annotations

import json
import os
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from crisisroom.services.incidents import incident_acknowledge
from playbook import coach
from playbook.models import MisinformationClaim
from playbook.services import publishing, statements
from playbook.tests.conftest import approved, submitted

NOW = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
RULES = coach.load_rules()


def snap(**kwargs):  # type: ignore[no-untyped-def]
    base = {
        "incident": 7,
        "status": "acknowledged",
        "opened_at": NOW - timedelta(minutes=5),
        "now": NOW,
    }
    return coach.Snapshot(**{**base, **kwargs})


def statement(sid=2, state="submitted", **kwargs):  # type: ignore[no-untyped-def]
    base = {
        "id": sid,
        "state": state,
        "submitted_at": NOW - timedelta(minutes=12),
        "published_at": None,
        "missing_roles": ("legal_counsel", "executive_lead"),
        "authors": frozenset({10}),
        "approvers": frozenset(),
    }
    return coach.StatementFacts(**{**base, **kwargs})


def viewer(*roles, uid=1, can_act=True, can_work=True, language="en"):  # type: ignore[no-untyped-def]
    return coach.Viewer(
        id=uid, roles=frozenset(roles), can_act=can_act, can_work=can_work, language=language
    )


def rules_fired(state, who):  # type: ignore[no-untyped-def]
    return [a.rule for a in coach.evaluate(RULES, state, who)]


# --- The rules file ------------------------------------------------------------------


def test_the_shipped_rules_load_with_both_languages():
    assert [r.id for r in RULES] == [
        "approve-statement",
        "publish-statement",
        "acknowledge-incident",
        "first-statement-late",
        "correct-false-claim",
    ]
    for rule in RULES:
        assert rule.message["en"] and rule.message["zh-hant"]


@pytest.mark.parametrize(
    "broken, why",
    [
        ({"rules": [{"id": "x"}]}, "roles"),
        (
            {
                "rules": [
                    {
                        "id": "x",
                        "roles": ["pr_lead"],
                        "condition": "nope",
                        "message": {"en": "a", "zh-hant": "b"},
                        "link": "claims",
                    }
                ]
            },
            "unknown condition",
        ),
        (
            {
                "rules": [
                    {
                        "id": "x",
                        "roles": ["pr_lead"],
                        "condition": "false_claim_uncorrected",
                        "message": {"en": "a"},
                        "link": "claims",
                    }
                ]
            },
            "zh-hant",
        ),
        ([], "object"),
    ],
)
def test_a_broken_rules_file_says_what_is_wrong(broken, why):
    with pytest.raises(coach.RuleError, match=why):
        coach.parse_rules(broken)


def test_an_edited_rules_file_is_read_again(tmp_path):
    path = tmp_path / "rules.json"
    data = json.loads(coach.RULES_PATH.read_text(encoding="utf-8"))
    path.write_text(json.dumps(data), encoding="utf-8")
    assert len(coach.load_rules(path)) == 5
    data["rules"] = data["rules"][:1]
    path.write_text(json.dumps(data), encoding="utf-8")
    os.utime(path, (1, 1))
    assert [r.id for r in coach.load_rules(path)] == ["approve-statement"]


# --- Each rule fires and clears --------------------------------------------------------


def test_approval_waits_for_the_missing_role_and_clears_once_given():
    state = snap(statements=(statement(),))
    actions = coach.evaluate(RULES, state, viewer("legal_counsel"))
    assert [a.rule for a in actions] == ["approve-statement"]
    assert actions[0].role == "legal_counsel"
    assert actions[0].message == "Statement #2 waits for your approval (submitted 12 min ago)."
    assert actions[0].link == "/incidents/7/playbook/statements/2/"
    # Legal approved: its role is no longer missing (the executive still is).
    done = snap(statements=(statement(missing_roles=("executive_lead",), approvers={1}),))
    assert rules_fired(done, viewer("legal_counsel")) == []
    assert rules_fired(done, viewer("executive_lead", uid=3)) == ["approve-statement"]
    # Approved or back to draft: nothing to approve.
    assert rules_fired(snap(statements=(statement(state="draft"),)), viewer("legal_counsel")) == []


def test_approval_is_never_asked_of_the_author_nor_of_a_role_not_required():
    state = snap(statements=(statement(authors=frozenset({1})),))
    assert rules_fired(state, viewer("legal_counsel")) == []
    assert rules_fired(snap(statements=(statement(),)), viewer("hr_representative")) == []
    assert (
        rules_fired(snap(statements=(statement(),)), viewer("legal_counsel", can_act=False)) == []
    )


def test_publish_fires_for_the_social_media_manager_and_clears_once_published():
    state = snap(statements=(statement(state="approved", missing_roles=()),))
    actions = coach.evaluate(RULES, state, viewer("social_media_manager"))
    assert [(a.rule, a.message) for a in actions] == [
        ("publish-statement", "Statement #2 is approved — publish it.")
    ]
    assert rules_fired(state, viewer("pr_lead")) == []
    assert rules_fired(state, viewer("social_media_manager", can_act=False)) == []
    published = snap(statements=(statement(state="published", missing_roles=(), published_at=NOW),))
    assert rules_fired(published, viewer("social_media_manager")) == []


def test_acknowledge_fires_while_open_for_the_lead_who_may_acknowledge():
    state = snap(status="open", opened_at=NOW - timedelta(minutes=4))
    actions = coach.evaluate(RULES, state, viewer("incident_lead"))
    assert [a.rule for a in actions] == ["acknowledge-incident"]
    assert "opened 4 min ago" in actions[0].message
    assert actions[0].link == "/incidents/7/#incident-status"
    assert rules_fired(state, viewer("incident_lead", can_work=False, can_act=False)) == []
    assert rules_fired(replace(state, status="acknowledged"), viewer("incident_lead")) == []


def test_no_statement_fires_after_the_threshold_and_clears_when_one_is_published():
    early = snap(opened_at=NOW - timedelta(minutes=29))
    assert rules_fired(early, viewer("incident_lead")) == []
    late = snap(opened_at=NOW - timedelta(minutes=58))
    actions = coach.evaluate(RULES, late, viewer("incident_lead"))
    assert [a.rule for a in actions] == ["first-statement-late"]
    assert "58 min after the incident opened" in actions[0].message
    out = replace(late, statements=(statement(state="published", published_at=NOW),))
    assert rules_fired(out, viewer("incident_lead")) == []
    assert rules_fired(replace(late, status="resolved"), viewer("incident_lead")) == []


def test_false_claim_fires_until_a_correction_is_recorded():
    claim = coach.ClaimState(
        id=3, claim="They use expired beans", status="false", corrected=False, created_at=NOW
    )
    state = snap(claims=(claim,))
    actions = coach.evaluate(RULES, state, viewer("pr_lead"))
    assert [a.rule for a in actions] == ["correct-false-claim"]
    assert "“They use expired beans”" in actions[0].message
    assert actions[0].link == "/incidents/7/playbook/#assess-h"
    assert (
        rules_fired(replace(state, claims=(replace(claim, corrected=True),)), viewer("pr_lead"))
        == []
    )
    assert (
        rules_fired(replace(state, claims=(replace(claim, status="true"),)), viewer("pr_lead"))
        == []
    )
    assert rules_fired(state, viewer("legal_counsel")) == []


def test_messages_come_in_the_viewers_language():
    state = snap(statements=(statement(),))
    (action,) = coach.evaluate(RULES, state, viewer("legal_counsel", language="zh-hant"))
    assert action.message == "聲明 #2 正等待您核准（12 分鐘前送審）。"


# --- Through the database and the API --------------------------------------------------


def test_next_actions_follow_the_statement_through_the_database(cast):
    statement_row = submitted(cast)
    legal, smm = cast["legal_counsel"], cast["social_media_manager"]
    assert [a.rule for a in coach.next_actions(cast.incident, legal)] == ["approve-statement"]
    # The author (PR lead) is never asked to approve; the outsider is not on the team.
    assert "approve-statement" not in [
        a.rule for a in coach.next_actions(cast.incident, cast["pr_lead"])
    ]
    assert coach.next_actions(cast.incident, cast["outsider"]) == []
    # A viewer on the team holds executive lead but may not act: not told to approve.
    assert coach.next_actions(cast.incident, cast["viewer_on_team"]) == []
    statements.statement_approve(statement=statement_row, by=legal)
    assert coach.next_actions(cast.incident, legal) == []
    statements.statement_approve(statement=statement_row, by=cast["executive_lead"])
    assert [a.rule for a in coach.next_actions(cast.incident, smm)] == ["publish-statement"]
    publishing.statement_publish(
        statement=statement_row, by=smm, manual_url="https://example.com/statement"
    )
    statement_row.refresh_from_db()
    assert statement_row.state == "published"
    assert coach.next_actions(cast.incident, smm) == []


def test_the_lead_is_told_to_acknowledge_and_to_get_a_statement_out(cast):
    lead = cast["incident_lead"]
    cast.incident.opened_at = timezone.now() - timedelta(minutes=45)
    cast.incident.save(update_fields=["opened_at"])
    assert [a.rule for a in coach.next_actions(cast.incident, lead)] == [
        "acknowledge-incident",
        "first-statement-late",
    ]
    incident_acknowledge(incident=cast.incident, user=lead)
    cast.incident.refresh_from_db()
    assert [a.rule for a in coach.next_actions(cast.incident, lead)] == ["first-statement-late"]


def test_the_pr_lead_is_told_of_an_uncorrected_false_claim(cast):
    pr = cast["pr_lead"]
    claim = MisinformationClaim.objects.create(
        incident=cast.incident, claim="Beans are expired", status="false"
    )
    assert "correct-false-claim" in [a.rule for a in coach.next_actions(cast.incident, pr)]
    claim.correction = "Our beans are roasted weekly; see the statement."
    claim.save()
    assert "correct-false-claim" not in [a.rule for a in coach.next_actions(cast.incident, pr)]


def test_the_api_answers_the_token_users_next_actions(cast, api_for):
    submitted(cast)
    answer = api_for(cast["legal_counsel"]).get(f"/incidents/{cast.incident.pk}").json()
    assert [a["rule"] for a in answer["next_actions"]] == ["approve-statement"]
    assert answer["next_actions"][0]["role"] == "legal_counsel"
    assert answer["next_actions"][0]["link"].endswith(
        f"/playbook/statements/{answer['statements'][0]['id']}/"
    )
    other = api_for(cast["hr_representative"]).get(f"/incidents/{cast.incident.pk}").json()
    assert other["next_actions"] == []
    schema = Client().get("/api/v1/openapi.json").json()
    incident_schema = schema["components"]["schemas"]["Incident"]["properties"]
    assert incident_schema["next_actions"]["items"] == {"$ref": "#/components/schemas/NextAction"}
    assert "NextAction" in schema["components"]["schemas"]


def test_the_war_room_shows_each_viewer_their_own_actions(cast):
    approved_statement = approved(cast)
    client = Client()
    client.force_login(cast["social_media_manager"])
    page = client.get(f"/incidents/{cast.incident.pk}/").content.decode()
    assert 'id="next-actions"' in page
    assert f"Statement #{approved_statement.pk} is approved" in page
    client.force_login(cast["legal_counsel"])
    part = client.get(f"/incidents/{cast.incident.pk}/playbook/next-actions/").content.decode()
    assert "is approved" not in part
    assert "Nothing is waiting on you right now." in part


def test_a_viewers_panel_costs_a_fixed_number_of_queries(cast, django_assert_max_num_queries):
    from playbook.templatetags.playbook_tags import next_actions_oob

    for _ in range(3):
        submitted(cast)
    legal = cast["legal_counsel"]
    with django_assert_max_num_queries(16):
        html = next_actions_oob(cast.incident.pk, legal)
    assert html.count('class="next-action"') == 3
    assert 'hx-swap-oob="true"' in html
