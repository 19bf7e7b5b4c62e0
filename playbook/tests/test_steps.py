"""The steps as data and the work of each step."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from foundation.permissions import PermissionDenied
from monitoring.models import Mention, Source
from playbook import selectors
from playbook.models import (
    ChannelUpdate,
    MessageTemplate,
    PlaybookTemplate,
    RunChecklistItem,
    RunStep,
)
from playbook.services import assessment, base, publishing, runs, statements, support
from playbook.tests.conftest import approved, drafted


def test_the_default_template_has_seven_steps_with_owners_and_checklists(db):
    template = PlaybookTemplate.objects.get(is_default=True)
    steps = list(template.steps.select_related("owner_role"))
    assert [s.number for s in steps] == [1, 2, 3, 4, 5, 6, 7]
    assert steps[0].title == "Assemble the team"
    assert steps[0].owner_role.slug == "incident_lead"
    assert [s.number for s in steps if s.needs_approval] == [3, 4]
    assert all(s.items.exists() for s in steps)


def test_an_opened_incident_gets_its_own_copy_of_the_playbook(cast):
    steps = RunStep.objects.filter(run__incident=cast.incident)
    assert steps.count() == 7
    assert cast.incident.timeline.filter(kind="playbook", message__contains="Playbook").exists()
    # Editing the template later does not change a running playbook.
    PlaybookTemplate.objects.get(is_default=True).steps.filter(number=1).update(title="Changed")
    assert steps.get(number=1).title == "Assemble the team"


def test_starting_the_playbook_twice_keeps_one_run(cast):
    assert runs.playbook_run_start(incident=cast.incident) == cast.incident.playbook_run
    assert RunStep.objects.filter(run__incident=cast.incident).count() == 7


def test_ticking_every_item_of_a_step_completes_it(cast):
    step = RunStep.objects.get(run__incident=cast.incident, number=1)
    for item in step.items.all():
        runs.checklist_item_set(item=item, done=True, by=cast["incident_lead"])
    step.refresh_from_db()
    assert step.state == "done"
    item = step.items.first()
    runs.checklist_item_set(item=item, done=False, by=cast["incident_lead"])
    step.refresh_from_db()
    assert step.state == "in_progress"


def test_the_approval_step_waits_for_an_approved_statement(cast):
    step = RunStep.objects.get(run__incident=cast.incident, number=3)
    for item in step.items.all():
        runs.checklist_item_set(item=item, done=True, by=cast["pr_lead"])
    step.refresh_from_db()
    assert step.state == "in_progress"
    approved(cast)
    step.refresh_from_db()
    assert step.state == "done"


def test_an_assigned_member_is_notified_by_email(cast, api_for, django_capture_on_commit_callbacks):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = api_for(cast["incident_lead"]).post(
            f"/incidents/{cast.incident.pk}/members",
            {"username": "olivia", "crisis_role": "legal_counsel"},
        )
    assert response.status_code == 201
    assert [m.to for m in mail.outbox] == [["olivia@example.com"]]
    assert "Legal counsel" in mail.outbox[0].subject


def test_only_roster_members_can_take_a_role(cast, api_for):
    response = api_for(cast["incident_lead"]).post(
        f"/incidents/{cast.incident.pk}/members",
        {"username": "olivia", "crisis_role": "hr_representative"},
    )
    assert response.status_code == 400
    assert "roster" in response.json()["error"]


def test_the_assessment_reads_scale_platforms_and_voices_from_the_mentions(cast, brand):
    source = Source.objects.create(kind="api", key="t", platform="twitter")
    now = timezone.now()
    cast.incident.started_at = now - timedelta(hours=1)
    rows = [
        ("twitter", "negative", 50000, "bigvoice"),
        ("twitter", "negative", 10, "a"),
        ("news", "negative", 200000, "Daily Paper"),
        ("forum", "positive", 5, "b"),
    ]
    for i, (platform, label, followers, author) in enumerate(rows):
        Mention.objects.create(
            source=source,
            external_id=str(i),
            brand=brand,
            platform=platform,
            text=f"post {i}",
            author=author,
            author_followers=followers,
            published_at=now - timedelta(minutes=10),
            sentiment_label=label,
        )
    figures = selectors.assessment_figures(cast.incident, now=now)
    assert figures["mentions"] == 4
    assert figures["reach"] == 250015
    assert figures["sentiment"]["negative"] == 3
    assert figures["platforms"][0]["platform"] == "news"
    assert figures["platforms"][-1]["platform"] == "forum"
    assert figures["key_voices"][0]["author"] == "Daily Paper"
    assert [m["author"] for m in figures["media"]] == ["Daily Paper"]


def test_classifying_the_crisis_sets_the_incident_category(cast):
    assessment.assessment_update(
        incident=cast.incident,
        by=cast["incident_lead"],
        classification="data_security",
        response_level="full_campaign",
    )
    cast.incident.refresh_from_db()
    assert cast.incident.category == "data_security"
    assert drafted(cast).response_level == "full_campaign"


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("en", "Assessment updated (classification, verified facts)"),
        ("zh-hant", "評估已更新（分類, 已查證事實）"),
    ],
)
def test_the_timeline_names_the_assessment_fields_that_changed_in_words(cast, lang, expected):
    """Not by their codes, and not every field the page sent (it sends all of them);
    in the reader's language, whichever language the writer had."""
    from django.utils import translation

    unchanged = {"original_source": "", "key_voices": "", "media_coverage": ""}
    with translation.override("en" if lang == "zh-hant" else "zh-hant"):
        assessment.assessment_update(
            incident=cast.incident,
            by=cast["incident_lead"],
            **unchanged,
            response_level="statement",  # the default
            verified_facts="One roaster overheated",
            classification="product_issue",
        )
    with translation.override(lang):
        lines = [event.text for event in cast.incident.timeline.all()]
    assert expected in lines, lines


