"""Mastodon: a hashtag timeline (public, no token) or status search (needs a token on
most servers: config["secret_env"] names it). The cursor is the newest status id
(passed as ``min_id``, so a burst is read page by page, oldest first, and never
skipped; a full page asks for another poll at once); a boost is stored with ``repost_of`` = the original status's id."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import quote

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


PAGE = 40


def _id_key(value: str) -> tuple[int, str]:
    # Mastodon ids are numeric strings: compare by length, then lexically.
    return (len(value), value)


class MastodonConnector(Connector):
    kind = "mastodon"
    platform = "mastodon"
    needs = _(
        "The server's address and a hashtag: no account. Status search needs an access token (read scope) from an account on that server, in the environment variable named in secret_env."
    )
    example = {"hashtag": "acme"}

    def _status(self, source: Source, status: dict[str, Any]) -> dict[str, Any] | None:
        original = status.get("reblog") or None
        shown = original or status
        text = html_to_text(shown.get("content") or "")
        if shown.get("spoiler_text"):
            text = f"{html_to_text(shown['spoiler_text'])}\n{text}".strip()
        moment = parse_time(status.get("created_at"))
        if not text or moment is None or not status.get("id"):
            return None
        account = status.get("account") or {}
        item = {
            "source": source.key,
            "external_id": str(status["id"]),
            "text": text,
            "published_at": iso(moment),
            "url": status.get("url") or shown.get("url") or shown.get("uri") or "",
            "author": str(account.get("acct") or "")[:200],
            "author_followers": max(0, int(account.get("followers_count") or 0)),
            "lang": str(shown.get("language") or "")[:20],
        }
        if original and original.get("id"):
            item["repost_of"] = str(original["id"])
        return item

    def fetch(self, source: Source) -> FetchResult:
        base = (source.url or "").rstrip("/")
        if not base:
            raise SourceError("the source needs the Mastodon server's URL", retry=False)
        since = str((source.cursor or {}).get("since_id") or "")
        params: dict[str, str | int] = {"limit": PAGE}
        if since:
            params["min_id"] = since
        headers = {"Accept": "application/json"}
        hashtag = self.config(source, "hashtag", required=False).lstrip("#")
        if hashtag:
            url = f"{base}/api/v1/timelines/tag/{quote(hashtag, safe='')}"
            if (source.config or {}).get("secret_env"):
                headers["Authorization"] = f"Bearer {self.secret(source)}"
        else:
            params.update(
                {"q": self.config(source, "query"), "type": "statuses", "resolve": "false"}
            )
            url = f"{base}/api/v2/search"
            headers["Authorization"] = f"Bearer {self.secret(source)}"
        response = http.request("GET", url, params=params, headers=headers)
        self.check(response, what=f"Mastodon {base}")
        data = response.json()
        statuses = data.get("statuses", []) if isinstance(data, dict) else data
        if not isinstance(statuses, list):
            raise SourceError(f"Mastodon {base}: unexpected response shape", retry=True)
        items = []
        newest = since
        for status in statuses:
            if not isinstance(status, dict):
                continue
            item = self._status(source, status)
            if item is None:
                continue
            if since and _id_key(item["external_id"]) <= _id_key(since):
                continue  # search ignores since_id on some servers
            items.append(item)
            if not newest or _id_key(item["external_id"]) > _id_key(newest):
                newest = item["external_id"]
        return FetchResult(
            items=items,
            new_cursor={"since_id": newest} if newest else None,
            retry_after=rate_limit_wait(response),
            more=bool(since) and len(statuses) >= PAGE,
        )
