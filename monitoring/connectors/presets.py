"""Presets of the RSS source: news searches an admin picks by name and gives a query.

Google News serves any search as RSS (``/rss/search?q=…``, with the edition's
language and region: ``hl``, ``gl``, ``ceid``); operators such as ``when:1d``,
``"exact phrase"`` and ``-word`` work in the query. Items link to
news.google.com/rss/articles/… (Google redirects to the publisher) and carry the
publisher in ``<source>``, which becomes the mention's author.

Yahoo奇摩新聞 (tw.news.yahoo.com) publishes category feeds under /rss/; its search
results as RSS come from Yahoo's news search (``tw.news.search.yahoo.com/rss?p=…``).
That address is Yahoo's long-standing search-RSS form; it is not documented by
Yahoo Taiwan today, so the source page's "test this source" is the way to confirm it
answers before relying on it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote_plus

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Preset:
    label: Any
    template: str
    note: Any = ""

    def url(self, query: str) -> str:
        return self.template.format(query=quote_plus(query.strip()))


RSS_PRESETS: dict[str, Preset] = {
    "google_news_tw": Preset(
        _("Google News search (Taiwan, Traditional Chinese)"),
        "https://news.google.com/rss/search?q={query}&hl=zh-TW&gl=TW&ceid=TW:zh-Hant",
        _('Operators work: "exact phrase", -word, when:1d.'),
    ),
    "google_news_hk": Preset(
        _("Google News search (Hong Kong, Traditional Chinese)"),
        "https://news.google.com/rss/search?q={query}&hl=zh-HK&gl=HK&ceid=HK:zh-Hant",
        _('Operators work: "exact phrase", -word, when:1d.'),
    ),
    "google_news_en": Preset(
        _("Google News search (English)"),
        "https://news.google.com/rss/search?q={query}&hl=en-US&gl=US&ceid=US:en",
        _('Operators work: "exact phrase", -word, when:1d.'),
    ),
    "yahoo_tw": Preset(
        _("Yahoo奇摩新聞 search"),
        "https://tw.news.search.yahoo.com/rss?p={query}",
        _("Yahoo's search RSS; use “Test this source” to confirm it answers."),
    ),
}


def preset_for(url: str) -> tuple[str, str] | None:
    """(preset name, query) when a feed URL was made from a preset."""
    from urllib.parse import parse_qs, urlsplit

    parts = urlsplit(url or "")
    for name, preset in RSS_PRESETS.items():
        base = urlsplit(preset.template.format(query=""))
        if (parts.hostname, parts.path) == (base.hostname, base.path):
            query = parse_qs(parts.query).get("q" if "google" in name else "p")
            if query and parse_qs(parts.query).get("hl", [None]) == parse_qs(base.query).get(
                "hl", [None]
            ):
                return name, query[0]
    return None