def test_pausing_and_resuming_scheduled_posts_are_both_logged(cast):
    publishing.outbound_pause(by=cast["incident_lead"], reason="Crisis", incident=cast.incident)
    with pytest.raises(base.TransitionRefused):
        publishing.outbound_pause(by=cast["incident_lead"], reason="x", incident=cast.incident)
    pause = publishing.outbound_resume(by=cast["incident_lead"], incident=cast.incident)
    assert pause.resumed_at is not None
    messages = list(cast.incident.timeline.values_list("message", flat=True))
    assert "Scheduled posts paused: Crisis" in messages
    assert f"Scheduled posts resumed by incident-lead from incident #{cast.incident.pk}" in messages


def test_support_scripts_come_only_from_an_approved_statement(cast):
    statements.question_add(
        incident=cast.incident,
        by=cast["pr_lead"],
        question="Will I get a refund?",
        answer="Yes, by Friday.",
    )
    with pytest.raises(base.TransitionRefused):
        support.support_script_create(statement=drafted(cast), by=cast["pr_lead"])
    statement = approved(cast)
    script = support.support_script_create(statement=statement, by=cast["pr_lead"])
    assert statement.body in script.body
    assert "Will I get a refund?" in script.body


def test_the_channel_checklist_has_every_channel_with_owner_and_state(cast):
    updates = ChannelUpdate.objects.filter(incident=cast.incident)
    assert sorted(updates.values_list("channel", flat=True)) == sorted(
        ["website", "blog", "social", "email", "ads", "phone", "stores"]
    )
    website = updates.get(channel="website")
    support.channel_update_set(
        update=website, by=cast["social_media_manager"], state="done", owner=cast["pr_lead"]
    )
    website.refresh_from_db()
    assert (website.state, website.owner) == ("done", cast["pr_lead"])


def test_only_admins_mark_message_templates_pre_approved(cast):
    template = MessageTemplate.objects.first()
    with pytest.raises(PermissionDenied):
        statements.message_template_pre_approve(template=template, by=cast["legal_counsel"])
    statements.message_template_pre_approve(template=template, by=cast["admin"])
    template.refresh_from_db()
    assert template.pre_approved


def test_a_statement_can_start_from_a_message_template(cast):
    template = MessageTemplate.objects.get(kind="holding", lang="en")
    statement = statements.statement_create(
        incident=cast.incident, by=cast["pr_lead"], body="", template=template
    )
    assert "{issue}" in statement.body


def test_the_incident_api_lists_steps_with_state_and_statements(cast, api_for):
    item = RunChecklistItem.objects.filter(step__run__incident=cast.incident, event="").first()
    runs.checklist_item_set(item=item, done=True, by=cast["incident_lead"])
    drafted(cast)
    body = api_for(cast["viewer"]).get(f"/incidents/{cast.incident.pk}").json()
    assert body["playbook"][0]["state"] == "in_progress"
    assert body["playbook"][0]["checklist"][0]["done"] is True
    assert body["statements"][0]["state"] == "draft"
    assert body["statements"][0]["required_roles"] == ["legal_counsel", "executive_lead"]
