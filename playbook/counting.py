"""How long a post is, the way each network counts it (a channel's ``counting``).

Plain Python, no I/O: the statement page's previews, the review helper and the
publishers all count through ``text_length`` so they never disagree.

- characters: Unicode code points (Python's ``len``; what the limit check always did).
- graphemes: what a reader sees as one character (Bluesky counts these): combining
  marks, variation selectors, skin tones and zero-width-joined emoji count once.
- urls_23: code points, but every link counts 23 whatever its length (Mastodon).
- x_weighted: X's weighted count (twitter-text v3): Latin and other light scripts
  count 1, CJK, Hangul, kana and emoji 2, every link 23.
- width: display width on a terminal board (PTT): East Asian wide and full-width
  characters count 2, others 1.
"""

from __future__ import annotations

import re
import unicodedata

URL = re.compile(r"https?://[^\s<>\"']+", re.IGNORECASE)
URL_LENGTH = 23

# twitter-text v3 config: code points in these ranges weigh 1; every other weighs 2.
_LIGHT = ((0x0000, 0x10FF), (0x2000, 0x200D), (0x2010, 0x201F), (0x2032, 0x2037))
_ZWJ = "\u200d"


def _joins_previous(char: str) -> bool:
    """A code point drawn as part of the character before it."""
    code = ord(char)
    return bool(
        unicodedata.combining(char)
        or 0xFE00 <= code <= 0xFE0F  # variation selectors
        or 0x1F3FB <= code <= 0x1F3FF  # skin tones
        or 0xE0020 <= code <= 0xE007F  # tag characters (flag sequences)
        or unicodedata.category(char) == "Me"
    )


def graphemes(text: str) -> list[str]:
    """Split into user-perceived characters (a close approximation of UAX #29)."""
    out: list[str] = []
    joined = False
    for char in text:
        if out and (joined or char == _ZWJ or _joins_previous(char)):
            out[-1] += char
        elif out and _is_regional(char) and len(out[-1]) == 1 and _is_regional(out[-1]):
            out[-1] += char  # two regional indicators make one flag
        else:
            out.append(char)
        joined = char == _ZWJ
    return out


def _is_regional(char: str) -> bool:
    return 0x1F1E6 <= ord(char) <= 0x1F1FF


def _x_weight(cluster: str) -> int:
    code = ord(cluster[0])
    return 1 if any(low <= code <= high for low, high in _LIGHT) else 2


def _width(char: str) -> int:
    if unicodedata.combining(char):
        return 0
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def _with_links(text: str, count_rest) -> int:  # type: ignore[no-untyped-def]
    total, start = 0, 0
    for match in URL.finditer(text):
        total += count_rest(text[start : match.start()]) + URL_LENGTH
        start = match.end()
    return total + count_rest(text[start:])


def text_length(text: str, counting: str = "characters") -> int:
    """``text``'s length as a network with this ``counting`` measures it."""
    if counting == "graphemes":
        return len(graphemes(text))
    if counting == "urls_23":
        return _with_links(text, len)
    if counting == "x_weighted":
        return _with_links(text, lambda part: sum(_x_weight(g) for g in graphemes(part)))
    if counting == "width":
        return sum(_width(char) for char in text)
    return len(text)
