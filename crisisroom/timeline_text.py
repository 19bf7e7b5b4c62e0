"""A timeline line in the reader's language.

System-written entries are stored as a message id (the English text, marked with
``gettext_noop`` where it is written so makemessages finds it) plus JSON parameters,
and translated when shown, so a worker, a zh-Hant colleague and an English colleague
all write the same entry and each reader sees it in their own language. Parameters are
inserted as they are (user text: names, reasons, summaries stay as written), except a
parameter of the form ``{"key": msgid, "params": {...}}`` (built with ``message``),
which is itself translated: choice labels, a nested entry; and ``{"lang": {"en": ...,
"zh-hant": ...}}``, a text already written in every language (a detector signal's
sentence), which gives the reader's. Rows written before the
key existed have none and show their stored text.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from django.conf import settings
from django.template.defaultfilters import date as date_filter
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext

from foundation.timezones import zone_label

Params = Mapping[str, Any]


def message(key: str | Promise, params: Params | None = None) -> dict[str, Any]:
    """A translatable value for a parameter: a msgid (or a lazy choice label, whose
    English text is its msgid) with its own parameters."""
    if isinstance(key, Promise):
        with translation.override("en"):
            key = str(key)
    out: dict[str, Any] = {"key": key}
    if params:
        out["params"] = dict(params)
    return out


def every_language(text: Callable[[], str]) -> dict[str, Any]:
    """A parameter computed in every UI language now (a checklist line's own
    translation, field names), for the reader's to be picked when shown."""
    texts = {}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            texts[code] = str(text())
    return {"lang": texts}


def at_time(value: datetime) -> dict[str, Any]:
    """A time of day as a parameter, shown in the reader's time zone."""
    return {"at": value.isoformat()}


def params_stored(params: Params | None) -> dict[str, Any]:
    """Parameters as JSON keeps them: a lazy translation (a choice label) stays
    translatable, a datetime becomes a time shown in the reader's zone, anything else
    that is not JSON (a model instance, an exception) its text."""
    out: dict[str, Any] = {}
    for name, value in (params or {}).items():
        if isinstance(value, Promise):
            value = message(value)
        elif isinstance(value, datetime):
            value = at_time(value)
        elif isinstance(value, Mapping):
            value = dict(value)
        elif not isinstance(value, str | int | float | bool | type(None)):
            value = str(value)
        out[name] = value
    return out


def _value(value: Any) -> Any:
    if isinstance(value, Mapping) and "at" in value:
        local = timezone.localtime(datetime.fromisoformat(value["at"]))
        return f"{date_filter(local, 'H:i')} {zone_label(timezone.get_current_timezone_name())}"
    if isinstance(value, Mapping) and "key" in value:
        return render(value["key"], value.get("params"))
    if isinstance(value, Mapping) and "lang" in value:
        texts = value["lang"] or {}
        language = (translation.get_language() or settings.LANGUAGE_CODE).lower()
        return (
            texts.get(language)
            or texts.get(language.split("-")[0])
            or texts.get("en")
            or next(iter(texts.values()), "")
        )
    return value


def render(key: str, params: Params | None = None, fallback: str = "") -> str:
    """``key`` translated into the active language, with ``params`` inserted. A msgid
    or parameter that does not fit (a translation with a wrong placeholder) gives the
    English text, then ``fallback``: never an error page for a timeline line."""
    if not key:
        return fallback
    values = {name: _value(v) for name, v in (params or {}).items()}
    if not values:
        return gettext(key)
    try:
        return gettext(key) % values
    except (KeyError, TypeError, ValueError):
        try:
            return key % values
        except (KeyError, TypeError, ValueError):
            return fallback or key


def render_event(event: Any) -> str:
    """An entry (a TimelineEvent, or the dict a websocket payload carries) as text."""
    if isinstance(event, Mapping):
        return render(
            event.get("message_key") or "", event.get("message_params"), event.get("message", "")
        )
    return render(event.message_key, event.message_params, event.message)


def english(key: str, params: Params | None = None) -> str:
    """The English line: what is stored in ``message`` (search, admin, old readers)."""
    with translation.override("en"):
        return render(key, params, key)
