"""Connectors against a local server speaking the networks' real formats."""

from __future__ import annotations

import pytest

from playbook.models import PublishTarget
from playbook.publishers import PublishError, publisher_for
from playbook.services import publishing, statements
from playbook.tests.conftest import approved
from playbook.tests.fakesocial import serve


@pytest.fixture
def social():  # type: ignore[no-untyped-def]
    state, server = serve()
    yield state
    server.shutdown()
    server.server_close()


def _target(social, kind: str, **kwargs):  # type: ignore[no-untyped-def]
    defaults = {
        "mastodon": {"base_url": social.url, "secret": "mastodon-token"},
        "bluesky": {"base_url": social.url, "handle": "acme.bsky.social", "secret": "app-password"},
        "webhook": {"base_url": social.url + "/hook", "secret": "s3cret"},
    }[kind]
    return PublishTarget.objects.create(name=kind, kind=kind, **{**defaults, **kwargs})


def test_mastodon_posts_a_status_with_the_bearer_token(cast, social):
    statement = approved(cast)
    statements.statement_edit(
        statement=statement, by=cast["pr_lead"], variants={"mastodon": "Sorry: refunds by Friday."}
    )
    result = publisher_for(_target(social, "mastodon")).publish(
        text="Sorry: refunds by Friday.", statement=statement
    )
    request = social.requests[-1]
    assert request.path == "/api/v1/statuses"
    assert request.headers["Authorization"] == "Bearer mastodon-token"
    assert request.headers["Idempotency-Key"].startswith(f"crisisroom-statement-{statement.pk}-")
    assert request.body == {"status": "Sorry: refunds by Friday.", "visibility": "public"}
    assert result.url.endswith(f"/@acme/{result.external_id}")


def test_bluesky_opens_a_session_then_creates_a_post_record(cast, social):
    statement = approved(cast)
    result = publisher_for(_target(social, "bluesky")).publish(text="Sorry.", statement=statement)
    session, record = social.requests[-2:]
    assert session.path == "/xrpc/com.atproto.server.createSession"
    assert session.body == {"identifier": "acme.bsky.social", "password": "app-password"}
    assert record.path == "/xrpc/com.atproto.repo.createRecord"
    assert record.headers["Authorization"] == "Bearer jwt-access"
    assert record.body["repo"] == "did:plc:acme123"
    assert record.body["collection"] == "app.bsky.feed.post"
    assert record.body["record"]["text"] == "Sorry."
    assert record.body["record"]["createdAt"].endswith("Z")
    assert result.url == "https://bsky.app/profile/did:plc:acme123/post/3kabc"


def test_the_webhook_gets_the_statement_as_json(cast, social):
    statement = approved(cast)
    result = publisher_for(_target(social, "webhook")).publish(text="Sorry.", statement=statement)
    request = social.requests[-1]
    assert request.headers["Authorization"] == "Bearer s3cret"
    assert request.body["event"] == "statement.published"
    assert request.body["statement"] == statement.pk
    assert request.body["text"] == "Sorry."
    assert result.external_id == "hook-1"


def test_bad_credentials_are_not_worth_retrying(cast, social):
    statement = approved(cast)
    with pytest.raises(PublishError) as caught:
        publisher_for(_target(social, "mastodon", secret="wrong")).publish(
            text="Sorry.", statement=statement
        )
    assert caught.value.retry is False
    assert "401" in str(caught.value)


def test_a_server_error_is_worth_retrying(cast, social):
    social.fail_with = 503
    statement = approved(cast)
    with pytest.raises(PublishError) as caught:
        publisher_for(_target(social, "bluesky")).publish(text="Sorry.", statement=statement)
    assert caught.value.retry is True


@pytest.mark.parametrize(("status", "retry"), [(408, True), (429, True), (403, False)])
def test_the_retry_rule_is_the_connectors_one(cast, social, status, retry):
    social.fail_with = status
    statement = approved(cast)
    with pytest.raises(PublishError) as caught:
        publisher_for(_target(social, "mastodon")).publish(text="Sorry.", statement=statement)
    assert caught.value.retry is retry
    assert str(status) in str(caught.value)


