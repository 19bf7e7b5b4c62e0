"""Fused inference: the linear models' class scores straight from the text.

``features.en_features`` / ``zh_features`` build a dictionary of named features and
``LinearModel.predict_proba`` then looks each name up; training uses that pair, and
it stays the reference.  At run time the analyzers use the scorers below instead,
which add the same weights without building the dictionary:

English (``EnglishScorer``, models with neither ``binary`` nor ``normalize``)
    Everything a token contributes (its ``w:`` weights plain and negation-marked,
    the hashtag's bare word, its VADER valence, whether it is a negator, the
    character 4-grams of it the model has weights for and their summed weights) is
    worked out once per distinct token and memoised.  Per text only the bigrams
    (looked up by name), the token-state walk (negation, valence sums) and the
    text-level features (all caps, lexicons, ``v:``) remain.  A character 4-gram
    counts once per text, as in the feature dictionary: a token's precomputed sum
    is added when none of its grams was seen in the text yet, gram by gram
    otherwise.
Chinese (``ChineseScorer``, three-class ``binary`` models)
    The runs of Han characters come from one regular expression; their characters,
    bigrams and trigrams go into sets with ``set.update`` / ``map`` (C loops, no
    feature names built), the negation-marked characters only when the text holds
    a negator, and each set is looked up in a per-family dictionary keyed by the
    name without its prefix.  The number of distinct features, the ``normalize``
    denominator, is the sum of the sets' sizes (the families cannot collide).

The sums run in another order than the dictionary's, so the probabilities can differ
from the reference in the last bits (below 1e-14 on the data files);
``tests/sentiment_identical.py`` checks every text of the data files against the
reference path (rounded results equal, probabilities within 1e-12).
"""

from __future__ import annotations

import math
import operator
import re

from monitoring.sentiment.features import (
    _CLAUSE_END,
    _EN_LEX_RE,
    _LEX,
    _LOWER_RE,
    _NEG_DAMP,
    _NEGATORS,
    _ZH_CMP_RE,
    _ZH_NEG,
    en_tokens,
    zh_normalise,
)

_TOKEN_CACHE_MAX = 200_000
_ZERO = (0.0, 0.0, 0.0)


class EnglishScorer:
    """Class scores ``z`` of a three-class, unscaled English model (see module doc)."""

    __slots__ = ("weights", "offset", "_tokens", "_named", "_bins")

    def __init__(self, model):
        if model.k != 3 or model.binary or model.normalize or model.unscaled:
            raise ValueError("EnglishScorer needs a three-class model without scaling")
        self.weights: dict[str, tuple[float, ...]] = model.weights
        self.offset = tuple(model.offset)
        # token -> None (clause break) or its per-token contributions
        self._tokens: dict[str, tuple | None] = {}
        get = self.weights.get
        self._named = {
            name: get(name)
            for name in (
                "s:allcaps",
                "x:cmp",
                "x:prs",
                "v:compound",
                "v:pos",
                "v:neg",
                "v:zero",
            )
        }
        # v:bin0 .. v:bin9: the binned compound, |compound| < 1
        self._bins = tuple(get(f"v:bin{i}") for i in range(10))

    def _token(self, tok: str) -> tuple | None:
        if tok[0] in _CLAUSE_END and tok[-1] in _CLAUSE_END:
            info = None
        else:
            get = self.weights.get
            hashtag = get("w:" + tok[1:]) if tok[0] == "#" and len(tok) > 1 else None
            grams: frozenset[str] = frozenset()
            gram_sum = _ZERO
            if len(tok) >= 4 and tok[0].isalpha():
                w = "<" + tok + ">"
                grams = frozenset(
                    g for g in ("c:" + w[i : i + 4] for i in range(len(w) - 3)) if g in self.weights
                )
                s0 = s1 = s2 = 0.0
                for g in grams:
                    v = self.weights[g]
                    s0 += v[0]
                    s1 += v[1]
                    s2 += v[2]
                gram_sum = (s0, s1, s2)
            valence = _LEX.get(tok)
            info = (
                get("w:" + tok),
                get("w:NOT_" + tok),
                hashtag,
                None if valence is None else (valence, valence * _NEG_DAMP),
                tok in _NEGATORS or tok.endswith("n't"),
                grams,
                gram_sum,
            )
        if len(self._tokens) >= _TOKEN_CACHE_MAX:
            self._tokens.clear()
        self._tokens[tok] = info
        return info

    def scores(self, text: str) -> list[float]:
        toks = en_tokens(text)
        cache = self._tokens
        wget = self.weights.get
        z0, z1, z2 = self.offset
        negated = False
        prev = "<s>"
        pos_sum = neg_sum = 0.0
        bigrams: set[str] = set()
        seen_grams: set[str] = set()
        marks: set[str] = set()
        for tok in toks:
            try:
                info = cache[tok]
            except KeyError:
                info = self._token(tok)
            if info is None:  # clause break
                negated = False
                if tok[0] in "!?":
                    marks.add("w:" + tok[:2])
                prev = "<p>"
                continue
            plain, negw, hashtag, valence, negator, grams, gram_sum = info
            if valence is not None:
                # (valence, valence after a negator): positive sums up, the rest down
                v = valence[negated]
                if v > 0:
                    pos_sum += v
                else:
                    neg_sum -= v
            w = negw if negated else plain
            if w is not None:
                z0 += w[0]
                z1 += w[1]
                z2 += w[2]
            if hashtag is not None:
                z0 += hashtag[0]
                z1 += hashtag[1]
                z2 += hashtag[2]
            bg = "b:" + prev + " " + tok
            if bg not in bigrams:
                bigrams.add(bg)
                w = wget(bg)
                if w is not None:
                    z0 += w[0]
                    z1 += w[1]
                    z2 += w[2]
            prev = tok
            if negator:
                negated = True
            if grams:
                if seen_grams.isdisjoint(grams):
                    z0 += gram_sum[0]
                    z1 += gram_sum[1]
                    z2 += gram_sum[2]
                else:
                    for g in grams - seen_grams:
                        w = wget(g)
                        z0 += w[0]
                        z1 += w[1]
                        z2 += w[2]
                seen_grams |= grams
        # value-weighted text-level features, as ``en_features`` computes them
        dense: list[tuple[float, tuple[float, ...] | None]] = [(1.0, wget(name)) for name in marks]
        if prev != "<s>" and prev != "<p>":
            bg = "b:" + prev + " </s>"
            if bg not in bigrams:
                dense.append((1.0, wget(bg)))
        named = self._named
        if text != text.lower() and len(_LOWER_RE.findall(text)) < 0.4 * len(text):
            n_letters = sum(map(str.isalpha, text))
            if n_letters >= 6 and sum(map(str.isupper, text)) > 0.6 * n_letters:
                dense.append((1.0, named["s:allcaps"]))
        hits = _EN_LEX_RE.findall(" ".join(toks))
        if hits:
            n_cmp = sum(1 for c, _ in hits if c)
            if n_cmp:
                dense.append((float(min(n_cmp, 3)), named["x:cmp"]))
            if n_cmp < len(hits):
                dense.append((float(min(len(hits) - n_cmp, 3)), named["x:prs"]))
        total = pos_sum - neg_sum
        comp = total / math.sqrt(total * total + 15.0)  # VADER's normalisation
        dense.append((comp, named["v:compound"]))
        dense.append((min(pos_sum, 8.0) / 4.0, named["v:pos"]))
        dense.append((min(neg_sum, 8.0) / 4.0, named["v:neg"]))
        dense.append((1.0, self._bins[int((comp + 1.0) * 4.999)]))
        if total == 0.0:
            dense.append((1.0, named["v:zero"]))
        for value, w in dense:
            if w is not None:
                z0 += value * w[0]
                z1 += value * w[1]
                z2 += value * w[2]
        return [z0, z1, z2]


