"""The misinformation ledger: a claim's status changes with a history and a timeline
entry; the statement check tells a correction that negates a claim from one that
repeats it, in English and in Chinese."""

from __future__ import annotations

import pytest
from django.test import Client

from crisisroom.models import TimelineEvent
from foundation.permissions import PermissionDenied
from playbook.choices import ClaimStatus
from playbook.review import claim_repeats, review_statement, review_text
from playbook.services import assessment
from playbook.tests.conftest import drafted

APOLOGY = "We are sorry and we understand your worry. We will update you by Friday."


def _claim(cast, text: str = "the company is going bankrupt", status: str = "false"):  # type: ignore[no-untyped-def]
    return assessment.claim_record(
        incident=cast.incident, by=cast["incident_lead"], claim=text, status=status
    )


# --- Status and history ----------------------------------------------------------------


def test_a_claims_status_changes_with_history_and_a_timeline_entry(cast):
    claim = _claim(cast, status="unverified")
    assessment.claim_status_set(claim=claim, by=cast["pr_lead"], status="false")
    assessment.claim_status_set(
        claim=claim, by=cast["legal_counsel"], status="corrected", note="FAQ published"
    )
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.CORRECTED
    history = [
        (h.from_status, h.to_status, h.by.username, h.note)
        for h in claim.history.select_related("by")
    ]
    assert history == [
        ("", "unverified", "incident-lead", ""),
        ("unverified", "false", "pr-lead", ""),
        ("false", "corrected", "legal-counsel", "FAQ published"),
    ]
    entries = list(
        TimelineEvent.objects.filter(incident=cast.incident, data__claim=claim.pk)
        .order_by("at", "pk")
        .values_list("message", flat=True)
    )
    assert entries[-2:] == [
        "Misinformation ledger: “the company is going bankrupt” changed from Unverified to False",
        "Misinformation ledger: “the company is going bankrupt” changed from False to Corrected"
        " (FAQ published)",
    ]


def test_setting_the_same_status_again_writes_nothing(cast):
    claim = _claim(cast)
    before = TimelineEvent.objects.filter(incident=cast.incident).count()
    assessment.claim_status_set(claim=claim, by=cast["pr_lead"], status="false")
    assert claim.history.count() == 1
    assert TimelineEvent.objects.filter(incident=cast.incident).count() == before


def test_editing_a_claim_through_the_ledger_form_records_its_status_change(cast):
    claim = _claim(cast, status="unverified")
    assessment.claim_record(
        incident=cast.incident,
        by=cast["pr_lead"],
        claim=claim.claim,
        status="true",
        claim_id=claim.pk,
    )
    assert list(claim.history.values_list("from_status", "to_status")) == [
        ("", "unverified"),
        ("unverified", "true"),
    ]


@pytest.mark.parametrize("who", ["viewer", "outsider", "viewer_on_team"])
def test_only_the_team_changes_a_claims_status(cast, who):
    claim = _claim(cast)
    with pytest.raises(PermissionDenied):
        assessment.claim_status_set(claim=claim, by=cast[who], status="true")
    claim.refresh_from_db()
    assert claim.status == "false" and claim.history.count() == 1


def test_an_unknown_status_is_refused(cast):
    claim = _claim(cast)
    with pytest.raises(ValueError, match="Unknown claim status"):
        assessment.claim_status_set(claim=claim, by=cast["pr_lead"], status="maybe")


