"""Sentiment analysis for mentions.

    from monitoring.sentiment import analyze, get_analyzer
    analyze("@acme your app is broken again")          # detects the language
    get_analyzer("zh-hant").analyze("服務很差")

Which class serves a language is configurable::

    SENTIMENT_ANALYZERS = {
        "en": "monitoring.sentiment.linear.EnglishLinearAnalyzer",
        "zh": "monitoring.sentiment.linear.ChineseLinearAnalyzer",
        "other": "monitoring.sentiment.unscored.UnscoredAnalyzer",
    }

The setting is read lazily (first use) through ``django.conf.settings``; when it is
absent, or Django settings are not configured (scripts, plain pytest), the
defaults above apply, and a partial setting is merged over them.  Instances are
cached per dotted path, so model files load once per process;
``reset_analyzers()`` forgets them (it runs by itself when a test overrides the
setting with ``override_settings``).

Languages: "zh-hant" / "zh-hans" (or "zh") use the "zh" analyzer, "en" the "en"
analyzer, and every other label ("other", unknown) the "other" analyzer, which
answers ``"unscored"`` for text in a language no model covers and hands text with no
letters (emoji, emoticons) to the "en" analyzer.  Inference is pure Python (the
``opencc`` and ``vaderSentiment`` packages for script conversion and VADER's lexicon).
"""

from __future__ import annotations

import importlib
import threading

from monitoring.language import detect_language
from monitoring.sentiment.base import LABELS, UNSCORED, Analyzer, SentimentResult

__all__ = [
    "LABELS",
    "UNSCORED",
    "Analyzer",
    "SentimentResult",
    "DEFAULT_ANALYZERS",
    "analyze",
    "get_analyzer",
    "reset_analyzers",
]

DEFAULT_ANALYZERS = {
    "en": "monitoring.sentiment.linear.EnglishLinearAnalyzer",
    "zh": "monitoring.sentiment.linear.ChineseLinearAnalyzer",
    "other": "monitoring.sentiment.unscored.UnscoredAnalyzer",
}

_instances: dict[str, Analyzer] = {}
_lock = threading.Lock()


def _configured_paths() -> dict[str, str]:
    paths = dict(DEFAULT_ANALYZERS)
    try:
        from django.conf import settings

        if settings.configured:
            paths.update(getattr(settings, "SENTIMENT_ANALYZERS", None) or {})
    except ImportError:  # Django not installed: library use
        pass
    return paths


def _import(dotted: str):
    module_name, _, attr = dotted.rpartition(".")
    if not module_name:
        raise ImportError(f"SENTIMENT_ANALYZERS entry {dotted!r} is not a dotted path")
    return getattr(importlib.import_module(module_name), attr)


def _family(lang: str | None) -> str:
    lang = (lang or "").lower()
    if lang.startswith("zh"):
        return "zh"
    return "en" if lang.startswith("en") else "other"


_by_family: dict[str, Analyzer] = {}


def _on_setting_changed(setting=None, **kwargs):
    if setting == "SENTIMENT_ANALYZERS":
        reset_analyzers()


def _connect_signal() -> None:
    try:
        from django.test.signals import setting_changed
    except ImportError:
        return
    setting_changed.connect(_on_setting_changed, dispatch_uid="monitoring.sentiment")


def get_analyzer(lang: str) -> Analyzer:
    """The (cached) analyzer for a language label from ``detect_language``."""
    family = _family(lang)
    analyzer = _by_family.get(family)
    if analyzer is not None:
        return analyzer
    with _lock:
        if not _instances and not _by_family:
            _connect_signal()
        dotted = _configured_paths()[family]
        analyzer = _instances.get(dotted)
        if analyzer is None:
            analyzer = _import(dotted)()
            _instances[dotted] = analyzer
        _by_family[family] = analyzer
    return analyzer


def reset_analyzers() -> None:
    """Forget cached instances (done automatically when a test overrides
    settings.SENTIMENT_ANALYZERS)."""
    with _lock:
        _instances.clear()
        _by_family.clear()


def analyze(text: str, lang: str | None = None) -> SentimentResult:
    """Score one text; the language is detected when ``lang`` is None."""
    if lang is None:
        lang = detect_language(text or "")
    return get_analyzer(lang).analyze(text or "")
