"""Mention retention: old raw mentions go in batches; rollups, incidents' mentions and
corrected mentions stay."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings as django_settings

from crisisroom.embedded import run_due
from crisisroom.retention import mentions_retention_apply
from crisisroom.services.incidents import incident_open
from monitoring.ingest import mentions_ingest
from monitoring.models import LabelCorrection, Mention, Rollup

pytestmark = pytest.mark.django_db

NOW = datetime.now(UTC).replace(microsecond=0)


def item(name: str, days_ago: float, **extra):  # type: ignore[no-untyped-def]
    return {
        "source": "twitter",
        "external_id": name,
        "text": f"Acme Coffee {name}",
        "published_at": (NOW - timedelta(days=days_ago)).isoformat(),
        **extra,
    }


def names() -> set[str]:
    return set(Mention.objects.values_list("external_id", flat=True))


def test_retention_is_off_by_default(brand):
    mentions_ingest(items=[item("ancient", 400)])
    assert django_settings.MENTION_RETENTION_DAYS == 0
    assert mentions_retention_apply() == 0
    assert names() == {"ancient"}


def test_old_mentions_go_in_batches_and_what_matters_stays(brand, bob, settings):
    settings.MENTION_RETENTION_DAYS = 30
    settings.MENTION_RETENTION_BATCH = 2
    mentions_ingest(
        items=[
            item("old-1", 60),
            item("old-2", 61),
            item("old-3", 62),
            item("old-original", 63),
            item("young-repost", 1, repost_of="old-original"),
            item("during-incident", 45),
            item("day-before-incident", 50.5),
            item("corrected", 70),
            item("young", 2),
        ]
    )
    corrected = Mention.objects.get(external_id="corrected")
    LabelCorrection.objects.create(
        mention=corrected, user=bob, old_label=corrected.sentiment_label, new_label="negative"
    )
    incident = incident_open(brand=brand, title="Old backlash", started_at=NOW - timedelta(days=50))
    incident.resolved_at = NOW - timedelta(days=44)
    incident.save(update_fields=["resolved_at"])
    rollups_before = list(Rollup.objects.order_by("pk").values_list("pk", "count"))

    assert mentions_retention_apply() == 4  # two full batches of 2, then an empty one
    assert names() == {
        "young-repost",
        "during-incident",
        "day-before-incident",
        "corrected",
        "young",
    }
    # The repost outlived its original: detached, not broken.
    assert Mention.objects.get(external_id="young-repost").repost_of_id is None
    assert list(Rollup.objects.order_by("pk").values_list("pk", "count")) == rollups_before
    assert mentions_retention_apply() == 0  # nothing left to do


def test_a_run_stops_after_its_batches_and_the_next_goes_on(brand, settings):
    settings.MENTION_RETENTION_DAYS = 30
    settings.MENTION_RETENTION_BATCH = 2
    settings.MENTION_RETENTION_MAX_BATCHES = 1
    mentions_ingest(items=[item(f"old-{n}", 40 + n) for n in range(5)])
    assert mentions_retention_apply() == 2
    assert mentions_retention_apply() == 2
    assert mentions_retention_apply() == 1
    assert names() == set()


@pytest.mark.django_db(transaction=True)  # run_due closes the connection between tasks
def test_the_schedule_runs_retention_in_embedded_mode_too(brand, settings):
    settings.MENTION_RETENTION_DAYS = 30
    mentions_ingest(items=[item("old", 90), item("young", 1)])
    entry = django_settings.CELERY_BEAT_SCHEDULE["prune-old-mentions"]
    assert entry["task"] == "crisisroom.tasks.mentions_retention_apply_task"
    others = dict.fromkeys(django_settings.CELERY_BEAT_SCHEDULE, 1e18)
    others.pop("prune-old-mentions")
    assert run_due(others, 0.0) == ["prune-old-mentions"]
    assert names() == {"young"}
