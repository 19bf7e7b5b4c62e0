"""Comments as mentions of their own (reply_to) and reaction counts through ingest."""

from __future__ import annotations

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