def test_the_page_changes_the_status_in_place_and_shows_the_history(cast):
    claim = _claim(cast)
    client = Client()
    client.force_login(cast["pr_lead"])
    url = f"/incidents/{cast.incident.pk}/playbook/claims/{claim.pk}/status/"
    response = client.post(
        url,
        {"status": "corrected", "note": "Corrected on the blog"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    row = response.content.decode()
    assert row.lstrip().startswith(f'<li id="claim-{claim.pk}"')
    assert "<html" not in row
    assert '<option value="corrected" selected>Corrected</option>' in row
    assert "False → Corrected · pr-lead" in row and "Corrected on the blog" in row
    page = client.get(f"/incidents/{cast.incident.pk}/playbook/").content.decode()
    assert "History (2)" in page
    war_room = client.get(f"/incidents/{cast.incident.pk}/").content.decode()
    assert "changed from False to Corrected" in war_room


def test_the_page_refuses_a_made_up_status_with_a_400(cast):
    claim = _claim(cast)
    client = Client()
    client.force_login(cast["pr_lead"])
    url = f"/incidents/{cast.incident.pk}/playbook/claims/{claim.pk}/status/"
    assert client.post(url, {"status": "maybe"}).status_code == 400
    claim.refresh_from_db()
    assert claim.status == "false"


def test_the_page_speaks_chinese_to_a_chinese_reader(cast):
    claim = _claim(cast)
    user = cast["pr_lead"]
    user.language = "zh-hant"
    user.save(update_fields=["language"])
    client = Client()
    client.force_login(user)
    url = f"/incidents/{cast.incident.pk}/playbook/claims/{claim.pk}/status/"
    row = client.post(url, {"status": "corrected"}, headers={"HX-Request": "true"}).content.decode()
    assert "不實 → 已更正" in row and "變更狀態" in row and "歷程" in row


# --- Negation or repetition -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("negated", "repeated", "claim"),
    [
        ("We are not going bankrupt.", "We are going bankrupt.", "the company is going bankrupt"),
        (
            "The company isn't going bankrupt.",
            "The company is going bankrupt.",
            "the company is going bankrupt",
        ),
        (
            "The company won't be going bankrupt.",
            "The company will be going bankrupt.",
            "the company is going bankrupt",
        ),
        (
            "The company is never going bankrupt.",
            "The company is going bankrupt soon.",
            "the company is going bankrupt",
        ),
        (
            "Reports that the company is going bankrupt are false.",
            "Reports that the company is going bankrupt are right.",
            "the company is going bankrupt",
        ),
        (
            "Our beans do not contain plastic.",
            "Our beans contain plastic.",
            "the beans contain plastic",
        ),
        (
            "The beans contain no plastic.",
            "The beans contain plastic.",
            "the beans contain plastic",
        ),
        ("我們沒有要倒閉。", "我們要倒閉。", "公司要倒閉"),
        ("本公司並非要倒閉。", "本公司要倒閉。", "公司要倒閉"),
        ("公司絕不會倒閉。", "公司會倒閉。", "公司要倒閉"),
        ("公司不會倒閉。", "公司會倒閉。", "公司要倒閉"),
        ("公司未倒閉，營運正常。", "公司已倒閉，營運停止。", "公司要倒閉"),
        ("網傳公司要倒閉，並非事實。", "網友說公司要倒閉，確有其事。", "公司要倒閉"),
        ("咖啡豆不含塑膠。", "咖啡豆含塑膠。", "咖啡豆含有塑膠"),
    ],
)
def test_a_sentence_that_negates_the_claim_is_not_flagged(negated, repeated, claim):
    assert claim_repeats(negated, claim) is None
    # The same sentence without its negation is the claim again: the negation decided.
    assert claim_repeats(repeated, claim) == repeated


@pytest.mark.parametrize(
    ("statement", "claim"),
    [
        ("We are going bankrupt.", "the company is going bankrupt"),
        ("Yes, the company is going bankrupt.", "the company is going bankrupt"),
        ("The beans contain plastic, as reported.", "the beans contain plastic"),
        ("公司要倒閉了。", "公司要倒閉"),
        ("我們要倒閉了，造成不便敬請見諒。", "公司要倒閉"),  # 不便 is no negation
        ("咖啡豆含有塑膠，非常抱歉。", "咖啡豆含有塑膠"),  # nor is 非常
        # A claim that is itself negative, said again: one denial each, still a repetition.
        ("The company did not pay wages.", "the company did not pay wages"),
        ("公司沒有發薪水。", "公司沒有發薪水"),
    ],
)
def test_a_sentence_that_repeats_the_claim_is_flagged(statement, claim):
    assert claim_repeats(statement, claim) == statement.strip()


def test_only_the_sentence_about_the_claim_counts():
    text = "We are not sorry for nothing. The company is going bankrupt."
    assert claim_repeats(text, "the company is going bankrupt") == "The company is going bankrupt."


def test_an_unrelated_statement_is_not_flagged():
    assert claim_repeats(APOLOGY, "the company is going bankrupt") is None
    assert claim_repeats("我們深感抱歉，將於週五前為所有訂單退款。", "公司要倒閉") is None


@pytest.mark.parametrize(
    ("negated", "repeated", "claim"),
    [
        (
            APOLOGY + " We are not going bankrupt.",
            APOLOGY + " We are going bankrupt.",
            "the company is going bankrupt",
        ),
        (
            "我們深感抱歉，也理解大家的擔心。我們沒有要倒閉。我們將於週五前更新。",
            "我們深感抱歉，也理解大家的擔心。公司要倒閉。我們將於週五前更新。",
            "公司要倒閉",
        ),
    ],
)
def test_the_review_of_a_statement_tells_a_correction_from_a_repetition(
    cast, negated, repeated, claim
):
    _claim(cast, text=claim, status="false")
    corrected = drafted(cast, body=negated)
    repeating = drafted(cast, body=repeated)
    assert "claim_false" not in {f.code for f in review_statement(corrected)}
    flags = [f for f in review_statement(repeating) if f.code == "claim_false"]
    assert len(flags) == 1
    assert claim in flags[0].message


def test_a_corrected_claim_is_still_not_to_be_repeated_but_a_true_one_may_be():
    claims = [("the company is going bankrupt", "corrected"), ("orders were late", "true")]
    codes = {
        f.code
        for f in review_text(APOLOGY + " Orders were late. We are going bankrupt.", claims=claims)
    }
    assert "claim_corrected" in codes
    assert "claim_true" not in codes
