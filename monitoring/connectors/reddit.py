"""Reddit search (``/search.json?sort=new``), public listing JSON.

Reddit asks for a descriptive User-Agent and rate-limits by X-Ratelimit-* headers,
which are honoured. The cursor is the newest ``created_utc``; a crosspost is stored
with ``repost_of`` = the original post's fullname."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

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

DEFAULT_BASE = "https://www.reddit.com"
MAX_PAGES = 5


class RedditConnector(Connector):
    kind = "reddit"
    platform = "reddit"
    needs = _("A search query; no account (Reddit's public search, rate-limited per address).")
    example = {"query": "acme"}

    def fetch(self, source: Source) -> FetchResult:
        base = (source.url or DEFAULT_BASE).rstrip("/")
        since = float((source.cursor or {}).get("created_utc") or 0)
        children: list = []
        after = ""
        for _page in range(MAX_PAGES):
            params: dict[str, str | int] = {
                "q": self.config(source, "query"),
                "sort": "new",
                "limit": 100,
                "raw_json": 1,
            }
            if after:
                params["after"] = after
            response = http.request(
                "GET", f"{base}/search.json", params=params, headers={"Accept": "application/json"}
            )
            self.check(response, what="Reddit search")
            data = response.json()
            try:
                page = data["data"]["children"]
                after = str(data["data"].get("after") or "")
            except (KeyError, TypeError, AttributeError) as exc:
                raise SourceError("Reddit search: unexpected response shape", retry=True) from exc
            children.extend(page)
            oldest = min(
                (float((c or {}).get("data", {}).get("created_utc") or 0) for c in page), default=0
            )
            # Newest first: stop at the cursor, on the first poll, or when the limit is spent.
            if not since or not after or oldest < since or rate_limit_wait(response):
                break
        items: list[dict[str, Any]] = []
        newest = since
        for child in children:
            post = (child or {}).get("data") or {}
            created = post.get("created_utc")
            moment = parse_time(created)
            name = str(post.get("name") or "")
            title = html_to_text(str(post.get("title") or ""))
            body = html_to_text(str(post.get("selftext") or post.get("body") or ""))
            text = f"{title}\n{body}".strip()
            if not name or not text or moment is None or float(created) < since:
                continue
            newest = max(newest, float(created))
            item = {
                "source": source.key,
                "external_id": name,
                "text": text,
                "published_at": iso(moment),
                "url": f"https://www.reddit.com{post['permalink']}"
                if post.get("permalink")
                else "",
                "author": str(post.get("author") or "")[:200],
                "author_followers": 0,
                "lang": "",
            }
            if post.get("crosspost_parent"):
                item["repost_of"] = str(post["crosspost_parent"])
            items.append(item)
        return FetchResult(
            items=items,
            new_cursor={"created_utc": newest} if newest else None,
            retry_after=rate_limit_wait(response),
        )
