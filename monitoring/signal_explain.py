"""A detector signal as a sentence a person understands, in English and zh-Hant.

"41 posts in the last hour; about 6 expected at this time on a Tuesday (a
chance of about 1 in 2,000,000)." The numbers come from the count model's
window totals (``StreamDetector`` signals: baseline and observed per bucket,
times the buckets of the window) and its tail probability; they are stored in
``Signal.detail`` with the sentence in both languages, so an alert, the
timeline and the feedback export all explain themselves the same way.
"""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone, translation
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext as _

from monitoring.choices import SignalKind
from monitoring.detection import Signal as DetectorSignal

# Every language the UI ships (settings.LANGUAGES): a stored sentence per language.
EXPLAIN_LANGUAGES = ("en", "zh-hant")


def _window_text(minutes: int) -> str:
    if minutes == 60:
        return _("the last hour")
    if minutes % 60 == 0:
        return _("the last %(hours)d hours") % {"hours": minutes // 60}
    return _("the last %(minutes)d minutes") % {"minutes": minutes}


def _odds(probability: float) -> str:
    """'1 in 2,000,000' style odds, rounded to two significant digits."""
    if probability <= 0:
        return "∞"
    odds = 1.0 / probability
    if odds >= 1e12:
        return _("more than a trillion")
    digits = len(str(int(odds))) - 2
    rounded = round(odds, -digits) if digits > 0 else round(odds)
    return f"{int(rounded):,}"


def explain_values(found: DetectorSignal) -> dict:
    """Window totals and probability of a detector signal (stored in Signal.detail)."""
    values = {
        # (a negative_share signal over the count of negative posts: a small
        # brand's negative-count window)
        **({"negatives": True} if found.negatives else {}),
        "window_minutes": found.window_minutes,
        "buckets": found.buckets,
        "surprise_bits": round(found.surprise, 2),
        "probability": found.probability,
    }
    if found.kind == SignalKind.NEGATIVE_SHARE and not found.negatives:
        values.update(expected_share=found.baseline, observed_share=found.observed)
    else:
        values.update(
            expected=round(found.baseline * found.buckets, 2),
            observed=round(found.observed * found.buckets, 2),
        )
    return values


def explain_sentence(kind: str, at, values: dict) -> str:
    """The sentence in the active language."""
    local = timezone.localtime(at)
    window = _window_text(int(values.get("window_minutes", 5)))
    chance = _odds(float(values.get("probability", 1.0)))
    if kind == SignalKind.NEGATIVE_SHARE and not values.get("negatives"):
        return _(
            "%(observed)s of the posts in %(window)s were negative; usually about "
            "%(expected)s (a chance of about 1 in %(chance)s)."
        ) % {
            "observed": f"{values['observed_share']:.0%}",
            "expected": f"{values['expected_share']:.0%}",
            "window": window,
            "chance": chance,
        }
    observed = round(values["observed"])
    expected = values["expected"]
    expected_text = f"{expected:.0f}" if expected >= 10 else f"{expected:.1f}"
    if values.get("negatives"):
        sentence = _(
            "%(observed)s negative posts in %(window)s; about %(expected)s expected at "
            "this time on a %(weekday)s (a chance of about 1 in %(chance)s)."
        )
    else:
        sentence = _(
            "%(observed)s posts in %(window)s; about %(expected)s expected at this time "
            "on a %(weekday)s (a chance of about 1 in %(chance)s)."
        )
    return sentence % {
        "observed": f"{observed:,}",
        "window": window,
        "expected": expected_text,
        "weekday": WEEKDAYS[local.weekday()],
        "chance": chance,
    }


def explain(kind: str, at, found: DetectorSignal) -> dict:
    """Signal.detail entries for a detector signal: the values and the sentence in
    every UI language."""
    values = explain_values(found)
    sentences = {}
    for code in EXPLAIN_LANGUAGES:
        with translation.override(code):
            sentences[code] = explain_sentence(kind, at, values)
    return {**values, "explanation": sentences}


def signal_sentence(signal) -> str:  # type: ignore[no-untyped-def]
    """The stored sentence of a Signal in the active language ('' if it has none)."""
    sentences = (signal.detail or {}).get("explanation") or {}
    language = (translation.get_language() or settings.LANGUAGE_CODE).lower()
    return sentences.get(language) or sentences.get(language.split("-")[0]) or ""
