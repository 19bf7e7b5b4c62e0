"""Comments as mentions of their own (reply_to) and reaction counts through ingest."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from monitoring.ingest import mentions_ingest
from monitoring.models import Mention, Rollup, Source

pytestmark = pytest.mark.django_db

NOW = datetime.now(UTC).replace(microsecond=0)


def post(external_id: str, text: str, minutes: int = 0, **extra):  # type: ignore[no-untyped-def]
    return {
        "external_id": external_id,
        "text": text,
        "published_at": (NOW - timedelta(minutes=30 - minutes)).isoformat(),
        **extra,
    }


@pytest.fixture
def board(db) -> Source:  # type: ignore[no-untyped-def]
    return Source.objects.create(kind="ptt", key="ptt-mobilecomm", platform="ptt")


def test_comments_in_the_same_batch_point_at_their_post_and_take_its_brand(brand, board):
    result = mentions_ingest(
        source=board,
        items=[
            post("A1", "[問題] Acme咖啡 喝完肚子痛", reactions={"positive": 1, "negative": 2}),
            post("A1#1", "爛透了 退貨", 1, reply_to="A1"),
            post("A1#2", "我的沒事", 2, reply_to="A1"),
            post("B1", "[閒聊] 今天天氣好"),
            post("B1#1", "真的", 1, reply_to="B1"),
        ],
    )
    assert result.accepted == 5 and result.rejected == []
    rows = {m.external_id: m for m in Mention.objects.all()}
    article = rows["A1"]
    assert (article.reactions_positive, article.reactions_negative, article.reactions_neutral) == (
        1,
        2,
        0,
    )
    assert rows["A1#1"].reply_to_id == article.pk and rows["A1#2"].reply_to_id == article.pk
    # A push that names no brand is about the article's brand; one under an article
    # about nothing stays unattributed.
    assert rows["A1#1"].brand_id == brand.pk
    assert rows["B1#1"].reply_to_id == rows["B1"].pk and rows["B1#1"].brand_id is None
    assert sum(Rollup.objects.filter(brand=brand).values_list("count", flat=True)) == 3


def test_a_comment_on_a_post_stored_earlier_is_linked_and_the_post_reactions_refresh(brand, board):
    mentions_ingest(
        source=board,
        items=[post("A1", "Acme咖啡 太難喝", reactions={"positive": 0, "negative": 1})],
    )
    result = mentions_ingest(
        source=board,
        items=[
            post("A1", "Acme咖啡 太難喝", reactions={"positive": 2, "negative": 3, "neutral": 1}),
            post("A1#2", "同意", 5, reply_to="A1"),
            post("Z9#1", "孤兒推文", 5, reply_to="Z9"),  # its post was never stored
        ],
    )
    assert (result.accepted, result.duplicates) == (2, 1)
    article = Mention.objects.get(external_id="A1")
    assert (article.reactions_positive, article.reactions_negative, article.reactions_neutral) == (
        2,
        3,
        1,
    )
    reply = Mention.objects.get(external_id="A1#2")
    assert reply.reply_to_id == article.pk and reply.brand_id == brand.pk
    orphan = Mention.objects.get(external_id="Z9#1")
    assert orphan.reply_to_id is None and orphan.brand_id is None


@pytest.mark.parametrize(
    ("reactions", "error"),
    [
        ("lots", "reactions must be an object"),
        ({"positive": -1}, "reactions.positive"),
        ({"negative": "3"}, "reactions.negative"),
    ],
)
def test_bad_reactions_are_rejected_with_a_reason(brand, board, reactions, error):
    result = mentions_ingest(source=board, items=[post("A1", "Acme咖啡", reactions=reactions)])
    assert result.accepted == 0
    assert error in result.rejected[0]["error"]


def test_the_explorer_shows_comments_and_reactions_and_filters_a_platform_across_kinds(
    brand, board, charlie
):
    from django.test import Client

    from monitoring.models import SourceKind

    mentions_ingest(
        source=board,
        items=[
            post(
                "A1", "Acme咖啡 喝完肚子痛", reactions={"positive": 1, "negative": 4, "neutral": 2}
            ),
            post("A1#1", "噓 爛", 1, reply_to="A1"),
        ],
    )
    # A drill plays its PTT voices through a source named after the platform.
    mentions_ingest(
        source_kind=SourceKind.DRILL,
        items=[{**post("d1", "Acme咖啡 演練推文"), "source": "ptt"}],
    )
    mentions_ingest(items=[{**post("x1", "Acme咖啡 on X"), "source": "x"}])
    client = Client()
    client.force_login(charlie)
    page = client.get("/mentions/", {"platform": "ptt"}).content.decode()
    assert "噓 爛" in page and "演練推文" in page and "on X" not in page
    assert "reactions: 1 up, 4 down, 2 neutral" in page
    parent = Mention.objects.get(external_id="A1")
    assert f'href="#mention-{parent.pk}"' in page


def test_the_api_takes_reply_to_and_reactions_and_says_what_is_wrong(brand, bob, api_for):
    response = api_for(bob).post(
        "/mentions",
        [
            {**post("P1", "Acme咖啡 新品難喝", reactions={"positive": 3}), "source": "forum"},
            {**post("P1-c1", "同意", 1, reply_to="P1"), "source": "forum"},
            {**post("P1-c2", "?", 2, reactions={"up": "x", "negative": True}), "source": "forum"},
        ],
    )
    body = response.json()
    assert response.status_code == 200
    assert body["accepted"] == 2
    assert body["rejected"] == [
        {"index": 2, "error": "reactions.negative must be a whole number from 0 to 2147483647"}
    ]
    reply = Mention.objects.get(external_id="P1-c1")
    assert reply.reply_to.external_id == "P1" and reply.brand_id == brand.pk
    spec = api_for(bob).client.get("/api/v1/openapi.json").json()
    assert "reply_to" in json.dumps(spec) and "reactions" in json.dumps(spec)
