from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail

from crisisroom.models import Incident, OnCallEntry
from monitoring.ingest import mentions_ingest
from monitoring.models import Brand, Mention, Signal, WatchTerm
from monitoring.services import brand_detect

pytestmark = pytest.mark.django_db


def item(n: int, text: str, **extra):  # type: ignore[no-untyped-def]
    return {
        "source": "twitter",
        "external_id": f"m{n}",
        "text": text,
        "published_at": extra.pop("published_at", datetime.now(UTC).isoformat()),
        **extra,
    }


def test_brands_are_matched_case_and_width_insensitively_and_in_chinese(brand):
    other = Brand.objects.create(name="Beta", slug="beta")
    WatchTerm.objects.create(brand=other, kind="hashtag", query="#BetaBank")
    mentions_ingest(
        items=[
            item(1, "ＡＣＭＥ　ＣＯＦＦＥＥ is great"),  # full-width
            item(2, "我昨天去了acme咖啡，服務很差"),  # no spaces, mixed case
            item(3, "Selling my acme coffee grinder, barely used"),  # exclusion
            item(4, "Nothing to see at #betabank today"),
            item(5, "acmecoffeeshop is a different thing"),  # Latin terms match at word boundaries
        ]
    )
    brands = dict(Mention.objects.values_list("external_id", "brand__slug"))
    assert brands == {
        "m1": "acme-coffee",
        "m2": "acme-coffee",
        "m3": None,
        "m4": "beta",
        "m5": None,
    }


def test_language_and_sentiment_are_scored_on_ingest(brand):
    mentions_ingest(
        items=[
            item(1, "Acme Coffee is awful, the worst service I have ever had"),
            item(2, "Acme Coffee is wonderful, I love this place!"),
            item(3, "Acme咖啡的服務太差了，非常失望"),
        ]
    )
    rows = {m.external_id: m for m in Mention.objects.all()}
    assert rows["m1"].sentiment_label == "negative" and rows["m1"].sentiment_score < 0
    assert rows["m2"].sentiment_label == "positive" and rows["m2"].sentiment_score > 0
    assert rows["m3"].lang == "zh-hant"
    assert rows["m3"].sentiment_label == "negative"
    assert rows["m1"].lang == "en"


def test_given_lang_is_normalised(brand):
    mentions_ingest(
        items=[item(1, "Acme Coffee", lang="zh-TW"), item(2, "Acme Coffee", lang="EN-us")]
    )
    assert dict(Mention.objects.values_list("external_id", "lang")) == {"m1": "zh-hant", "m2": "en"}


def test_a_lang_too_long_for_the_column_rejects_that_item_only(brand):
    result = mentions_ingest(
        items=[
            item(1, "Acme Coffee", lang="abcdefghijklmnop"),
            item(2, "Acme Coffee", lang="zh-Hant-TW-x-private"),
        ]
    )
    assert result.as_dict() == {
        "accepted": 1,
        "duplicates": 0,
        "rejected": [{"index": 0, "error": "lang is longer than 10 characters"}],
    }
    assert list(Mention.objects.values_list("external_id", flat=True)) == ["m2"]


def test_trigger_phrases_are_recorded(brand):
    mentions_ingest(
        items=[
            item(1, "Boycott Acme Coffee now"),
            item(2, "抵制Acme咖啡"),
            item(3, "Acme Coffee ok"),
        ]
    )
    assert dict(Mention.objects.values_list("external_id", "triggers")) == {
        "m1": "boycott",
        "m2": "抵制",
        "m3": "",
    }


def test_negative_trigger_phrase_posts_open_one_incident_and_page_on_call(
    brand, bob, django_capture_on_commit_callbacks
):
    OnCallEntry.objects.create(user=bob)
    texts = [
        "Boycott Acme Coffee, they stole our points, terrible",
        "I will boycott Acme Coffee forever, awful scam",
        "Acme Coffee is a scam, disgusting behaviour",
    ]
    with django_capture_on_commit_callbacks(execute=True):
        mentions_ingest(items=[item(i, t) for i, t in enumerate(texts)])
    incident = Incident.objects.get(brand=brand)
    assert incident.status == "open"
    signal = Signal.objects.get(brand=brand, kind="trigger_phrase")
    assert signal.incident == incident
    assert (signal.observed, signal.threshold) == (3, 3)
    assert "boycott" in signal.detail["phrases"]
    assert len(mail.outbox) == 1
    # More of the same: the open incident gathers signals, no second incident, no second page.
    with django_capture_on_commit_callbacks(execute=True):
        mentions_ingest(items=[item(10 + i, t) for i, t in enumerate(texts)])
        brand_detect(brand_id=brand.pk)
    assert Incident.objects.filter(brand=brand).count() == 1
    assert len(mail.outbox) == 1


def test_two_trigger_posts_are_not_enough(brand):
    mentions_ingest(
        items=[item(1, "Boycott Acme Coffee, awful"), item(2, "Acme Coffee scam, terrible")]
    )
    assert not Incident.objects.exists()


def test_old_posts_do_not_open_incidents_now(brand):
    old = (datetime.now(UTC) - timedelta(days=3)).isoformat()
    mentions_ingest(
        items=[item(i, "Boycott Acme Coffee, awful scam", published_at=old) for i in range(6)]
    )
    assert not Incident.objects.exists()


def test_detection_is_queued_once_per_brand_until_it_starts(
    brand, monkeypatch, django_capture_on_commit_callbacks
):
    from monitoring import tasks

    queued: list[int] = []
    monkeypatch.setattr(tasks.brand_detect_task, "delay", queued.append)
    with django_capture_on_commit_callbacks(execute=True):
        mentions_ingest(items=[item(1, "Acme Coffee one")])
    with django_capture_on_commit_callbacks(execute=True):
        mentions_ingest(items=[item(2, "Acme Coffee two")])
    assert queued == [brand.pk]  # the second batch is seen by the run already queued
    tasks.brand_detect_task(brand.pk)  # the run starts: batches from now on queue again
    with django_capture_on_commit_callbacks(execute=True):
        mentions_ingest(items=[item(3, "Acme Coffee three")])
    assert queued == [brand.pk, brand.pk]
