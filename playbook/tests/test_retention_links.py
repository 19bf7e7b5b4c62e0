"""Retention deletes mentions in SQL, and no link to a mention is a database
constraint (the table is partitioned on PostgreSQL): what points at a deleted
mention is released as its ``on_delete`` says, the team's replies included."""

from __future__ import annotations

from datetime import timedelta

from django.db import connection
from django.utils import timezone

from monitoring.models import LabelCorrection, Mention, Source
from monitoring.retention import mentions_prune
from playbook.choices import ReplyState
from playbook.models import MentionReply


def _mention(source, brand, name: str, days_ago: int, **links):  # type: ignore[no-untyped-def]
    return Mention.objects.create(
        source=source,
        external_id=name,
        brand=brand,
        platform="twitter",
        text=f"Acme Coffee {name}",
        published_at=timezone.now() - timedelta(days=days_ago),
        **links,
    )


def test_pruning_releases_replies_comments_and_reposts(cast, brand):
    source = Source.objects.create(kind="api", key="twitter", platform="twitter")
    old = _mention(source, brand, "old", 60)
    corrected = _mention(source, brand, "corrected", 60)
    LabelCorrection.objects.create(mention=corrected, old_label="neutral", new_label="negative")
    comment = _mention(source, brand, "comment", 1, reply_to=old)
    repost = _mention(source, brand, "repost", 1, repost_of=old)
    reply = MentionReply.objects.create(
        incident=cast.incident, mention=old, text="Sorry", state=ReplyState.SENT
    )
    assert mentions_prune(before=timezone.now() - timedelta(days=30)) == 1
    assert set(Mention.objects.values_list("external_id", flat=True)) == {
        "corrected",
        "comment",
        "repost",
    }
    comment.refresh_from_db()
    repost.refresh_from_db()
    reply.refresh_from_db()
    assert (comment.reply_to_id, repost.repost_of_id, reply.mention_id) == (None, None, None)
    assert LabelCorrection.objects.get().mention == corrected
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT external_id FROM monitoring_mention_key ORDER BY 1")
            assert [row[0] for row in cursor.fetchall()] == ["comment", "corrected", "repost"]