_HAN = "\u4e00-\u9fff\u3400-\u4dbf\uf900-\ufaff"  # as ``features._is_han``
_ZH_RUN_RE = re.compile(f"[{_HAN}]+")
_ZH_WORD_RE = re.compile(r"[a-z]{2,}")
_add = operator.add


class ChineseScorer:
    """Class scores of a three-class binary (presence) Chinese model."""

    __slots__ = ("offset", "normalize", "_columns", "_cmp")

    FAMILIES = ("u:", "b:", "t:", "n:", "w:", "p:")

    def __init__(self, model):
        if model.k != 3 or not model.binary:
            raise ValueError("ChineseScorer needs a three-class binary model")
        self.offset = tuple(model.offset)
        self.normalize = model.normalize
        # family -> {name without its prefix: weights}: no feature names built
        columns: dict[str, dict[str, tuple[float, ...]]] = {f: {} for f in self.FAMILIES}
        for name, w in model.weights.items():
            family = columns.get(name[:2])
            if family is not None:
                family[name[2:]] = w
        self._columns = columns
        # x:cmp: its own value outside the scaling when listed in ``unscaled``
        self._cmp = (model.weights.get("x:cmp"), "x:cmp" in model.unscaled)

    def scores(self, text: str) -> list[float]:
        norm = zh_normalise(text)
        uni: set[str] = set()
        bi: set[str] = set()
        tri: set[str] = set()
        neg: set[str] = set()
        for run in _ZH_RUN_RE.findall(norm):
            uni.update(run)
            if len(run) > 1:
                pairs = list(map(_add, run, run[1:]))
                bi.update(pairs)
                if len(run) > 2:
                    tri.update(map(_add, pairs, run[2:]))
        if not uni.isdisjoint(_ZH_NEG):
            # a character up to three places after a negator, in the same run
            for run in _ZH_RUN_RE.findall(norm):
                for i, ch in enumerate(run):
                    if ch in _ZH_NEG:
                        neg.update(run[i + 1 : i + 4])
        groups = (
            (uni, "u:"),
            (bi, "b:"),
            (tri, "t:"),
            (neg, "n:"),
            (set(_ZH_WORD_RE.findall(norm)), "w:"),
            ({ch for ch in "!?" if ch in norm}, "p:"),
        )
        a0 = a1 = a2 = 0.0
        n_feats = 0
        columns = self._columns
        for keys, family in groups:
            if not keys:
                continue
            n_feats += len(keys)
            for w in map(columns[family].get, keys):
                if w is not None:
                    a0 += w[0]
                    a1 += w[1]
                    a2 += w[2]
        d0 = d1 = d2 = 0.0
        n_cmp = len(_ZH_CMP_RE.findall(norm))
        if n_cmp:
            n_feats += 1
            w, unscaled = self._cmp
            if w is not None:
                if unscaled:
                    value = float(min(n_cmp, 3))
                    d0, d1, d2 = value * w[0], value * w[1], value * w[2]
                else:
                    a0 += w[0]
                    a1 += w[1]
                    a2 += w[2]
        sq = float(n_feats)
        scale = 1.0 / math.sqrt(sq) if self.normalize and sq > 0.0 else 1.0
        o0, o1, o2 = self.offset
        return [o0 + a0 * scale + d0, o1 + a1 * scale + d1, o2 + a2 * scale + d2]
