"""Plain VADER as an analyzer (the English baseline; no trained weights)."""

from __future__ import annotations

from collections.abc import Sequence

from monitoring.sentiment.base import SentimentResult
from monitoring.sentiment.vader import SentimentIntensityAnalyzer


class VaderAnalyzer:
    """VADER's compound score; |compound| < 0.05 is neutral (VADER's own rule)."""

    name = "vader"
    threshold = 0.05

    def __init__(self):
        self._vader = SentimentIntensityAnalyzer()

    def analyze(self, text: str) -> SentimentResult:
        scores = self._vader.polarity_scores(text or "")
        compound = scores["compound"]
        if compound >= self.threshold:
            label = "positive"
        elif compound <= -self.threshold:
            label = "negative"
        else:
            label = "neutral"
        return SentimentResult(score=compound, label=label, confidence=abs(compound))

    def analyze_many(self, texts: Sequence[str]) -> list[SentimentResult]:
        return [self.analyze(t) for t in texts]
