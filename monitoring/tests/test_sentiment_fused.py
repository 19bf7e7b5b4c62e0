"""The fused scorers (monitoring/sentiment/fused.py) against the reference path
(feature dictionary + ``LinearModel.predict_proba``) on texts that exercise each
rule: negation scope, repeated words and shared character 4-grams (counted once),
hashtags, clause breaks, emoji, all caps, both lexicons, Chinese negators across
runs, Latin words and marks.  ``tests/sentiment_identical.py`` runs the same check
over every text of the data files."""

from __future__ import annotations

import pytest

from monitoring.sentiment import get_analyzer

EN_TEXTS = [
    "",
    "good",
    "not good, not bad!!! really GOOD good good",
    "I don't like this... I didn't hate it either?!",
    "service services servicing serviced: the service was slow",
    "#boycott @acme #refund https://x.example/y www.acme.com &amp; &lt;3 <3 :) :-( (:",
    "THIS IS THE WORST SERVICE EVER, REFUND ME NOW",
    "Shout out to @acme, thank you! They fixed my account. Highly recommend",
    "still waiting for my money back, never again, scam scam scam",
    "sooooo goooood 😍😍👍 but 😡",
    "thanks for nothing, I want a refund",
    "iPhone 15 Pro Max!!",
    "no no no no never",
]
ZH_TEXTS = [
    "",
    "服務很差，不好吃，不會再來了！",
    "服務很好，推薦",
    "不不好不错吗",
    "唔好食，冇好嘢",
    "退錢！詐騙！抵制！退钱",
    "去了acme咖啡, coffee ok but bad service??",
    "好棒",
    "ＡＢＣ全形字母，不好",
    "非常非常好，房間乾淨，早餐不错，不过价格有点高",
]


def _check(lang: str, texts: list[str]) -> None:
    analyzer = get_analyzer(lang)
    assert analyzer._scores is not None  # the shipped model takes the fused path
    model = analyzer.model
    for text in texts:
        reference = model.predict_proba(analyzer.features(text))
        fused = analyzer.probabilities(text)
        assert fused == pytest.approx(reference, abs=1e-12, rel=0), text
        assert analyzer.analyze(text) == model.result(reference), text


def test_english_fused_scores_equal_the_reference_path():
    _check("en", EN_TEXTS)


def test_chinese_fused_scores_equal_the_reference_path():
    _check("zh", ZH_TEXTS)


def test_fused_path_sees_each_character_gram_once():
    """ "service" twice: its 4-grams count once, as the feature dictionary has them."""
    _check("en", ["service service", "service services", "services service service"])


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_fused_scores_equal_the_reference_path_on_every_data_file(lang):
    """The fused scorers restate en_features / zh_features, which training keeps using:
    a change to one that the other does not follow fails here, on a spread of real
    texts from each labelled file (every 50th, at most 300 a file), not only on the
    hand-picked ones above."""
    from monitoring.sentiment.training import default_data_dirs, discover

    files = discover(default_data_dirs(), lang)
    assert files, "no labelled files to compare on"
    for name, pairs in files.items():
        texts = [text for _, text in pairs[::50][:300]]
        assert texts, name
        _check(lang, texts)
