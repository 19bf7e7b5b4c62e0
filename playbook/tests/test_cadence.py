"""Keeping the public informed: the update cadence (per response level, overridden
per incident), "next public update due in …" in the war room, live, and a reminder
to the incident lead once per overdue period through the durable alert path."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from crisisroom.consumers import IncidentConsumer
from crisisroom.models import Alert, Incident
from crisisroom.services.alert_delivery import alerts_sweep
from playbook import selectors
from playbook.models import Statement, UpdateCadence
from playbook.services import assessment, base, cadence, publishing
from playbook.tests.conftest import approved


def _opened_ago(incident: Incident, minutes: int) -> Incident:
    Incident.objects.filter(pk=incident.pk).update(
        opened_at=timezone.now() - timedelta(minutes=minutes)
    )
    return Incident.objects.get(pk=incident.pk)


def _reminders() -> list:  # type: ignore[type-arg]
    return [m for m in mail.outbox if "Public update overdue" in m.subject]


def test_the_cadence_follows_the_response_level_and_an_override_wins(cast):
    incident = _opened_ago(cast.incident, 20)
    due = selectors.update_due(incident)
    assert (due["every"], due["source"], due["overridden"]) == (60, "opened", False)
    assert due["minutes_left"] == 40 and not due["overdue"]
    assessment.assessment_update(
        incident=incident, by=cast["incident_lead"], response_level="full_campaign"
    )
    assert selectors.update_due(incident)["every"] == 30
    UpdateCadence.objects.filter(response_level="full_campaign").update(minutes=15)  # data
    due = selectors.update_due(incident)
    assert due["every"] == 15 and due["overdue"] and due["overdue_by"] == 5
    cadence.update_cadence_set(incident=incident, by=cast["incident_lead"], minutes=90)
    due = selectors.update_due(incident)
    assert (due["every"], due["overridden"], due["minutes_left"]) == (90, True, 70)
    assert incident.timeline.filter(message__contains="every 90 minutes").exists()
    with pytest.raises(base.InvalidInput):
        cadence.update_cadence_set(incident=incident, by=cast["incident_lead"], minutes=1)


def test_publishing_a_statement_starts_the_next_period(cast):
    incident = _opened_ago(cast.incident, 90)
    assert selectors.update_due(incident)["overdue"]
    statement = approved(cast)
    publishing.statement_publish(
        statement=statement, by=cast["social_media_manager"], manual_url="https://x.test/1"
    )
    published_at = Statement.objects.get(pk=statement.pk).published_at
    due = selectors.update_due(incident)
    assert due["source"] == "statement" and due["last_at"] == published_at
    assert due["due_at"] == published_at + timedelta(minutes=60)
    assert not due["overdue"] and due["minutes_left"] == 60


@pytest.mark.parametrize(
    ("lang", "due_text", "overdue_text"),
    [
        ("en", "Next public update due in 23 min", "Public update overdue by 10 min"),
        ("zh-hant", "下次公開更新：23 分鐘後到期", "公開更新已逾時 10 分鐘"),
    ],
)
def test_the_war_room_says_when_the_next_update_is_due(client, cast, lang, due_text, overdue_text):
    user = cast["pr_lead"]
    user.language = lang
    user.save(update_fields=["language"])
    client.force_login(user)
    incident = cast.incident
    Incident.objects.filter(pk=incident.pk).update(
        opened_at=timezone.now() - timedelta(minutes=37, seconds=10)
    )
    assert due_text in client.get(f"/incidents/{incident.pk}/").content.decode()
    _opened_ago(incident, 70)
    page = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert overdue_text in page and 'class="cadence overdue"' in page


def test_the_pushed_line_is_the_pages_partial_swapped_out_of_band(cast):
    incident = _opened_ago(cast.incident, 50)
    payload = selectors.update_due_json(incident)
    html = IncidentConsumer()._render(payload, cast["pr_lead"])
    assert 'id="update-cadence"' in html and 'hx-swap-oob="true"' in html
    assert "Next public update due in 10 min" in html


def test_the_lead_is_reminded_once_per_overdue_period(cast, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    incident = _opened_ago(cast.incident, 61)
    lead = cast["incident_lead"]
    alerts_sweep()
    reminders = _reminders()
    assert [m.to for m in reminders] == [[lead.email]]
    assert "Burnt beans" in reminders[0].subject
    assert f"/incidents/{incident.pk}/" in reminders[0].body
    assert incident.timeline.filter(message__contains="reminding incident-lead").count() == 1
    alerts_sweep()  # the same overdue period: nothing more
    alerts_sweep(now=timezone.now() + timedelta(minutes=30))
    assert len(_reminders()) == 1
    alerts_sweep(now=timezone.now() + timedelta(minutes=61))  # a whole cadence later
    assert len(_reminders()) == 2
    rows = Alert.objects.filter(incident=incident, reason__startswith="update-due-")
    assert rows.count() == 2 and all(a.recipient_id == lead.pk for a in rows)
    assert all(a.status == "sent" for a in rows)


def test_no_reminder_before_due_after_an_update_or_when_closed(cast, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    incident = _opened_ago(cast.incident, 59)
    alerts_sweep()
    assert _reminders() == []
    _opened_ago(incident, 120)
    statement = approved(cast)
    publishing.statement_publish(
        statement=statement, by=cast["social_media_manager"], manual_url="https://x.test/1"
    )
    alerts_sweep()
    assert _reminders() == []
    Incident.objects.filter(pk=incident.pk).update(status="resolved")
    alerts_sweep(now=timezone.now() + timedelta(hours=5))
    assert _reminders() == []


def test_the_reminder_speaks_the_leads_language(cast, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    lead = cast["incident_lead"]
    lead.language = "zh-hant"
    lead.save(update_fields=["language"])
    _opened_ago(cast.incident, 61)
    alerts_sweep()
    [reminder] = [m for m in mail.outbox if "公開更新已逾時" in m.subject]
    assert "您是這個事件的負責人" in reminder.body


def test_the_cadence_form_saves_and_a_viewer_cannot(client, cast):
    incident = cast.incident
    client.force_login(cast["incident_lead"])
    response = client.post(f"/incidents/{incident.pk}/playbook/cadence/", {"minutes": "45"})
    assert response.status_code == 302
    assert selectors.update_due(incident)["every"] == 45
    client.post(f"/incidents/{incident.pk}/playbook/cadence/", {"minutes": ""})
    assert selectors.update_due(incident)["every"] == 60
    client.force_login(cast["viewer"])
    response = client.post(f"/incidents/{incident.pk}/playbook/cadence/", {"minutes": "10"})
    assert response.status_code == 403
    assert selectors.update_due(incident)["every"] == 60
