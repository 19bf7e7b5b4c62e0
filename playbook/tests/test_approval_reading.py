"""Approving is reading: placeholders block submission, the author gets no Approve
button, approvers read the text, each variant and a word-level diff, and roles are
named in the reader's language."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.utils import translation

from foundation.permissions import PermissionDenied
from playbook.choices import StatementState
from playbook.services import base, publishing, statements
from playbook.tests.conftest import drafted, submitted
from playbook.textdiff import Piece, diff_counts, word_diff

GOOD = "We are sorry. We are refunding every order by Friday."


def _client(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def _page_url(statement) -> str:  # type: ignore[no-untyped-def]
    return f"/incidents/{statement.incident_id}/playbook/statements/{statement.pk}/"


def _approve_buttons(html: str) -> int:
    return len(re.findall(r'action="[^"]*/approve/"', html))


# --- Placeholders ------------------------------------------------------------------


def test_it_refuses_to_submit_a_statement_with_unfilled_placeholders_naming_them(cast):
    statement = drafted(cast, body="We are sorry about {issue}. Next update by {next_update}.")
    statements.statement_edit(
        statement=statement, by=cast["pr_lead"], variants={"x": "Sorry. Call {contact}."}
    )
    with pytest.raises(base.TransitionRefused) as refused:
        statements.statement_submit(statement=statement, by=cast["pr_lead"])
    assert "{issue}, {next_update}, {contact}" in str(refused.value)
    statement.refresh_from_db()
    assert statement.state == StatementState.DRAFT


def test_a_placeholder_left_only_in_a_variant_blocks_it_too(cast):
    statement = drafted(cast, body=GOOD)
    statements.statement_edit(
        statement=statement, by=cast["pr_lead"], variants={"mastodon": "Sorry. See {link}."}
    )
    with pytest.raises(base.TransitionRefused, match=r"\{link\}"):
        statements.statement_submit(statement=statement, by=cast["pr_lead"])


def test_once_filled_it_submits(cast):
    statement = drafted(cast, body="We are sorry about {issue}.")
    statements.statement_edit(statement=statement, by=cast["pr_lead"], body=GOOD)
    statements.statement_submit(statement=statement, by=cast["pr_lead"])
    statement.refresh_from_db()
    assert statement.state == StatementState.SUBMITTED


def test_the_api_refuses_to_submit_with_placeholders(cast, api_for):
    statement = drafted(cast, body="We are sorry. Next update by {next_update}.")
    response = api_for(cast["pr_lead"]).post(f"/statements/{statement.pk}/submit", {})
    assert response.status_code == 409
    assert "{next_update}" in response.json()["error"]
    statement.refresh_from_db()
    assert statement.state == StatementState.DRAFT


def test_the_page_names_the_placeholders_and_refuses_the_submission(cast):
    statement = drafted(cast, body="我們對{問題}深感抱歉。下次更新：{next_update}。")
    client = _client(cast["pr_lead"])
    page = client.get(_page_url(statement)).content.decode()
    assert "Unfilled placeholders: {問題}, {next_update}" in page
    assert re.search(r'<button type="submit" disabled[^>]*>Submit for approval', page)
    response = client.post(_page_url(statement) + "submit/", follow=True)
    assert "Fill in the template&#x27;s placeholders first: {問題}, {next_update}." in (
        response.content.decode()
    )
    statement.refresh_from_db()
    assert statement.state == StatementState.DRAFT


def test_a_statement_submitted_with_placeholders_before_the_check_cannot_be_approved(cast):
    statement = submitted(cast)
    statement.body = "Sorry about {issue}."  # as if written before submission refused it
    statement.save(update_fields=["body"])
    with pytest.raises(base.TransitionRefused, match=r"\{issue\}"):
        statements.statement_approve(statement=statement, by=cast["legal_counsel"])
    assert not statement.approvals.exists()


# --- The author, the approvers -----------------------------------------------------


def test_the_author_sees_no_approve_button_and_another_approver_does(cast):
    legal = cast["legal_counsel"]
    statement = statements.statement_create(incident=cast.incident, by=legal, body=GOOD)
    statements.statement_submit(statement=statement, by=legal)
    author_page = _client(legal).get(_page_url(statement)).content.decode()
    assert _approve_buttons(author_page) == 0
    assert "another person approves it" in author_page
    other_page = _client(cast["executive_lead"]).get(_page_url(statement)).content.decode()
    assert _approve_buttons(other_page) == 1
    # A member without a required role reads the page, but decides nothing.
    assert (
        _approve_buttons(
            _client(cast["hr_representative"]).get(_page_url(statement)).content.decode()
        )
        == 0
    )


def test_the_approve_button_goes_once_the_users_role_has_approved(cast):
    statement = submitted(cast)
    legal = _client(cast["legal_counsel"])
    assert _approve_buttons(legal.get(_page_url(statement)).content.decode()) == 1
    legal.post(_page_url(statement) + "approve/")
    assert statement.approvals.filter(user=cast["legal_counsel"]).count() == 1
    page = legal.get(_page_url(statement)).content.decode()
    assert _approve_buttons(page) == 0
    assert "Legal counsel: legal-counsel ✓" in page
    # The executive lead still can.
    exec_page = _client(cast["executive_lead"]).get(_page_url(statement)).content.decode()
    assert _approve_buttons(exec_page) == 1


def test_the_author_cannot_approve_through_the_page(cast):
    legal = cast["legal_counsel"]
    statement = statements.statement_create(incident=cast.incident, by=legal, body=GOOD)
    statements.statement_submit(statement=statement, by=legal)
    response = _client(legal).post(_page_url(statement) + "approve/", follow=True)
    assert "Nobody approves their own draft" in response.content.decode()
    assert not statement.approvals.exists()


def test_the_decision_comes_before_the_text_the_diff_and_the_findings(cast):
    statement = submitted(cast)
    page = _client(cast["executive_lead"]).get(_page_url(statement)).content.decode()
    order = [
        page.index(marker)
        for marker in (
            'id="decide-h"',
            'id="read-h"',
            'id="diff-h"',
            'id="review-h"',
            'id="edit-h"',
        )
    ]
    assert order == sorted(order)


# --- Reading -------------------------------------------------------------------------


def test_approvers_read_the_text_and_each_variant_escaped(cast):
    statement = drafted(cast, body=GOOD + " <script>alert(1)</script>")
    statements.statement_edit(
        statement=statement,
        by=cast["pr_lead"],
        channels=["x", "website"],
        variants={"x": "Sorry <b>all</b>: refunds by Friday."},
    )
    statements.statement_submit(statement=statement, by=cast["pr_lead"])
    page = _client(cast["executive_lead"]).get(_page_url(statement)).content.decode()
    text = re.search(r'<div class="statement-text" id="statement-text">(.*?)</div>', page, re.S)
    assert text and text.group(1) == (
        "We are sorry. We are refunding every order by Friday. "
        "&lt;script&gt;alert(1)&lt;/script&gt;"
    )
    variant = re.search(r'id="variant-x">(.*?)</div>', page, re.S)
    assert variant and variant.group(1) == "Sorry &lt;b&gt;all&lt;/b&gt;: refunds by Friday."
    assert "<script>alert(1)" not in page
    # The website uses the statement's own text, and says so.
    assert re.search(r"Website <small>same as the statement", page)


def test_the_page_shows_a_word_level_diff_against_the_previous_version(cast):
    statement = drafted(cast, body="We are sorry. Refunds go out by Friday.")
    statements.statement_edit(
        statement=statement, by=cast["pr_lead"], body="We are sorry. Refunds go out by Monday."
    )
    statements.statement_submit(statement=statement, by=cast["pr_lead"])
    page = _client(cast["legal_counsel"]).get(_page_url(statement)).content.decode()
    diff = re.search(
        r'<div class="statement-text diff" id="statement-diff">(.*?)</div>', page, re.S
    )
    assert diff and diff.group(1) == (
        "We are sorry. Refunds go out by <del>Friday</del><ins>Monday</ins>."
    )
    assert "Version 1 → 2 by pr-lead: 1 removed, 1 added" in page


def test_a_first_version_has_nothing_to_compare(cast):
    page = _client(cast["legal_counsel"]).get(_page_url(submitted(cast))).content.decode()
    assert 'id="statement-diff"' not in page
    assert "This is the first version" in page


def test_the_diff_is_by_words_in_english():
    assert word_diff("we will refund orders", "we will replace orders") == [
        Piece("same", "we will "),
        Piece("removed", "refund"),
        Piece("added", "replace"),
        Piece("same", " orders"),
    ]


def test_the_diff_is_by_characters_in_chinese():
    pieces = word_diff("我們將於週五前退款。", "我們將於週一前全額退款。")
    assert pieces == [
        Piece("same", "我們將於週"),
        Piece("removed", "五"),
        Piece("added", "一"),
        Piece("same", "前"),
        Piece("added", "全額"),
        Piece("same", "退款。"),
    ]
    assert diff_counts(pieces) == {"removed": 1, "added": 3}


def test_the_diff_of_mixed_text_keeps_words_whole_and_characters_apart():
    assert word_diff("Acme 咖啡 refunds", "Acme 咖啡豆 refunds today") == [
        Piece("same", "Acme 咖啡"),
        Piece("added", "豆"),
        Piece("same", " refunds"),
        Piece("added", " today"),
    ]


# --- Role names ------------------------------------------------------------------------


def test_refusals_name_roles_in_the_readers_language_not_by_code(cast):
    statement = submitted(cast)
    with translation.override("zh-hant"):
        with pytest.raises(base.TransitionRefused) as early:
            publishing.statement_publish(
                statement=statement, by=cast["social_media_manager"], manual_url="https://x.test/1"
            )
        with pytest.raises(PermissionDenied) as no_role:
            statements.statement_approve(statement=statement, by=cast["hr_representative"])
    for message in (str(early.value), str(no_role.value)):
        assert "法律顧問" in message and "高階主管" in message
        assert "legal_counsel" not in message and "executive_lead" not in message
    with pytest.raises(PermissionDenied) as in_english:
        statements.statement_reject(statement=statement, by=cast["hr_representative"], comment="x")
    assert "Legal counsel, Executive lead" in str(in_english.value)


def test_the_page_shows_the_roles_in_the_users_language(cast):
    user = cast["executive_lead"]
    user.language = "zh-hant"
    user.save(update_fields=["language"])
    page = _client(user).get(_page_url(submitted(cast))).content.decode()
    assert "法律顧問: 等待中" in page
    assert "legal_counsel" not in re.sub(
        r'class="[^"]*"|id="[^"]*"|name="[^"]*"|value="[^"]*"', "", page
    )
