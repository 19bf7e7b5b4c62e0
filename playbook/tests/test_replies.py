"""Answer from the feed: each rule of reply_create / reply_approve / reply_send, and the
Mastodon and Bluesky reply calls against a local server speaking their formats."""

from __future__ import annotations

import pytest
from django.utils import timezone

from crisisroom.models import TimelineEvent
from foundation.permissions import PermissionDenied
from monitoring.models import Mention, Source
from playbook import selectors
from playbook.choices import ReplyState, ResponseLevel
from playbook.models import ApprovalPolicy, Assessment, PublishTarget
from playbook.services import replies, statements
from playbook.tests.conftest import approved
from playbook.tests.fakesocial import serve

APPROVED_TEXT = "We are sorry. We are refunding every order by Friday."


@pytest.fixture
def social():  # type: ignore[no-untyped-def]
    state, server = serve()
    yield state
    server.shutdown()
    server.server_close()


def _mention(brand, platform: str, external_id: str, *, source_url: str = "", url: str = ""):  # type: ignore[no-untyped-def]
    source, _ = Source.objects.get_or_create(
        kind=platform if platform in ("mastodon", "bluesky") else "api",
        key=f"{platform}-src",
        defaults={"platform": platform, "url": source_url},
    )
    return Mention.objects.create(
        source=source,
        external_id=external_id,
        brand=brand,
        platform=platform,
        text="This coffee burnt my tongue, never again",
        author="angry",
        author_followers=120000,
        url=url,
        published_at=timezone.now(),
        sentiment_label="negative",
    )


def _target(social, kind: str):  # type: ignore[no-untyped-def]
    extra = {
        "mastodon": {"secret": "mastodon-token"},
        "bluesky": {"handle": "acme.bsky.social", "secret": "app-password"},
    }[kind]
    return PublishTarget.objects.create(name=kind, kind=kind, base_url=social.url, **extra)


def _level(incident, level: str) -> None:  # type: ignore[no-untyped-def]
    Assessment.objects.update_or_create(incident=incident, defaults={"response_level": level})


# --- rules ---------------------------------------------------------------------------


def test_a_reply_quoting_an_approved_statement_needs_no_approval(cast, brand):
    statement = approved(cast)
    mention = _mention(brand, "ptt", "M.1")
    reply = replies.reply_create(
        incident=cast.incident,
        mention=mention,
        by=cast["social_media_manager"],
        text=f"@angry {APPROVED_TEXT}",
        statement=statement,
    )
    assert reply.state == ReplyState.APPROVED
    assert reply.statement == statement
    assert reply.required_roles == []


def test_an_edited_quote_or_a_draft_statement_follows_the_policy(cast, brand):
    draft = statements.statement_create(incident=cast.incident, by=cast["pr_lead"], body="Soon.")
    mention = _mention(brand, "ptt", "M.2")
    edited = replies.reply_create(
        incident=cast.incident,
        mention=mention,
        by=cast["social_media_manager"],
        text="We are sorry, refunds maybe next week.",
        statement=approved(cast),
    )
    unapproved = replies.reply_create(
        incident=cast.incident,
        mention=mention,
        by=cast["social_media_manager"],
        text="Soon.",
        statement=draft,
    )
    for reply in (edited, unapproved):
        assert reply.state == ReplyState.AWAITING
        assert reply.statement is None
        assert reply.required_roles == ["legal_counsel", "executive_lead"]


def test_the_response_level_policy_decides_and_an_empty_policy_needs_nobody(cast, brand):
    policy = ApprovalPolicy.objects.get(response_level=ResponseLevel.CLARIFICATION)
    policy.required_roles.clear()
    _level(cast.incident, ResponseLevel.CLARIFICATION)
    mention = _mention(brand, "ptt", "M.3")
    reply = replies.reply_create(
        incident=cast.incident, mention=mention, by=cast["pr_lead"], text="Thanks, on it."
    )
    assert reply.state == ReplyState.APPROVED
    policy.required_roles.set(
        policy.required_roles.model.objects.filter(slug="pr_lead"), clear=True
    )
    reply = replies.reply_create(
        incident=cast.incident, mention=mention, by=cast["social_media_manager"], text="Hi."
    )
    assert reply.state == ReplyState.AWAITING
    assert reply.required_roles == ["pr_lead"]


