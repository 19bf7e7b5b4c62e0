"""Public types of the sentiment package."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

LABELS = ("negative", "neutral", "positive")
# The label for text in a language no model covers (see ``unscored.py``).
UNSCORED = "unscored"


@dataclass(frozen=True)
class SentimentResult:
    score: float  # in [-1, 1]; p(positive) - p(negative) for the linear models
    label: str  # "negative" | "neutral" | "positive" | "unscored"
    confidence: float  # in [0, 1]


@runtime_checkable
class Analyzer(Protocol):
    name: str

    def analyze(self, text: str) -> SentimentResult: ...

    def analyze_many(self, texts: Sequence[str]) -> list[SentimentResult]: ...
