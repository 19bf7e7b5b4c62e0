"""Text normalisation and term matching shared by brand matching and trigger phrases.

Matching is case-insensitive and width-insensitive (NFKC folds full-width
forms), and works for Chinese, which has no spaces: a term made of CJK
characters matches as a substring, a Latin term only at word boundaries.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

DEFAULT_TRIGGER_PHRASES = (
    "boycott",
    "lawsuit",
    "class action",
    "data breach",
    "breach",
    "hacked",
    "leaked",
    "recall",
    "scam",
    "fraud",
    "racist",
    "discrimination",
    "food poisoning",
    "#bankrupt",
    "抵制",
    "罷買",
    "拒買",
    "起訴",
    "訴訟",
    "集體訴訟",
    "個資外洩",
    "資料外洩",
    "外洩",
    "詐騙",
    "食物中毒",
    "歧視",
    "倒閉",
    # Simplified forms, for mainland posts.
    "罢买",
    "拒买",
    "起诉",
    "诉讼",
    "数据泄露",
    "泄露",
    "诈骗",
    "歧视",
    "倒闭",
)


def normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def _is_cjk(ch: str) -> bool:
    code = ord(ch)
    return 0x3000 <= code <= 0x9FFF or 0xF900 <= code <= 0xFAFF or 0x20000 <= code <= 0x2FA1F


_LATIN = "0-9a-z\u00c0-\u024f"
_NOT_AFTER_LATIN = f"(?<![{_LATIN}])"
_NOT_BEFORE_LATIN = f"(?![{_LATIN}])"


@lru_cache(maxsize=4096)
def term_pattern(term: str) -> re.Pattern[str]:
    folded = normalise(term.strip())
    body = re.escape(folded)
    # A Latin edge must not continue a Latin word ("acme" is not in "acmeville"),
    # but may touch CJK text, which has no spaces ("去了acme咖啡").
    start = "" if not folded or _is_cjk(folded[0]) or not folded[0].isalnum() else _NOT_AFTER_LATIN
    end = "" if not folded or _is_cjk(folded[-1]) or not folded[-1].isalnum() else _NOT_BEFORE_LATIN
    return re.compile(start + body + end)


def find_terms(normalised_text: str, terms: Iterable[str]) -> list[str]:
    """The terms (as given) found in text already passed through ``normalise``."""
    return [term for term in terms if term.strip() and term_pattern(term).search(normalised_text)]