def test_approval_needs_each_role_never_the_author_nor_twice(cast, brand):
    mention = _mention(brand, "ptt", "M.4")
    reply = replies.reply_create(
        incident=cast.incident, mention=mention, by=cast["legal_counsel"], text="We hear you."
    )
    with pytest.raises(replies.TransitionRefused, match="own draft"):
        replies.reply_approve(reply=reply, by=cast["legal_counsel"])
    with pytest.raises(PermissionDenied):
        replies.reply_approve(reply=reply, by=cast["pr_lead"])  # no required role
    with pytest.raises(PermissionDenied):
        replies.reply_approve(reply=reply, by=cast["outsider"])  # not on the team
    with pytest.raises(replies.TransitionRefused, match="Not approved"):
        replies.reply_send(reply=reply, by=cast["legal_counsel"], manual_url="https://ptt.cc/x")
    reply = replies.reply_approve(reply=reply, by=cast["executive_lead"])
    assert reply.state == ReplyState.AWAITING
    with pytest.raises(replies.TransitionRefused, match="already approved"):
        replies.reply_approve(reply=reply, by=cast["executive_lead"])
    assert replies.reply_missing_roles(reply) == ["legal_counsel"]


def test_a_second_person_in_the_missing_role_completes_it(cast, brand):
    mention = _mention(brand, "ptt", "M.5")
    reply = replies.reply_create(
        incident=cast.incident, mention=mention, by=cast["pr_lead"], text="We hear you."
    )
    replies.reply_approve(reply=reply, by=cast["executive_lead"])
    reply = replies.reply_approve(reply=reply, by=cast["legal_counsel"])
    assert reply.state == ReplyState.APPROVED
    with pytest.raises(replies.TransitionRefused, match="not waiting"):
        replies.reply_approve(reply=reply, by=cast["legal_counsel"])


def test_by_hand_needs_a_web_link_and_lands_on_the_timeline_and_the_mention(cast, brand):
    mention = _mention(brand, "ptt", "M.6")
    reply = replies.reply_create(
        incident=cast.incident,
        mention=mention,
        by=cast["social_media_manager"],
        text=APPROVED_TEXT,
        statement=approved(cast),
    )
    with pytest.raises(replies.InvalidInput, match="link"):
        replies.reply_send(reply=reply, by=cast["social_media_manager"])
    with pytest.raises(replies.InvalidInput, match="http"):
        replies.reply_send(
            reply=reply, by=cast["social_media_manager"], manual_url="javascript:alert(1)"
        )
    reply = replies.reply_send(
        reply=reply, by=cast["social_media_manager"], manual_url="https://www.ptt.cc/bbs/x.html"
    )
    assert reply.state == ReplyState.MANUAL
    assert reply.external_url == "https://www.ptt.cc/bbs/x.html"
    assert reply.sent_by == cast["social_media_manager"] and reply.sent_at
    event = TimelineEvent.objects.filter(incident=cast.incident, data__reply=reply.pk).last()
    assert "sent by social-media-manager" in event.message
    answered = selectors.replies_by_mention(cast.incident)
    assert answered[mention.pk].sent_by.get_username() == "social-media-manager"
    with pytest.raises(replies.TransitionRefused, match="already gone out"):
        replies.reply_send(reply=reply, by=cast["pr_lead"], manual_url="https://ptt.cc/y")


def test_bad_input_and_outsiders_are_refused(cast, brand, alice):
    mention = _mention(brand, "ptt", "M.7")
    with pytest.raises(replies.InvalidInput, match="Write"):
        replies.reply_create(incident=cast.incident, mention=mention, by=cast["pr_lead"], text=" ")
    with pytest.raises(replies.InvalidInput, match="at most"):
        replies.reply_create(
            incident=cast.incident, mention=mention, by=cast["pr_lead"], text="x" * 5001
        )
    for person in ("outsider", "viewer", "viewer_on_team", "no_role"):
        with pytest.raises(PermissionDenied):
            replies.reply_create(
                incident=cast.incident, mention=mention, by=cast[person], text="hello"
            )
    other = brand.__class__.objects.create(name="Other", slug="other")
    mention.brand = other
    mention.save()
    with pytest.raises(replies.InvalidInput, match="brand"):
        replies.reply_create(incident=cast.incident, mention=mention, by=alice, text="hello")


def test_a_drill_keeps_a_sandbox_record_and_calls_nobody(cast, brand, social):
    cast.incident.is_drill = True
    cast.incident.save()
    mention = _mention(brand, "mastodon", "109", source_url=social.url)
    reply = replies.reply_create(
        incident=cast.incident,
        mention=mention,
        by=cast["social_media_manager"],
        text=APPROVED_TEXT,
        statement=approved(cast),
        target=_target(social, "mastodon"),
    )
    reply = replies.reply_send(reply=reply, by=cast["social_media_manager"])
    assert reply.state == ReplyState.SANDBOX
    assert social.requests == []


# --- through the networks --------------------------------------------------------------


def _approved_reply(cast, mention, target):  # type: ignore[no-untyped-def]
    return replies.reply_create(
        incident=cast.incident,
        mention=mention,
        by=cast["social_media_manager"],
        text=APPROVED_TEXT,
        statement=approved(cast),
        target=target,
    )


