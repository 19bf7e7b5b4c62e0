"""Thin adapter over the ``vaderSentiment`` package (PyPI, MIT licence).

Two things come from it: ``VaderAnalyzer``, plain VADER as an analyzer (the English
baseline, selectable through ``SENTIMENT_ANALYZERS``), and ``vader_lexicon()``, VADER's
word valences read from the file the package ships, which the English linear model
uses as cheap lexicon features (a dictionary look-up per token instead of running
VADER's whole rule set on every text).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from importlib import resources

from monitoring.sentiment.base import SentimentResult


@functools.cache
def vader_lexicon() -> dict[str, float]:
    """VADER's word -> mean valence (-4..4), from ``vaderSentiment/vader_lexicon.txt``."""
    lexicon: dict[str, float] = {}
    text = resources.files("vaderSentiment").joinpath("vader_lexicon.txt").read_text("utf-8")
    for line in text.splitlines():
        word, sep, rest = line.partition("\t")
        if not sep:
            continue
        try:
            lexicon[word] = float(rest.split("\t", 1)[0])
        except ValueError:
            continue
    return lexicon


class VaderAnalyzer:
    """VADER's compound score; |compound| < 0.05 is neutral (VADER's own rule)."""

    name = "vader"
    threshold = 0.05

    def __init__(self):
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

        self._vader = SentimentIntensityAnalyzer()

    def analyze(self, text: str) -> SentimentResult:
        compound = self._vader.polarity_scores(text or "")["compound"]
        if compound >= self.threshold:
            label = "positive"
        elif compound <= -self.threshold:
            label = "negative"
        else:
            label = "neutral"
        return SentimentResult(score=compound, label=label, confidence=abs(compound))

    def analyze_many(self, texts: Sequence[str]) -> list[SentimentResult]:
        return [self.analyze(t) for t in texts]