def test_an_unreachable_server_is_worth_retrying(cast):
    statement = approved(cast)
    target = PublishTarget.objects.create(
        name="gone", kind="mastodon", base_url="http://127.0.0.1:9", secret="t"
    )
    with pytest.raises(PublishError) as caught:
        publisher_for(target).publish(text="Sorry.", statement=statement)
    assert caught.value.retry is True


def test_a_post_over_the_networks_limit_is_refused_before_calling(cast, social):
    statement = approved(cast)
    with pytest.raises(PublishError, match="501 characters"):
        publisher_for(_target(social, "mastodon")).publish(text="x" * 501, statement=statement)
    assert social.requests == []


def test_a_failed_publication_keeps_the_statement_approved_and_is_logged(cast, social):
    social.fail_with = 500
    target = _target(social, "mastodon")
    statement = approved(cast)
    statement, pubs = publishing.statement_publish(
        statement=statement, by=cast["social_media_manager"], targets=[target]
    )
    assert statement.state == "approved"
    assert pubs[0].state == "failed"
    # The failure's own entry (its data says whether a retry was queued), in any language.
    assert cast.incident.timeline.filter(
        data__statement=statement.pk, data__has_key="retry"
    ).exists()


def test_publishing_through_the_api_posts_to_every_active_target(cast, social, api_for):
    _target(social, "mastodon")
    _target(social, "bluesky")
    statement = approved(cast)
    response = api_for(cast["social_media_manager"]).post(f"/statements/{statement.pk}/publish", {})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["state"] == "published"
    assert sorted(p["channel"] for p in body["publications"]) == ["bluesky", "mastodon"]
    assert all(p["state"] == "sent" for p in body["publications"])


def test_a_publication_that_failed_for_a_passing_reason_is_retried(cast, social):
    import pickle

    from playbook.models import Publication

    social.fail_with = 503
    target = _target(social, "mastodon")
    statement = approved(cast)
    statement, pubs = publishing.statement_publish(
        statement=statement, by=cast["social_media_manager"], targets=[target]
    )
    assert statement.state == "approved"
    with pytest.raises(PublishError) as caught:
        publishing.publication_retry(publication_id=pubs[0].pk)
    assert pickle.loads(pickle.dumps(caught.value)).retry is True
    assert "503" in Publication.objects.get(pk=pubs[0].pk).error
    social.fail_with = None
    assert publishing.publication_retry(publication_id=pubs[0].pk) is True
    statement.refresh_from_db()
    assert statement.state == "published"
    assert Publication.objects.get(pk=pubs[0].pk).state == "sent"
    # Done is done: a second retry sends nothing.
    sent = len(social.requests)
    assert publishing.publication_retry(publication_id=pubs[0].pk) is False
    assert len(social.requests) == sent


def test_a_retry_sends_nothing_once_the_statement_was_edited(cast, social):
    social.fail_with = 503
    target = _target(social, "mastodon")
    statement = approved(cast)
    statement, pubs = publishing.statement_publish(
        statement=statement, by=cast["social_media_manager"], targets=[target]
    )
    statements.statement_edit(
        statement=statement, by=cast["pr_lead"], body="New text, not approved"
    )
    social.fail_with = None
    sent = len(social.requests)
    assert publishing.publication_retry(publication_id=pubs[0].pk) is False
    assert len(social.requests) == sent


def test_a_retryable_failure_queues_a_retry_after_commit(
    cast, social, django_capture_on_commit_callbacks
):
    from playbook.models import Publication

    social.fail_with = 503
    target = _target(social, "mastodon")
    statement = approved(cast)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        statement, pubs = publishing.statement_publish(
            statement=statement, by=cast["social_media_manager"], targets=[target]
        )
    social.fail_with = None
    for callback in callbacks:
        callback()  # the eager task runs the retry now
    assert Publication.objects.get(pk=pubs[0].pk).state == "sent"


def test_a_target_on_a_private_address_is_refused_when_not_allowed(settings):
    from playbook.publishers import PublishError, _post_json

    settings.SOURCES_ALLOW_PRIVATE_ADDRESSES = False
    with pytest.raises(PublishError) as refused:
        _post_json("http://10.0.0.5/api/v1/statuses", {"status": "hi"})
    assert "refused" in str(refused.value)
    assert refused.value.retry is False