def test_mastodon_replies_with_in_reply_to_id_and_an_idempotency_key(cast, brand, social):
    mention = _mention(brand, "mastodon", "109", source_url=social.url, url=social.url + "/@a/109")
    reply = _approved_reply(cast, mention, _target(social, "mastodon"))
    reply = replies.reply_send(reply=reply, by=cast["social_media_manager"])
    request = social.requests[-1]
    assert request.path == "/api/v1/statuses"
    assert request.body == {
        "status": APPROVED_TEXT,
        "visibility": "public",
        "in_reply_to_id": "109",
    }
    assert request.headers["Idempotency-Key"] == f"crisisroom-reply-{reply.pk}"
    assert reply.state == ReplyState.SENT
    assert reply.external_url.startswith(social.url + "/@acme/")
    with pytest.raises(replies.TransitionRefused):
        replies.reply_send(reply=reply, by=cast["social_media_manager"])
    assert len([r for r in social.requests if r.path == "/api/v1/statuses"]) == 1


def test_mastodon_resolves_a_post_read_on_another_server(cast, brand, social):
    url = "https://remote.example/@angry/42"
    mention = _mention(brand, "mastodon", "42", source_url="https://remote.example", url=url)
    reply = replies.reply_send(
        reply=_approved_reply(cast, mention, _target(social, "mastodon")),
        by=cast["social_media_manager"],
    )
    search, post = social.requests[-2:]
    assert search.path == "/api/v2/search"
    assert search.body["q"] == url and search.body["resolve"] == "true"
    assert search.headers["Authorization"] == "Bearer mastodon-token"
    assert post.body["in_reply_to_id"] == "777"
    assert reply.state == ReplyState.SENT


def test_a_failed_send_is_kept_and_the_retry_uses_the_same_key(cast, brand, social):
    mention = _mention(brand, "mastodon", "109", source_url=social.url)
    reply = _approved_reply(cast, mention, _target(social, "mastodon"))
    social.fail_with = 503
    reply = replies.reply_send(reply=reply, by=cast["social_media_manager"])
    assert reply.state == ReplyState.FAILED and "503" in reply.error
    social.fail_with = None
    reply = replies.reply_send(reply=reply, by=cast["social_media_manager"])
    assert reply.state == ReplyState.SENT and reply.attempts == 2
    keys = {r.headers["Idempotency-Key"] for r in social.requests if r.path == "/api/v1/statuses"}
    assert keys == {f"crisisroom-reply-{reply.pk}"}


def test_bluesky_fetches_the_cid_and_sends_root_and_parent_refs(cast, brand, social):
    uri = "at://did:plc:other/app.bsky.feed.post/top"
    mention = _mention(brand, "bluesky", uri)
    reply = replies.reply_send(
        reply=_approved_reply(cast, mention, _target(social, "bluesky")),
        by=cast["social_media_manager"],
    )
    get_posts = next(r for r in social.requests if r.path == "/xrpc/app.bsky.feed.getPosts")
    assert get_posts.body == {"uris": uri}
    assert get_posts.headers["Authorization"] == "Bearer jwt-access"
    record = social.requests[-1].body["record"]
    ref = {"uri": uri, "cid": "cid-top"}
    assert record["reply"] == {"root": ref, "parent": ref}
    assert reply.state == ReplyState.SENT and reply.external_id.startswith("at://")


def test_bluesky_reply_to_a_reply_keeps_the_thread_root(cast, brand, social):
    uri = "at://did:plc:other/app.bsky.feed.post/child"
    mention = _mention(brand, "bluesky", uri)
    replies.reply_send(
        reply=_approved_reply(cast, mention, _target(social, "bluesky")),
        by=cast["social_media_manager"],
    )
    record = social.requests[-1].body["record"]
    assert record["reply"]["root"] == {
        "uri": "at://did:plc:other/app.bsky.feed.post/root",
        "cid": "cidroot",
    }
    assert record["reply"]["parent"] == {"uri": uri, "cid": "cid-child"}


def test_a_deleted_bluesky_post_or_a_wrong_network_fails_cleanly(cast, brand, social):
    gone = _mention(brand, "bluesky", "at://did:plc:other/app.bsky.feed.post/gone")
    reply = replies.reply_send(
        reply=_approved_reply(cast, gone, _target(social, "bluesky")),
        by=cast["social_media_manager"],
    )
    assert reply.state == ReplyState.FAILED and "cannot find" in reply.error
    assert not [r for r in social.requests if r.path == "/xrpc/com.atproto.repo.createRecord"]
    ptt = _mention(brand, "ptt", "M.9")
    reply = replies.reply_send(
        reply=_approved_reply(cast, ptt, PublishTarget.objects.get(name="bluesky")),
        by=cast["social_media_manager"],
    )
    assert reply.state == ReplyState.FAILED and "cannot reply to a ptt post" in reply.error
