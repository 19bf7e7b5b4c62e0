"""Hacker News through the Algolia search API (``search_by_date``): stories and
comments matching config["query"], newer than the cursor's ``created_at_i``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _

from foundation import http
from foundation.http import SourceError
from monitoring.connectors.base import (
    Connector,
    FetchResult,
    html_to_text,
    iso,
    parse_time,
    rate_limit_wait,
)

if TYPE_CHECKING:
    from monitoring.models import Source

DEFAULT_BASE = "https://hn.algolia.com"
MAX_PAGES = 10  # Algolia serves at most 1000 hits per query


class HackerNewsConnector(Connector):
    kind = "hackernews"
    needs = _("A search query; no account (Algolia's public Hacker News search).")
    example = {"query": "acme"}
    platform = "hackernews"

    def fetch(self, source: Source) -> FetchResult:
        base = (source.url or DEFAULT_BASE).rstrip("/")
        since = int((source.cursor or {}).get("created_at_i") or 0)
        params: dict[str, str | int] = {
            "query": self.config(source, "query"),
            "tags": "(story,comment)",
            "hitsPerPage": 100,
        }
        if since:
            params["numericFilters"] = f"created_at_i>={since}"
        hits: list = []
        for page in range(MAX_PAGES):
            response = http.request(
                "GET", f"{base}/api/v1/search_by_date", params={**params, "page": page}
            )
            self.check(response, what="Hacker News search")
            data = response.json()
            page_hits = data.get("hits") if isinstance(data, dict) else None
            if not isinstance(page_hits, list):
                raise SourceError("Hacker News search: unexpected response shape", retry=True)
            hits.extend(page_hits)
            if not since or page + 1 >= int(data.get("nbPages") or 1) or rate_limit_wait(response):
                break  # the first poll starts from now: one page is enough
        items = []
        newest = since
        for hit in hits:
            if not isinstance(hit, dict) or not hit.get("objectID"):
                continue
            title = html_to_text(hit.get("title") or hit.get("story_title") or "")
            body = html_to_text(hit.get("comment_text") or hit.get("story_text") or "")
            text = f"{title}\n{body}".strip() if hit.get("title") else (body or title)
            moment = parse_time(hit.get("created_at_i")) or parse_time(hit.get("created_at"))
            if not text or moment is None:
                continue
            stamp = int(moment.timestamp())
            if stamp < since:
                continue  # same-second items are re-fetched on purpose; dedupe absorbs them
            newest = max(newest, stamp)
            items.append(
                {
                    "source": source.key,
                    "external_id": str(hit["objectID"]),
                    "text": text,
                    "published_at": iso(moment),
                    "url": f"https://news.ycombinator.com/item?id={hit['objectID']}",
                    "author": str(hit.get("author") or "")[:200],
                    "author_followers": 0,
                    "lang": "",
                }
            )
        return FetchResult(
            items=items,
            new_cursor={"created_at_i": newest} if newest else None,
            retry_after=rate_limit_wait(response),
        )
