"""The one JSON reader for input from outside (API bodies, socket frames, form fields).

Platform helper: imports no app. ``json.loads`` alone lets a caller crash the server:
1,000 nested brackets overflow the C decoder's recursion (RecursionError), an integer
of 5,000 digits raises a ValueError Python added against quadratic-time parsing, and
NaN/Infinity are accepted but cannot be stored in PostgreSQL's jsonb. This reader
refuses all of them with ``JSONInputError`` (a ValueError with a message for the
caller), checking depth before parsing so nothing deep is ever recursed into.
"""

from __future__ import annotations

import json
import math
import re
from itertools import accumulate
from typing import Any

MAX_DEPTH = 32
# Far beyond any id or count; parsing stays linear-fast well below Python's 4,300.
MAX_INT_DIGITS = 1000
_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKETS = re.compile(r"[\[\]{}]+")
_DELTA = {"[": 1, "{": 1, "]": -1, "}": -1}
_BAD_TEXT = re.compile(r"[\x00\ud800-\udfff]")


class JSONInputError(ValueError):
    """The input is not JSON this server accepts; the message says why."""


def _depth(text: str) -> int:
    """How deep the brackets outside strings go (linear, no recursion)."""
    only = "".join(_BRACKETS.findall(_STRINGS.sub("", text)))
    if not only:
        return 0
    return max(accumulate(map(_DELTA.__getitem__, only)))


def _int(digits: str) -> int:
    if len(digits.lstrip("-")) > MAX_INT_DIGITS:
        raise JSONInputError(f"a number has more than {MAX_INT_DIGITS} digits")
    return int(digits)


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise JSONInputError(f"the number {text[:20]} is out of range")
    return value


def _constant(name: str) -> Any:
    raise JSONInputError(f"{name} is not a JSON value")


def loads(data: bytes | str, *, max_depth: int = MAX_DEPTH) -> Any:
    """Parse JSON from outside; JSONInputError for anything a caller could abuse."""
    if isinstance(data, bytes | bytearray):
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise JSONInputError("the body is not UTF-8") from exc
    else:
        text = data
    if _depth(text) > max_depth:
        raise JSONInputError(f"it is nested more than {max_depth} levels deep")
    try:
        return json.loads(text, parse_int=_int, parse_float=_float, parse_constant=_constant)
    except JSONInputError:
        raise
    except (json.JSONDecodeError, RecursionError, ValueError) as exc:
        raise JSONInputError(str(exc)) from exc


def bad_text(value: str) -> str | None:
    """Why a string cannot be stored (a NUL or a lone UTF-16 surrogate), or None."""
    found = _BAD_TEXT.search(value)
    if found is None:
        return None
    if found.group() == "\x00":
        return "contains a NUL character"
    return "contains an invalid character (a lone surrogate)"


def bad_text_path(value: Any, path: str = "") -> tuple[str, str] | None:
    """The first place in parsed JSON (keys included) holding text that cannot be
    stored, as (path, reason), or None. The path itself is made printable."""
    found = _bad_text_path(value, path)
    if found is None:
        return None
    where = found[0].encode("utf-8", "backslashreplace").decode("utf-8").replace("\x00", "\\x00")
    return where, found[1]


def _bad_text_path(value: Any, path: str = "") -> tuple[str, str] | None:
    if isinstance(value, str):
        reason = bad_text(value)
        return (path or "(value)", reason) if reason else None
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            if isinstance(key, str) and (reason := bad_text(key)):
                return where, reason
            if found := _bad_text_path(item, where):
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            if found := _bad_text_path(item, f"{path}[{index}]"):
                return found
    return None
