"""Every way of publishing, through the statement page, in English and Traditional Chinese:
a drill's sandbox (with and without targets), each connector (sent and failed), by hand.
None of them answers 500; a failed target is a message on the page and a timeline entry,
and the statement stays approved so it can be published again."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import translation

from crisisroom.services.incidents import incident_open, member_assign
from playbook.choices import PublicationState, StatementState
from playbook.models import Publication, PublishTarget
from playbook.tests.conftest import ROLES, approved
from playbook.tests.fakesocial import serve

LANGS = ["en", "zh-hant"]


@pytest.fixture(autouse=True)
def _english_after():  # type: ignore[no-untyped-def]
    """A zh-Hant request leaves its language active in this thread; the next test starts in English."""
    yield
    translation.activate("en")


@pytest.fixture
def social():  # type: ignore[no-untyped-def]
    state, server = serve()
    yield state
    server.shutdown()
    server.server_close()


def _target(social, kind: str) -> PublishTarget:  # type: ignore[no-untyped-def]
    defaults = {
        "mastodon": {"base_url": social.url, "secret": "mastodon-token"},
        "bluesky": {"base_url": social.url, "handle": "acme.bsky.social", "secret": "app-password"},
        "webhook": {"base_url": social.url + "/hook", "secret": "s3cret"},
    }[kind]
    return PublishTarget.objects.create(name=f"acme-{kind}", kind=kind, **defaults)


def _page(cast, lang: str) -> Client:  # type: ignore[no-untyped-def]
    client = Client(HTTP_ACCEPT_LANGUAGE=lang)
    client.force_login(cast["social_media_manager"])
    return client


def _publish(client: Client, statement, **data):  # type: ignore[no-untyped-def]
    url = f"/incidents/{statement.incident_id}/playbook/statements/{statement.pk}/publish/"
    response = client.post(url, data, follow=True)
    assert response.status_code == 200, response.content[:500]
    statement.refresh_from_db()
    return response.content.decode()


def _drill(cast):  # type: ignore[no-untyped-def]
    incident = incident_open(
        brand=cast.incident.brand, title="Drill", opened_by=cast["admin"], is_drill=True
    )
    for role in ROLES:
        member_assign(incident=incident, user=cast[role], crisis_role=role, by=cast["admin"])
    cast.incident = incident
    return cast


@pytest.mark.parametrize("lang", LANGS)
def test_a_drill_without_a_target_publishes_to_the_sandbox(cast, lang):
    statement = approved(_drill(cast))
    html = _publish(_page(cast, lang), statement)
    assert statement.state == StatementState.PUBLISHED
    assert [p.state for p in statement.publications.all()] == [PublicationState.SANDBOX]
    assert ("Statement published." if lang == "en" else "聲明已發布。") in html
    assert cast.incident.timeline.filter(data__statement=statement.pk).exists()


@pytest.mark.parametrize("lang", LANGS)
def test_a_drill_with_targets_calls_none_of_them(cast, social, lang):
    _target(social, "mastodon")
    _target(social, "bluesky")
    statement = approved(_drill(cast))
    _publish(_page(cast, lang), statement)
    assert statement.state == StatementState.PUBLISHED
    assert sorted(p.channel for p in statement.publications.all()) == ["bluesky", "mastodon"]
    assert {p.state for p in statement.publications.all()} == {PublicationState.SANDBOX}
    assert social.requests == []


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("kind", ["mastodon", "bluesky", "webhook"])
def test_each_connector_publishes(cast, social, kind, lang):
    target = _target(social, kind)
    statement = approved(cast)
    _publish(_page(cast, lang), statement, targets=[target.name])
    assert statement.state == StatementState.PUBLISHED
    (publication,) = statement.publications.all()
    assert publication.state == PublicationState.SENT
    assert social.requests, "the connector called the local server"
    entry = cast.incident.timeline.filter(data__statement=statement.pk).latest("at")
    assert target.name in entry.message or publication.url in entry.message


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("kind", ["mastodon", "bluesky", "webhook"])
def test_a_failing_connector_is_a_message_and_the_statement_stays_publishable(
    cast, social, kind, lang
):
    target = _target(social, kind)
    statement = approved(cast)
    social.fail_with = 401  # not worth retrying: nothing is queued behind the page's back
    html = _publish(_page(cast, lang), statement, targets=[target.name])
    assert statement.state == StatementState.APPROVED
    said = "failed" if lang == "en" else "失敗"
    assert target.name in html and said in html
    assert cast.incident.timeline.filter(
        data__statement=statement.pk, message__contains=target.name
    ).exists()
    social.fail_with = None
    _publish(_page(cast, lang), statement, targets=[target.name])
    assert statement.state == StatementState.PUBLISHED


@pytest.mark.parametrize("lang", LANGS)
def test_a_connector_that_crashes_is_a_message_not_a_500(cast, social, lang, monkeypatch):
    from playbook.publishers import MastodonPublisher

    def boom(self, **kwargs):  # type: ignore[no-untyped-def]
        raise ValueError("unexpected answer shape")

    monkeypatch.setattr(MastodonPublisher, "publish", boom)
    target = _target(social, "mastodon")
    statement = approved(cast)
    html = _publish(_page(cast, lang), statement, targets=[target.name])
    assert statement.state == StatementState.APPROVED
    assert "unexpected answer shape" in html
    assert Publication.objects.get(statement=statement).state == PublicationState.FAILED


@pytest.mark.parametrize("lang", LANGS)
def test_publishing_by_hand_records_the_link(cast, lang):
    statement = approved(cast)
    _publish(_page(cast, lang), statement, url="https://acme.example/news/sorry")
    assert statement.state == StatementState.PUBLISHED
    entry = cast.incident.timeline.filter(data__statement=statement.pk).latest("at")
    assert "https://acme.example/news/sorry" in entry.message


@pytest.mark.parametrize("lang", LANGS)
def test_without_a_target_or_a_link_the_page_says_what_to_do(cast, lang):
    statement = approved(cast)
    html = _publish(_page(cast, lang), statement)
    assert statement.state == StatementState.APPROVED
    assert ("give the link" if lang == "en" else "連結") in html


@pytest.mark.parametrize(("lang", "names"), [("en", "Legal counsel"), ("zh-hant", "法律顧問")])
def test_publishing_early_names_the_missing_roles_in_the_users_language(cast, lang, names):
    from playbook.tests.conftest import submitted

    statement = submitted(cast)
    html = _publish(_page(cast, lang), statement, url="https://acme.example/x")
    assert statement.state == StatementState.SUBMITTED
    assert names in html
    assert "legal_counsel" not in html.split('class="messages"')[1].split("</ul>")[0]
