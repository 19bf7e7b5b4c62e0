"""A word-level diff of two statement versions for approvers: words for English (and
other spaced scripts), single characters inside CJK runs, which have no spaces.

The result is data (what stayed, what went, what came), never HTML: the template
renders each piece escaped, so a statement's text cannot inject markup."""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher

# One CJK character (Han, kana, Hangul, full-width punctuation), a word, a run of
# spaces, or any other single character (punctuation).
TOKEN = re.compile(
    r"[\u3000-\u303f\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]"
    r"|\w+|\s+|.",
    flags=re.DOTALL,
)


@dataclass(frozen=True)
class Piece:
    op: str  # "same" | "removed" | "added"
    text: str


def tokens(text: str) -> list[str]:
    return TOKEN.findall(text)


def word_diff(old: str, new: str) -> list[Piece]:
    """The pieces that turn ``old`` into ``new``, adjacent pieces of one kind merged;
    a replaced word shows as removed then added."""
    a, b = tokens(old), tokens(new)
    pieces: list[Piece] = []

    def put(op: str, text: str) -> None:
        if not text:
            return
        if pieces and pieces[-1].op == op:
            pieces[-1] = Piece(op, pieces[-1].text + text)
        else:
            pieces.append(Piece(op, text))

    for tag, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            put("same", "".join(a[i1:i2]))
            continue
        put("removed", "".join(a[i1:i2]))
        put("added", "".join(b[j1:j2]))
    return pieces


def diff_counts(pieces: list[Piece]) -> dict[str, int]:
    """Words (or CJK characters) removed and added, for the summary line; spaces and
    punctuation do not count."""
    counts = {"removed": 0, "added": 0}
    for piece in pieces:
        if piece.op in counts:
            counts[piece.op] += sum(1 for t in tokens(piece.text) if t.isalnum())
    return counts
