"""Text normalisation and term matching shared by brand matching and trigger phrases.

Matching is case-insensitive and width-insensitive (NFKC folds full-width
forms), and works for Chinese, which has no spaces: a term made of CJK
characters matches as a substring, a Latin term only at word boundaries.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Callable, Iterable
from functools import lru_cache

from django.utils.translation import gettext as _

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


# --- Watch-term queries ---------------------------------------------------------------
#
# A watch term is a small query: bare words, "quoted phrases", AND, OR, NOT and
# parentheses. Bare words next to each other are ANDed. Precedence, tightest first:
# NOT in front of an operand ("a AND NOT b", "NOT b"), AND (or juxtaposition), OR, and
# lastly NOT *between* operands, which excludes everything after it from everything
# before it within its group:
#
#     "acme coffee" OR acme咖啡 OR #AcmeCoffee NOT grinder
#     == ("acme coffee" OR acme咖啡 OR #AcmeCoffee) AND NOT grinder
#
# so the common "these names, but not those" reads the way people write it. Each
# word or phrase matches with ``term_pattern`` (case/width-insensitive, Latin at word
# boundaries, CJK as a substring); a phrase is a plain string whose inner spaces
# must be there.


class QueryError(ValueError):
    """A watch-term query that cannot be parsed; the message says where and why."""


_TOKEN_RE = re.compile(r'\s*(?:(\()|(\))|"([^"]*)("?)|([^\s()"]+))')
_OPERATORS = {"AND", "OR", "NOT"}


def _tokenise(query: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    position = 0
    text = query.strip()
    while position < len(text):
        found = _TOKEN_RE.match(text, position)
        if found is None:  # pragma: no cover - the pattern matches any non-space
            raise QueryError(_("cannot read the query at character %d") % (position + 1))
        opening, closing, phrase, closed, word = found.groups()
        position = found.end()
        if opening:
            tokens.append(("(", "("))
        elif closing:
            tokens.append((")", ")"))
        elif phrase is not None:
            if not closed:
                raise QueryError(_('a quoted phrase is not closed: add the closing "'))
            if not phrase.strip():
                raise QueryError(_('a quoted phrase is empty: ""'))
            tokens.append(("TERM", phrase))
        elif word is not None:
            # Operators are upper case only, so "not" and "or" remain searchable words.
            tokens.append((word, word) if word in _OPERATORS else ("TERM", word))
        while position < len(text) and text[position].isspace():
            position += 1
    return tokens


# A parsed query is a small tree of tuples: ("term", text) | ("and", [..]) |
# ("or", [..]) | ("not", node).
Node = tuple


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]]) -> None:
        self.tokens = tokens
        self.at = 0

    def peek(self) -> str | None:
        return self.tokens[self.at][0] if self.at < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        token = self.tokens[self.at]
        self.at += 1
        return token

    def group(self) -> Node:
        node = self.either()
        excluded: list[Node] = []
        while self.peek() == "NOT":
            self.take()
            if self.peek() in (None, ")", "OR", "AND"):
                raise QueryError(_("NOT needs a word or phrase after it"))
            excluded.append(self.either())
        if not excluded:
            return node
        return ("and", [node, *[("not", e) for e in excluded]])

    def either(self) -> Node:
        options = [self.both()]
        while self.peek() == "OR":
            self.take()
            if self.peek() in (None, ")", "OR", "AND"):
                raise QueryError(_("OR needs a word or phrase on both sides"))
            options.append(self.both())
        return options[0] if len(options) == 1 else ("or", options)

    def both(self) -> Node:
        parts = [self.unary()]
        while True:
            kind = self.peek()
            if kind == "AND":
                self.take()
                if self.peek() in (None, ")", "OR", "AND"):
                    raise QueryError(_("AND needs a word or phrase on both sides"))
                parts.append(self.unary())
            elif kind in ("TERM", "("):
                parts.append(self.unary())
            else:
                break
        return parts[0] if len(parts) == 1 else ("and", parts)

    def unary(self) -> Node:
        kind = self.peek()
        if kind == "NOT":
            self.take()
            if self.peek() in (None, ")", "OR", "AND"):
                raise QueryError(_("NOT needs a word or phrase after it"))
            return ("not", self.unary())
        if kind == "(":
            self.take()
            if self.peek() == ")":
                raise QueryError(_("empty parentheses: ()"))
            node = self.group()
            if self.peek() != ")":
                raise QueryError(_("a parenthesis is not closed: add )"))
            self.take()
            return node
        if kind == "TERM":
            return ("term", self.take()[1])
        if kind == ")":
            raise QueryError(_("a closing parenthesis has no opening one"))
        if kind is None:
            raise QueryError(_("the query ends too early"))
        raise QueryError(_("%s needs a word or phrase on its left") % kind)


def parse_query(query: str) -> Node:
    """Parse a watch-term query into a tree; raises ``QueryError`` with a reason."""
    if not query or not query.strip():
        raise QueryError(_("the query is empty"))
    tokens = _tokenise(query)
    parser = _Parser(tokens)
    node = parser.group()
    if parser.peek() == ")":
        raise QueryError(_("a closing parenthesis has no opening one"))
    if parser.peek() is not None:  # pragma: no cover - group() consumes everything else
        raise QueryError(_("unexpected text at the end of the query"))
    if not _has_positive(node):
        raise QueryError(
            _("the query only excludes; say what it should match, e.g. acme NOT grinder")
        )
    return node


def _has_positive(node: Node) -> bool:
    kind = node[0]
    if kind == "term":
        return True
    if kind == "not":
        return False
    return any(_has_positive(child) for child in node[1])


def validate_query(query: str) -> str:
    """The query, stripped, if it parses; else ``QueryError``."""
    parse_query(query)
    return query.strip()


Predicate = Callable[[str], bool]


def _compile(node: Node) -> Predicate:
    kind = node[0]
    if kind == "term":
        search = term_pattern(node[1]).search
        return lambda text: search(text) is not None
    if kind == "not":
        inner = _compile(node[1])
        return lambda text: not inner(text)
    children = [_compile(child) for child in node[1]]
    if kind == "and":
        return lambda text: all(child(text) for child in children)
    return lambda text: any(child(text) for child in children)


@lru_cache(maxsize=4096)
def compile_query(query: str) -> Predicate:
    """A predicate over *normalised* text (see ``normalise``) for one query."""
    return _compile(parse_query(query))


def query_terms(node: Node) -> list[str]:
    """Every word or phrase in a parsed query (used to build fast pre-filters)."""
    if node[0] == "term":
        return [node[1]]
    if node[0] == "not":
        return query_terms(node[1])
    return [term for child in node[1] for term in query_terms(child)]


class PhraseSet:
    """Which of many phrases occur in a text, with one regex scan instead of one per phrase.

    Used for trigger phrases: a combined alternation finds candidates, then each
    candidate's own pattern confirms it (the alternation alone would miss a phrase
    overlapping an earlier match, e.g. "breach" inside "data breach").
    """

    def __init__(self, phrases: Iterable[str]) -> None:
        self.phrases = tuple(dict.fromkeys(p.strip() for p in phrases if p.strip()))
        folded = sorted({normalise(p) for p in self.phrases}, key=len, reverse=True)
        self.any = re.compile("|".join(re.escape(f) for f in folded)) if folded else None
        # (phrase, its folded form, its pattern's search): a pattern can only match
        # where its folded form occurs, so a substring test skips most regex calls.
        self._checks = [(p, normalise(p), term_pattern(p).search) for p in self.phrases]

    def find(self, normalised_text: str) -> list[str]:
        """What ``find_terms(normalised_text, self.phrases)`` finds, in that order."""
        if self.any is None or self.any.search(normalised_text) is None:
            return []
        return [
            phrase
            for phrase, folded, search in self._checks
            if folded in normalised_text and search(normalised_text)
        ]


# --- Near-duplicate key -----------------------------------------------------------------

_URL_RE = re.compile(r"https?://\S+|www\.\S+")
_HANDLE_RE = re.compile(r"(?<!\w)@[\w.]+")
_RT_RE = re.compile(r"^(?:rt|via)\b:?", re.IGNORECASE)
_NOISE_RE = re.compile(r"[\W_]+")
NEAR_DUPLICATE_MIN_CHARS = 12


def near_duplicate_key(text: str, *, folded: str | None = None) -> int | None:
    """A 63-bit hash of the text with case, width, URLs, @handles, punctuation and spaces
    removed, so copy-pasted posts collide; ``None`` for texts too short to tell apart
    (two people writing "so bad" are two voices). ``folded``: ``normalise(text)``
    when the caller has it already."""
    if folded is None:
        folded = normalise(text)
    if "http" in folded or "www." in folded:  # what the patterns need to match
        folded = _URL_RE.sub(" ", folded)
    if "@" in folded:
        folded = _HANDLE_RE.sub(" ", folded)
    folded = _RT_RE.sub(" ", folded.strip())
    folded = _NOISE_RE.sub("", folded)
    if len(folded) < NEAR_DUPLICATE_MIN_CHARS:
        return None
    digest = hashlib.blake2b(folded.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big") >> 1  # fits a signed bigint column
