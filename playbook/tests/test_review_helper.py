"""The statement review helper, in English and Chinese."""

from __future__ import annotations

from playbook.review import review_statement, review_text
from playbook.services import assessment
from playbook.tests.conftest import drafted

GOOD = (
    "We are sorry. Our roasting fault burnt your beans and we understand how frustrating "
    "that is. We are refunding every order and will update you by Friday."
)


def codes(text: str, **kwargs) -> set[str]:  # type: ignore[no-untyped-def]
    return {flag.code for flag in review_text(text, **kwargs)}


def test_a_good_statement_is_not_flagged():
    assert codes(GOOD) == set()


def test_it_flags_a_conditional_apology():
    assert "non_apology" in codes("We are sorry if anyone was upset. We will fix it by Friday.")


def test_it_flags_regret_for_any_inconvenience():
    assert "non_apology" in codes("We regret any inconvenience. We are refunding orders.")


def test_it_flags_blame_shifting():
    flags = codes("We are sorry, but this was caused by a third-party supplier. Refunds by Friday.")
    assert "excuse" in flags


def test_it_flags_a_statement_without_empathy():
    assert "no_empathy" in codes("The issue has been noted. We are refunding every order.")


def test_it_flags_a_statement_without_concrete_action():
    assert "no_action" in codes("We are sorry and we understand your frustration.")


def test_it_flags_chinese_non_apologies_and_excuses():
    flags = codes("如有不便，敬請見諒。這是第三方供應商造成的問題。")
    assert {"non_apology", "excuse", "no_empathy"} <= flags


def test_a_good_chinese_statement_passes():
    assert codes("我們深感抱歉，這是我們的錯。我們將於週五前為所有訂單退款。") == set()


def test_it_flags_channel_length_overruns():
    flags = review_text(GOOD, variants={"x": "a" * 281, "mastodon": "a" * 500})
    too_long = [f for f in flags if f.code == "too_long"]
    assert len(too_long) == 1
    assert "Too long for X: 281 of 280" in too_long[0].message


def test_it_flags_claims_the_ledger_marks_false_or_unverified(cast):
    assessment.claim_record(
        incident=cast.incident,
        by=cast["incident_lead"],
        claim="the beans contain plastic",
        status="false",
    )
    assessment.claim_record(
        incident=cast.incident,
        by=cast["incident_lead"],
        claim="the roaster caught fire",
        status="unverified",
    )
    assessment.claim_record(
        incident=cast.incident, by=cast["incident_lead"], claim="orders were late", status="true"
    )
    statement = drafted(
        cast,
        body=GOOD + " The roaster caught fire on Monday. Orders were late. "
        "The beans contain plastic.",
    )
    found = {f.code for f in review_statement(statement)}
    assert {"claim_false", "claim_unverified"} <= found
    assert "claim_true" not in found


def test_the_api_returns_the_flags(cast, api_for):
    statement = drafted(cast, body="Sorry if you were offended.")
    response = api_for(cast["viewer"]).get(f"/statements/{statement.pk}/review")
    assert response.status_code == 200
    assert "non_apology" in {f["code"] for f in response.json()["flags"]}


def test_it_flags_an_unfilled_template_placeholder():
    flags = review_text(GOOD + " Next update by {next_update}.")
    assert [f.excerpt for f in flags if f.code == "placeholder"] == ["{next_update}"]
