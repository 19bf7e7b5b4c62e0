"""Mentions in a language no sentiment model covers: stored unscored, counted apart."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client

from monitoring.ingest import mentions_ingest
from monitoring.models import Mention, Rollup

pytestmark = pytest.mark.django_db

NOW = datetime.now(UTC).replace(microsecond=0)


def item(n, text, **extra):  # type: ignore[no-untyped-def]
    return {
        "source": "twitter",
        "external_id": f"u{n}",
        "text": text,
        "published_at": (NOW - timedelta(seconds=n)).isoformat(),
        **extra,
    }


@pytest.fixture
def mixed(brand):  # type: ignore[no-untyped-def]
    mentions_ingest(
        items=[
            item(1, "Acme Coffee is awful, I want a refund"),
            item(2, "Acme Coffee latte is wonderful, love it"),
            item(3, "Acme Coffee: el servicio es pésimo, nunca más"),  # Spanish
            item(4, "Acme Coffeeのラテは最悪です"),  # Japanese
            item(5, "Acme Coffee 😡😡"),  # no function words: counted as English
            item(6, "Acme Coffee great", lang="ko"),  # the caller says Korean
        ]
    )
    return {m.external_id: m for m in Mention.objects.all()}


def test_other_languages_are_stored_unscored_and_counted_apart(brand, mixed):
    labels = {k: m.sentiment_label for k, m in mixed.items()}
    assert labels["u1"] == "negative"
    assert labels["u2"] == "positive"
    assert labels["u3"] == labels["u4"] == labels["u6"] == "unscored"
    assert mixed["u3"].sentiment_score == 0.0
    assert labels["u5"] in ("negative", "neutral", "positive")
    rollups = Rollup.objects.filter(brand=brand)
    total = {
        k: sum(getattr(r, k) for r in rollups)
        for k in ("count", "negative", "neutral", "positive", "unscored")
    }
    assert total["count"] == 6
    assert total["unscored"] == 3
    assert total["negative"] + total["neutral"] + total["positive"] == 3


def test_the_explorer_filters_and_shows_unscored(bob, charlie, mixed):
    client = Client()
    client.force_login(charlie)
    body = client.get("/mentions/?sentiment=unscored").content.decode()
    assert 'data-external-id="u3"' in body and 'data-external-id="u4"' in body
    assert 'data-external-id="u1"' not in body
    assert "—" in body
    assert 'value="unscored"' in body  # the filter offers it


def test_a_correction_moves_an_unscored_mention_into_a_sentiment_column(bob, brand, mixed):
    client = Client()
    client.force_login(bob)
    mention = mixed["u3"]
    assert client.post(f"/mentions/{mention.pk}/label/", {"label": "negative"}).status_code == 302
    mention.refresh_from_db()
    assert mention.sentiment_label == "negative"
    rollups = Rollup.objects.filter(brand=brand)
    assert sum(r.unscored for r in rollups) == 2
    assert (
        sum(r.negative for r in rollups)
        == Mention.objects.filter(sentiment_label="negative").count()
    )
    # people correct to a sentiment; "unscored" is not a correction
    response = client.post(f"/mentions/{mixed['u1'].pk}/label/", {"label": "unscored"})
    assert response.status_code == 302  # back to the list with an error message
    assert Mention.objects.get(pk=mixed["u1"].pk).sentiment_label == "negative"


def test_the_api_filters_unscored(api_for, bob, mixed):  # type: ignore[no-untyped-def]
    response = api_for(bob).get("/mentions", sentiment="unscored")
    assert response.status_code == 200
    assert {m["external_id"] for m in response.json()["mentions"]} == {"u3", "u4", "u6"}
    assert api_for(bob).get("/mentions", sentiment="angry").status_code == 400
