"""The replies page and the war-room feed: who may draft, approve and send, the
answered mark on the mention, and bad input answered 4xx without losing the text."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from monitoring.models import Mention, Source
from playbook.choices import ReplyState
from playbook.models import MentionReply
from playbook.tests.conftest import approved

TEXT = "We are sorry. We are refunding every order by Friday."


def _mention(brand, followers: int = 150000, external_id: str = "M.1"):  # type: ignore[no-untyped-def]
    source, _ = Source.objects.get_or_create(kind="ptt", key="ptt", defaults={"platform": "ptt"})
    return Mention.objects.create(
        source=source,
        external_id=external_id,
        brand=brand,
        platform="ptt",
        text="燒焦的咖啡 never again",
        author="angry",
        author_followers=followers,
        url="https://www.ptt.cc/bbs/x/M.1.html",
        published_at=timezone.now(),
        sentiment_label="negative",
    )


def _as(client, user):  # type: ignore[no-untyped-def]
    client.force_login(user)
    return client


def test_a_member_answers_by_hand_and_the_feed_says_answered_by(client, cast, brand):
    statement = approved(cast)
    mention = _mention(brand)
    pk = cast.incident.pk
    page = _as(client, cast["social_media_manager"]).get(
        reverse("playbook:replies", args=[pk]) + f"?mention={mention.pk}"
    )
    assert page.status_code == 200
    html = page.content.decode()
    assert "燒焦的咖啡" in html and f'data-statement="{statement.pk}"' in html
    response = client.post(
        reverse("playbook:reply-new", args=[pk]),
        {"mention": mention.pk, "text": f"@angry {TEXT}", "statement": statement.pk, "target": ""},
    )
    assert response.status_code == 302
    reply = MentionReply.objects.get(mention=mention)
    assert reply.state == ReplyState.APPROVED
    response = client.post(
        reverse("playbook:reply-action", args=[pk, reply.pk, "send"]),
        {"url": "https://www.ptt.cc/bbs/x/M.2.html"},
    )
    assert response.status_code == 302
    reply.refresh_from_db()
    assert reply.state == ReplyState.MANUAL
    room = client.get(reverse("crisisroom:war-room", args=[pk])).content.decode()
    row = room[room.index(f'id="mention-{mention.pk}"') :]
    row = row[: row.index("</li>")]
    assert "answered by social-media-manager" in row
    assert 'data-reach="150000"' in row
    assert 'id="filter-unanswered"' in room


def test_the_feed_row_links_to_the_reply_form_in_chinese(client, cast, brand):
    mention = _mention(brand)
    user = cast["pr_lead"]
    user.language = "zh-hant"
    user.save()
    room = _as(client, user).get(reverse("crisisroom:war-room", args=[cast.incident.pk]))
    html = room.content.decode()
    assert f"?mention={mention.pk}#answer" in html
    assert "回覆" in html and "未回覆" in html


def test_bad_input_is_a_4xx_and_keeps_the_text(client, cast, brand):
    mention = _mention(brand)
    pk = cast.incident.pk
    _as(client, cast["pr_lead"])
    response = client.post(
        reverse("playbook:reply-new", args=[pk]),
        {"mention": mention.pk, "text": "x" * 5001, "target": ""},
    )
    assert response.status_code == 400
    assert "x" * 5001 in response.content.decode()
    response = client.post(
        reverse("playbook:reply-new", args=[pk]), {"mention": "nope", "text": "hello"}
    )
    assert response.status_code == 400
    assert MentionReply.objects.count() == 0


def test_owner_member_outsider(client, cast, brand, alice):
    """The admin (owner of the organisation) and a team member may draft; an outsider
    and a viewer are refused 403; approval needs the role, never the author."""
    mention = _mention(brand)
    pk = cast.incident.pk
    new = reverse("playbook:reply-new", args=[pk])
    for person, status in (("outsider", 403), ("viewer", 403), ("viewer_on_team", 403)):
        response = _as(client, cast[person]).post(new, {"mention": mention.pk, "text": "hi"})
        assert response.status_code == status, person
    assert _as(client, alice).post(new, {"mention": mention.pk, "text": "hi"}).status_code == 302
    assert MentionReply.objects.count() == 1
    reply = MentionReply.objects.get()
    assert reply.state == ReplyState.AWAITING
    approve = reverse("playbook:reply-action", args=[pk, reply.pk, "approve"])
    assert _as(client, alice).post(approve).status_code == 403  # no role on the team
    assert _as(client, cast["outsider"]).post(approve).status_code == 403
    send = reverse("playbook:reply-action", args=[pk, reply.pk, "send"])
    response = _as(client, cast["pr_lead"]).post(send, {"url": "https://ptt.cc/x"})
    assert response.status_code == 409
    assert _as(client, cast["legal_counsel"]).post(approve).status_code == 302
    page = _as(client, cast["executive_lead"]).get(reverse("playbook:replies", args=[pk]))
    assert f"/replies/{reply.pk}/approve/" in page.content.decode()
    assert client.post(approve).status_code == 302
    reply.refresh_from_db()
    assert reply.state == ReplyState.APPROVED


def test_the_explorer_row_links_to_the_reply_and_shows_who_answered(client, cast, brand):
    answered = _mention(brand)
    others = [_mention(brand, external_id=f"M.x{i}") for i in range(5)]
    reply = MentionReply.objects.create(
        incident=cast.incident,
        mention=answered,
        text=TEXT,
        state=ReplyState.MANUAL,
        sent_by=cast["pr_lead"],
        sent_at=timezone.now(),
        external_url="https://www.ptt.cc/bbs/x/M.3.html",
    )
    _as(client, cast["pr_lead"])
    with CaptureQueriesContext(connection) as few:
        html = client.get("/mentions/").content.decode()
    assert html.count(f"/incidents/{cast.incident.pk}/playbook/replies/?mention=") == 6
    row = html[html.index(f'id="mention-{answered.pk}"') :]
    row = row[: row.index("</tr>")]
    assert "answered by pr-lead" in row and reply.external_url in row
    assert (
        "answered by"
        not in html[html.index(f'id="mention-{others[0].pk}"') :][:2000].split("</tr>")[0]
    )
    for i in range(20):
        _mention(brand, external_id=f"M.y{i}")
    with CaptureQueriesContext(connection) as many:
        more = client.get("/mentions/").content.decode()
    assert more.count("/playbook/replies/?mention=") == 26
    assert len(many) == len(few)  # the page's reply marks: two queries, not one a row
