"""A playbook that follows the work: checklist lines bound to events tick themselves
(who, when), steps follow their items; the rest tick with one click in place."""

from __future__ import annotations

from django.apps import apps
from django.test import Client

from playbook.choices import StepState
from playbook.models import ChecklistItemTemplate, PlaybookTemplate, RunChecklistItem, RunStep
from playbook.seed import BINDINGS, bind_checklists
from playbook.services import assessment, publishing, review, support
from playbook.tests.conftest import approved


def _item(cast, text: str) -> RunChecklistItem:  # type: ignore[no-untyped-def]
    return RunChecklistItem.objects.get(step__run__incident=cast.incident, text=text)


def _step(cast, number: int) -> RunStep:  # type: ignore[no-untyped-def]
    return RunStep.objects.get(run__incident=cast.incident, number=number)


def test_the_default_template_binds_the_lines_the_work_can_tick():
    template = PlaybookTemplate.objects.get(is_default=True)
    bound = ChecklistItemTemplate.objects.filter(step__template=template).exclude(event="")
    assert sorted(bound.values_list("text", flat=True)) == sorted(BINDINGS)


def test_assigning_the_team_ticks_step_one_as_the_person_who_assigned(cast):
    lead = _item(cast, "Assign an incident lead")
    assert lead.done and lead.done_by == cast["admin"] and lead.done_at is not None
    assert _item(cast, "Notify everyone assigned").done
    assert not _item(cast, "Open the war room and agree how often to meet").done
    assert _step(cast, 1).state == StepState.IN_PROGRESS
    assert cast.incident.timeline.filter(message__contains="ticked itself").exists()


def test_the_assessment_ticks_what_it_holds(cast):
    by = cast["incident_lead"]
    assessment.assessment_update(incident=cast.incident, by=by, key_voices="@critic")
    assert not _item(cast, "Classify the crisis and choose the response level").done
    assessment.assessment_update(incident=cast.incident, by=by, classification="product_issue")
    classify = _item(cast, "Classify the crisis and choose the response level")
    assert classify.done and classify.done_by == by
    assert not _item(cast, "Find the original source and verify the facts").done
    assessment.assessment_update(incident=cast.incident, by=by, original_source="A forum post")
    assert _item(cast, "Find the original source and verify the facts").done
    assessment.claim_record(incident=cast.incident, by=by, claim="Beans are toxic")
    assert _item(cast, "Record claims in the misinformation ledger").done


def test_the_statement_pause_and_channels_tick_steps_three_to_six(cast):
    statement = approved(cast)
    assert _item(cast, "Draft the statement and its channel variants").done_by == cast["pr_lead"]
    approved_item = _item(cast, "Get the statement approved")
    assert approved_item.done and approved_item.done_by == cast["executive_lead"]
    smm = cast["social_media_manager"]
    # pausing posting is the incident lead's (or an admin's) call
    publishing.outbound_pause(by=cast["incident_lead"], reason="Crisis", incident=cast.incident)
    assert _item(cast, "Pause scheduled posts").done
    publishing.statement_publish(statement=statement, by=smm, manual_url="https://acme.example/s")
    assert _item(cast, "Publish the approved statement").done_by == smm
    assert _step(cast, 4).state == StepState.IN_PROGRESS  # "keep monitoring" is a person's call
    website = cast.incident.channel_updates.get(channel="website")
    support.channel_update_set(update=website, by=smm, state="in_progress")
    assert not _item(cast, "Update the website and blog").done
    support.channel_update_set(update=website, by=smm, state="done")
    assert _item(cast, "Update the website and blog").done
    assert not _item(cast, "Update social profiles and pinned posts").done


def test_every_line_of_a_step_done_makes_the_step_done(cast):
    smm = cast["social_media_manager"]
    for channel in ("website", "social", "ads", "phone"):
        update = cast.incident.channel_updates.get(channel=channel)
        support.channel_update_set(update=update, by=smm, state="not_needed")
    step = _step(cast, 6)
    assert step.state == StepState.DONE and step.completed_at is not None


def test_resuming_and_the_review_tick_step_seven(cast):
    lead = cast["incident_lead"]
    publishing.outbound_pause(by=lead, reason="Crisis", incident=cast.incident)
    publishing.outbound_resume(by=lead, incident=cast.incident)
    assert _item(cast, "Resume scheduled posts").done
    review.review_update(incident=cast.incident, by=lead, root_cause="Roaster fault", lessons="")
    assert not _item(cast, "Hold the post-crisis review: root cause, lessons, policy changes").done
    review.review_update(
        incident=cast.incident, by=lead, root_cause="Roaster fault", lessons="Check roasters"
    )
    assert _item(cast, "Hold the post-crisis review: root cause, lessons, policy changes").done


def test_the_data_migration_binds_an_existing_template(cast):
    ChecklistItemTemplate.objects.update(event="", event_detail="")
    RunChecklistItem.objects.filter(done=False).update(event="", event_detail="")
    bind_checklists(apps)
    item = ChecklistItemTemplate.objects.get(text="Pause scheduled posts")
    assert item.event == "outbound.paused"
    assert _item(cast, "Pause scheduled posts").event == "outbound.paused"


def test_one_click_ticks_an_item_in_place(cast):
    item = _item(cast, "Open the war room and agree how often to meet")
    client = Client(HTTP_HX_REQUEST="true")
    client.force_login(cast["incident_lead"])
    url = f"/incidents/{cast.incident.pk}/playbook/items/{item.pk}/toggle/"
    response = client.post(url, {"set": "1", "done": "on"})
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith(f'<li id="pb-item-{item.pk}"')
    assert f'id="pb-check-{item.pk}" checked' in html and "<label>" in html
    item.refresh_from_db()
    assert item.done and item.done_by == cast["incident_lead"]
    # Sent twice (two clicks crossing): the state is what the box says, not a toggle.
    client.post(url, {"set": "1", "done": "on"})
    item.refresh_from_db()
    assert item.done
    client.post(url, {"set": "1"})
    item.refresh_from_db()
    assert not item.done


def test_someone_off_the_team_cannot_tick_and_sees_the_boxes_disabled(cast):
    item = _item(cast, "Open the war room and agree how often to meet")
    client = Client(HTTP_HX_REQUEST="true")
    client.force_login(cast["outsider"])
    page = client.get(f"/incidents/{cast.incident.pk}/playbook/")
    assert 'class="pb-items-set" disabled' in page.content.decode()
    url = f"/incidents/{cast.incident.pk}/playbook/items/{item.pk}/toggle/"
    assert client.post(url, {"set": "1", "done": "on"}).status_code == 403
    item.refresh_from_db()
    assert not item.done
