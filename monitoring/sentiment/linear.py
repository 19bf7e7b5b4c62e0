"""Linear (multinomial logistic regression) analyzers with pure-Python inference.

A model file is gzip-compressed JSON written by ``monitoring.sentiment.training``::

    {"format": "crisisroom-linear-v2", "lang": "en", "classes": ["negative", ...],
     "intercept": [...], "class_bias": [...], "neutral_threshold": 0.5,
     "weights": {"w:good": [-0.8, 0.1, 0.7], ...}, "meta": {...}}

Inference: ``z_c = intercept_c + class_bias_c + sum_f x_f * W[f][c]``, softmax over
the classes; ``score = p(positive) - p(negative)`` in [-1, 1]; the label is the
most probable class, but when that probability (the ``confidence``) is below
``neutral_threshold`` the label is "neutral".  Two-class models (Chinese, trained
on positive/negative reviews) therefore say "neutral" for texts they are unsure
about.  ``class_bias`` is an offset added at prediction time to favour the
negative class (crisis work wants negative recall).

Two optional flags (absent = false) change how ``x`` is formed from the extracted
features, exactly as in training: ``"binary": true`` sets every present feature to
1, and ``"normalize": true`` divides ``x`` by the Euclidean norm of *all* extracted
features (in the model's vocabulary or not), so long texts do not swamp short ones
and pruning small weights from the file does not change the scale.  Features
listed in ``"unscaled"`` (the complaint-lexicon count) are added with their own
value, outside both, so one lexicon hit weighs the same in a short post and a long
review.

The features themselves come from ``monitoring.sentiment.features``; numpy is not
needed at run time (a dictionary look-up per feature is faster than building
arrays for one short text).  ``features`` + ``predict_proba`` is the reference path
(training uses it); the analyzers score through ``monitoring.sentiment.fused``,
which adds the same weights without building the feature dictionary, and fall back
to the reference path for a model whose flags it does not cover.
"""

from __future__ import annotations

import functools
import gzip
import json
import math
from collections.abc import Sequence
from pathlib import Path

from monitoring.sentiment.base import SentimentResult
from monitoring.sentiment.features import en_features, zh_features
from monitoring.sentiment.fused import ChineseScorer, EnglishScorer

MODELS_DIR = Path(__file__).resolve().parent / "models"
FORMAT = "crisisroom-linear-v2"


class LinearModel:
    """Weights of one exported model."""

    def __init__(self, data: dict):
        if data.get("format") != FORMAT:
            raise ValueError(f"not a {FORMAT} model")
        self.lang: str = data["lang"]
        self.classes: list[str] = list(data["classes"])
        self.k = len(self.classes)
        bias = data.get("class_bias") or [0.0] * self.k
        self.offset = [a + b for a, b in zip(data["intercept"], bias, strict=True)]
        self.neutral_threshold: float = float(data.get("neutral_threshold", 0.0))
        self.weights: dict[str, tuple[float, ...]] = {
            name: tuple(w) for name, w in data["weights"].items()
        }
        self.meta: dict = data.get("meta", {})
        self.binary: bool = bool(data.get("binary", False))
        self.normalize: bool = bool(data.get("normalize", False))
        # features added with their own value, outside ``binary`` / ``normalize``
        # (the complaint-lexicon count: one hit weighs the same in a long review)
        self.unscaled: tuple[str, ...] = tuple(
            n for n in data.get("unscaled", ()) if n in self.weights
        )
        self.i_pos = self.classes.index("positive")
        self.i_neg = self.classes.index("negative")

    @classmethod
    def load(cls, path: str | Path) -> LinearModel:
        """The model in a file, parsed once per process for each version of the file
        (its path, size and modification time): analyzers are made again whenever
        settings change (``reset_analyzers``) and share it, while a file rewritten by
        ``train_sentiment`` is read again.  Treat the instance as read-only."""
        resolved = Path(path).resolve()
        stat = resolved.stat()
        return _load(cls, str(resolved), stat.st_size, stat.st_mtime_ns)

    def predict_proba(self, feats: dict[str, float]) -> list[float]:
        if self.binary or self.normalize:
            return self._predict_proba_scaled(feats)
        get = self.weights.get
        k = self.k
        if k == 3:  # unrolled: this loop is most of the inference time
            z0, z1, z2 = self.offset
            for name, value in feats.items():
                w = get(name)
                if w is not None:
                    z0 += value * w[0]
                    z1 += value * w[1]
                    z2 += value * w[2]
            z = [z0, z1, z2]
        elif k == 2:
            z0, z1 = self.offset
            for name, value in feats.items():
                w = get(name)
                if w is not None:
                    z0 += value * w[0]
                    z1 += value * w[1]
            z = [z0, z1]
        else:
            z = list(self.offset)
            for name, value in feats.items():
                w = get(name)
                if w is not None:
                    for c in range(k):
                        z[c] += value * w[c]
        return _softmax(z)

    def _predict_proba_scaled(self, feats: dict[str, float]) -> list[float]:
        get = self.weights.get
        k = self.k
        binary = self.binary
        sq = float(len(feats)) if binary else sum(v * v for v in feats.values())
        scale = 1.0 / math.sqrt(sq) if self.normalize and sq > 0.0 else 1.0
        if k == 2 and binary:  # unrolled for the Chinese model
            a0 = a1 = 0.0
            for name in feats:
                w = get(name)
                if w is not None:
                    a0 += w[0]
                    a1 += w[1]
            acc = [a0, a1]
        elif k == 3 and binary:
            a0 = a1 = a2 = 0.0
            for name in feats:
                w = get(name)
                if w is not None:
                    a0 += w[0]
                    a1 += w[1]
                    a2 += w[2]
            acc = [a0, a1, a2]
        else:
            acc = [0.0] * k
            for name, value in feats.items():
                w = get(name)
                if w is None:
                    continue
                if binary:
                    value = 1.0
                for c in range(k):
                    acc[c] += value * w[c]
        direct = [0.0] * k
        for name in self.unscaled:
            value = feats.get(name)
            if value is not None:
                w = self.weights[name]
                plain = 1.0 if binary else value
                for c in range(k):
                    acc[c] -= plain * w[c]
                    direct[c] += value * w[c]
        return _softmax(
            [o + a * scale + d for o, a, d in zip(self.offset, acc, direct, strict=True)]
        )

    def result(self, probs: list[float]) -> SentimentResult:
        if self.k == 3:  # the first most probable class, as ``max`` picks it
            p0, p1, p2 = probs
            best = 1 if p1 > p0 else 0
            if p2 > probs[best]:
                best = 2
        else:
            best = max(range(self.k), key=probs.__getitem__)
        confidence = probs[best]
        label = self.classes[best]
        if confidence < self.neutral_threshold:
            label = "neutral"
        score = probs[self.i_pos] - probs[self.i_neg]
        score = min(1.0, max(-1.0, score))
        return SentimentResult(score=round(score, 4), label=label, confidence=round(confidence, 4))


