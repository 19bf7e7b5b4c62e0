"""Content that ships as data in two languages: pick the viewer's, fall back to English.

A translatable field ``title`` has a sibling ``title_zh_hant``; an object may be a model
instance or the dict a live event carries. Imports no app.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import get_language, gettext

SUFFIXES = {"zh-hant": "_zh_hant"}


def _get(obj: Any, name: str) -> str:
    if isinstance(obj, dict):
        return str(obj.get(name) or "")
    return str(getattr(obj, name, "") or "")


def localized(obj: Any, field: str, language: str | None = None) -> str:
    """``obj.<field>`` in ``language`` (default: the active one), else the English text
    through gettext (older rows), else as stored."""
    language = (language or get_language() or "en").lower()
    suffix = SUFFIXES.get(language)
    if suffix:
        text = _get(obj, field + suffix)
        if text:
            return text
    english = _get(obj, field)
    return gettext(english) if english else ""


def both(obj: Any, *fields: str) -> dict[str, str]:
    """The fields and their translations, for a live event's payload."""
    out: dict[str, str] = {}
    for field in fields:
        out[field] = _get(obj, field)
        for suffix in SUFFIXES.values():
            out[field + suffix] = _get(obj, field + suffix)
    return out
