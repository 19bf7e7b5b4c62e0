from __future__ import annotations

import pytest

from monitoring.matching import (
    PhraseSet,
    QueryError,
    compile_query,
    near_duplicate_key,
    normalise,
    parse_query,
)


def matches(query: str, text: str) -> bool:
    return compile_query(query)(normalise(text))


EXAMPLE = '"acme coffee" OR acme咖啡 OR #AcmeCoffee NOT grinder'


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ＡＣＭＥ　ＣＯＦＦＥＥ is great", True),  # full-width letters and space
        ("我昨天去了ACME咖啡，服務很差", True),  # Chinese, no spaces, upper case
        ("loving #acmecoffee today", True),
        ("acme coffee grinder for sale", False),  # the trailing NOT excludes from the whole
        ("#AcmeCoffee grinder broke", False),
        ("acmecoffee is one word", False),  # Latin terms match at word boundaries
        ("coffee at acme", False),  # a phrase keeps its word order
    ],
)
def test_the_example_query_matches_as_people_read_it(text, expected):
    assert matches(EXAMPLE, text) is expected


def test_bare_words_are_anded_and_parentheses_group():
    assert matches("acme (latte OR 拿鐵)", "Acme 的拿鐵很好喝")
    assert matches("acme (latte OR 拿鐵)", "an acme latte")
    assert not matches("acme (latte OR 拿鐵)", "an acme espresso")
    assert not matches("acme latte", "a latte somewhere else")


def test_not_in_front_of_an_operand_binds_tightly():
    assert matches("acme AND NOT grinder OR beans", "beans with a grinder")
    assert not matches("acme AND NOT grinder", "acme grinder")
    assert matches("acme AND NOT grinder", "acme shop")


def test_lower_case_operators_are_ordinary_words():
    assert matches("not bad", "not bad at all")
    assert not matches("not bad", "bad")


@pytest.mark.parametrize(
    ("query", "reason"),
    [
        ("", "empty"),
        ('"acme coffee', "quoted phrase is not closed"),
        ("(acme OR beta", "parenthesis is not closed"),
        ("acme)", "closing parenthesis"),
        ("acme OR", "OR needs"),
        ("AND acme", "AND needs"),
        ("acme NOT", "NOT needs"),
        ("NOT acme", "only excludes"),
        ("()", "empty parentheses"),
    ],
)
def test_a_bad_query_says_why(query, reason):
    with pytest.raises(QueryError, match=reason):
        parse_query(query)


def test_phrase_sets_find_overlapping_phrases():
    phrases = PhraseSet(["breach", "data breach", "抵制"])
    assert phrases.find(normalise("A DATA BREACH at Acme")) == ["breach", "data breach"]
    assert phrases.find(normalise("大家一起抵制")) == ["抵制"]
    assert phrases.find(normalise("nothing here")) == []


def test_phrase_sets_find_what_each_phrase_pattern_finds():
    from monitoring.matching import DEFAULT_TRIGGER_PHRASES, find_terms

    phrases = PhraseSet([*DEFAULT_TRIGGER_PHRASES, "ＡＣＭＥ", "#bankrupt", " recall "])
    texts = [
        "Scammers! a scam, a SCAMMY offer",  # "scam" only where it is a word
        "recalled? no: a RECALL and a #bankrupt brand",
        "大家一起抵制，個資外洩還詐騙",
        "acme hacked and leaked, breach of data breach",
        "nothing to see",
    ]
    for text in texts:
        folded = normalise(text)
        assert phrases.find(folded) == find_terms(folded, phrases.phrases)
    assert phrases.find(normalise("Scammers! a SCAMMY offer")) == []


def test_near_duplicate_keys_ignore_case_width_urls_handles_and_spacing():
    key = near_duplicate_key("Boycott Acme Coffee now!! https://t.co/abc @acme")
    assert key == near_duplicate_key("RT @someone: boycott  ACME coffee NOW https://x.co/1")
    assert key == near_duplicate_key("ｂｏｙｃｏｔｔ acme coffee now")
    assert key != near_duplicate_key("Boycott Acme Coffee tomorrow")
    assert near_duplicate_key("so bad") is None  # too short to tell two voices apart