def _softmax(z: list[float]) -> list[float]:
    m = max(z)
    exps = [math.exp(v - m) for v in z]
    total = sum(exps)
    return [e / total for e in exps]


@functools.lru_cache(maxsize=8)
def _load(cls: type[LinearModel], path: str, size: int, mtime_ns: int) -> LinearModel:
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return cls(json.load(fh))


@functools.lru_cache(maxsize=8)
def _fused_scores(analyzer_cls: type, model: LinearModel):
    """The fused path's ``scores`` for a (cached, shared) model, or None when the
    model's flags need the reference path; built once per model and analyzer class."""
    try:
        return analyzer_cls.scorer(model).scores
    except ValueError:  # a model the fused path does not cover
        return None


class _LinearAnalyzer:
    """Base class: subclasses set ``name``, ``model_file``, ``features`` and
    ``scorer`` (the fused path of ``monitoring.sentiment.fused`` for the model, None
    when the model's flags need the reference path)."""

    name = "linear"
    model_file = ""
    _scores = None  # the fused path's ``scores``; None: the reference path

    def __init__(self, model_path: str | Path | None = None):
        self.model = LinearModel.load(model_path or MODELS_DIR / self.model_file)
        self._scores = _fused_scores(type(self), self.model)

    @classmethod
    def scorer(cls, model: LinearModel):  # pragma: no cover
        raise ValueError("no fused path")

    def features(self, text: str) -> dict[str, float]:  # pragma: no cover
        raise NotImplementedError

    def probabilities(self, text: str) -> list[float]:
        """Class probabilities; the same as ``model.predict_proba(features(text))``
        (to the last bits of the sums' order, see ``fused``)."""
        if self._scores is None:
            return self.model.predict_proba(self.features(text or ""))
        return _softmax(self._scores(text or ""))

    def analyze(self, text: str) -> SentimentResult:
        return self.model.result(self.probabilities(text))

    def analyze_many(self, texts: Sequence[str]) -> list[SentimentResult]:
        result = self.model.result
        probabilities = self.probabilities
        return [result(probabilities(t)) for t in texts]


class EnglishLinearAnalyzer(_LinearAnalyzer):
    """English tweets/posts: words, bigrams, negation, char 4-grams, VADER-lexicon cues."""

    name = "en-linear"
    model_file = "en_linear.json.gz"

    def features(self, text: str) -> dict[str, float]:
        return en_features(text)

    @classmethod
    def scorer(cls, model: LinearModel) -> EnglishScorer:
        return EnglishScorer(model)


class ChineseLinearAnalyzer(_LinearAnalyzer):
    """Chinese (Traditional or Simplified): character n-grams over normalised text."""

    name = "zh-linear"
    model_file = "zh_linear.json.gz"

    def features(self, text: str) -> dict[str, float]:
        return zh_features(text)

    @classmethod
    def scorer(cls, model: LinearModel) -> ChineseScorer:
        return ChineseScorer(model)
