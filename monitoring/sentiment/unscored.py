"""The analyzer for languages no model covers: it says it does not know.

Text with letters in such a language (Spanish, Japanese, Korean, Cyrillic, ...) gets
the label ``"unscored"`` (stored as is, shown as "—", counted apart in rollups).
Text with no letters outside URLs and @handles (emoji, emoticons, digits) carries no language, and the
English model reads emoji and emoticons: it is scored by the "en" analyzer.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from monitoring.sentiment import get_analyzer
from monitoring.sentiment.base import UNSCORED, SentimentResult

UNSCORED_RESULT = SentimentResult(score=0.0, label=UNSCORED, confidence=0.0)


_NOISE_RE = re.compile(r"https?://\S+|www\.\S+|@\w+")


def has_letters(text: str) -> bool:
    """Letters outside URLs and @handles (which carry no language)."""
    return any(ch.isalpha() for ch in _NOISE_RE.sub(" ", text))


class UnscoredAnalyzer:
    name = "unscored"

    def analyze(self, text: str) -> SentimentResult:
        if has_letters(text or ""):
            return UNSCORED_RESULT
        return get_analyzer("en").analyze(text or "")

    def analyze_many(self, texts: Sequence[str]) -> list[SentimentResult]:
        return [self.analyze(t) for t in texts]
