"""Dcard: forum listings and search of posts, and their comments, from the public
JSON the site serves (``/service/api/v2``).

``config["forums"]``: forum aliases, comma-separated ("mobile, money, mood"), read
newest first (``/forums/ALIAS/posts?popular=false``, paged back with ``before``
until the cursor); ``config["query"]``: a search (``/search/posts``). Either or
both. Each new post becomes a mention (title and excerpt, likes as positive
reactions); the comments of new posts and of recent posts whose comment count has
grown are read from the last floor seen (``/posts/ID/comments?after=FLOOR``) and
become mentions of their own pointing at the post. Polite: one request at a time,
``SOURCES_DCARD_REQUEST_GAP_SECONDS`` apart (1 s), at most ``MAX_COMMENTED`` posts'
comments per poll; Cloudflare's challenge page and 429 are transient errors.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from foundation import http
from monitoring.connectors.base import (
    Connector,
    FetchResult,
    Pacer,
    SourceError,
    iso,
    parse_time,
)

if TYPE_CHECKING:
    from foundation.http import Response
    from monitoring.models import Source

DEFAULT_BASE = "https://www.dcard.tw"
PAGE = 30
MAX_PAGES = 3
MAX_COMMENTED = 10
RECENT = 60
_ALIAS = re.compile(r"^[a-z0-9_]{1,40}$")


def _aliases(source: Source) -> list[str]:
    raw = (source.config or {}).get("forums") or ""
    names = raw if isinstance(raw, list) else str(raw).replace("，", ",").split(",")
    names = [str(n).strip().lower() for n in names if str(n).strip()]
    for name in names:
        if not _ALIAS.match(name):
            raise SourceError(f"{name!r} is not a Dcard forum alias", retry=False)
    return names


class DcardConnector(Connector):
    kind = "dcard"
    platform = "dcard"
    needs = _(
        "Forum aliases (e.g. mobile, money) and/or a search query; no account. Dcard's Cloudflare may challenge a server: the source then backs off and tries again."
    )
    example = {"forums": "mobile, 3c", "query": "acme"}

    def __init__(self) -> None:
        self.pacer = Pacer(float(getattr(settings, "SOURCES_DCARD_REQUEST_GAP_SECONDS", 1.0)))

    def _get(self, url: str, params: dict[str, Any], what: str) -> Any:
        with self.pacer:
            response = http.request(
                "GET", url, params=params, headers={"Accept": "application/json"}
            )
        self._check(response, what)
        return response.json()

    def _check(self, response: Response, what: str) -> None:
        if response.status == 403 and (
            response.header("cf-mitigated") or b"Just a moment" in response.body[:4000]
        ):
            raise SourceError(f"{what}: HTTP 403: Cloudflare challenge (try later)", retry=True)
        self.check(response, what=what)

    def _post(self, source: Source, post: dict[str, Any]) -> dict[str, Any] | None:
        moment = parse_time(post.get("createdAt"))
        if not post.get("id") or moment is None or post.get("hidden"):
            return None
        text = f"{post.get('title') or ''}\n{post.get('excerpt') or post.get('content') or ''}"
        text = text.strip()
        if not text:
            return None
        alias = post.get("forumAlias") or ""
        return {
            "source": source.key,
            "external_id": str(post["id"]),
            "text": text,
            "published_at": iso(moment),
            "url": f"https://www.dcard.tw/f/{alias}/p/{post['id']}"
            if alias
            else f"https://www.dcard.tw/p/{post['id']}",
            "author": _author(post),
            "author_followers": 0,
            "lang": "zh-hant",
            "reactions": {"positive": max(0, int(post.get("likeCount") or 0))},
        }

    def fetch(self, source: Source) -> FetchResult:
        base = (source.url or DEFAULT_BASE).rstrip("/") + "/service/api/v2"
        aliases = _aliases(source)
        query = self.config(source, "query", required=False)
        if not aliases and not query:
            raise SourceError("the source's config needs 'forums' or 'query'", retry=False)
        cursor = dict(source.cursor or {})
        last: dict[str, int] = dict(cursor.get("last") or {})
        recent: dict[str, list] = dict(cursor.get("recent") or {})  # id: [comments, floor, alias]
        posts: list[dict[str, Any]] = []
        # Comment counts of every post listed, old ones too: a grown count means new comments.
        counts: dict[str, int] = {}
        for alias in aliases:
            since = int(last.get(alias) or 0)
            newest = since
            before = None
            for _page in range(MAX_PAGES):
                params: dict[str, Any] = {"popular": "false", "limit": PAGE}
                if before:
                    params["before"] = before
                page = self._listing(f"{base}/forums/{alias}/posts", params, f"Dcard {alias}")
                posts += [{"forumAlias": alias, **p} for p in page if int(p.get("id") or 0) > since]
                counts.update({str(p.get("id")): int(p.get("commentCount") or 0) for p in page})
                ids = [int(p.get("id") or 0) for p in page]
                newest = max([newest, *ids])
                if not since or len(page) < PAGE or not ids or min(ids) <= since:
                    break
                before = min(ids)
            last[alias] = newest
        if query:
            since = int(last.get("?") or 0)
            page = self._listing(
                f"{base}/search/posts", {"query": query, "limit": PAGE}, "Dcard search"
            )
            found = [p for p in page if int(p.get("id") or 0) > since]
            counts.update({str(p.get("id")): int(p.get("commentCount") or 0) for p in page})
            posts += found
            last["?"] = max([since] + [int(p.get("id") or 0) for p in found])
        items: list[dict[str, Any]] = []
        seen: set[str] = set()
        for post in sorted(posts, key=lambda p: int(p.get("id") or 0)):
            item = self._post(source, post)
            if item is None or item["external_id"] in seen:
                continue
            seen.add(item["external_id"])
            items.append(item)
            recent.setdefault(item["external_id"], [0, 0, post.get("forumAlias") or ""])
            recent[item["external_id"]][0] = -1  # comments not read yet
        # Comments: new posts and recent posts whose comment count grew on the listing.
        grown = [
            pid
            for pid, (read, _floor, _alias) in recent.items()
            if counts.get(pid, 0) > max(read, 0)
        ]
        for post_id in sorted(grown, key=int)[-(3 if self.trial else MAX_COMMENTED) :]:
            read, floor, alias = recent[post_id]
            comments = self._listing(
                f"{base}/posts/{post_id}/comments",
                {"after": floor, "limit": 50} if floor else {"limit": 50},
                f"Dcard post {post_id}",
            )
            for comment in comments:
                item = _comment(source, comment, post_id, alias)
                if item is not None:
                    items.append(item)
                floor = max(floor, int(comment.get("floor") or 0))
            recent[post_id] = [counts.get(post_id, max(read, 0)), floor, alias]
        kept = sorted(recent, key=int)[-RECENT:]
        return FetchResult(
            items=items,
            new_cursor={"last": last, "recent": {k: recent[k] for k in kept}},
        )

    def _listing(self, url: str, params: dict[str, Any], what: str) -> list[dict[str, Any]]:
        data = self._get(url, params, what)
        if isinstance(data, dict) and "error" in data:
            raise SourceError(f"{what}: {data.get('message') or data['error']}", retry=True)
        if not isinstance(data, list) or not all(isinstance(p, dict) for p in data):
            raise SourceError(f"{what}: unexpected response shape", retry=True)
        return data


def _author(post: dict[str, Any]) -> str:
    if post.get("withNickname") and post.get("school"):
        return str(post["school"])[:200]  # a nickname is shown where the school would be
    parts = [str(post.get(k) or "") for k in ("school", "department")]
    return (" ".join(p for p in parts if p) or "匿名")[:200]


def _comment(
    source: Source, comment: dict[str, Any], post_id: str, alias: str
) -> dict[str, Any] | None:
    moment = parse_time(comment.get("createdAt"))
    content = str(comment.get("content") or "").strip()
    if (
        not comment.get("id")
        or moment is None
        or not content
        or comment.get("hidden")
        or comment.get("hiddenByAuthor")
    ):
        return None
    floor = int(comment.get("floor") or 0)
    return {
        "source": source.key,
        "external_id": str(comment["id"]),
        "text": content,
        "published_at": iso(moment),
        "url": f"https://www.dcard.tw/f/{alias}/p/{post_id}/b/{floor}"
        if alias
        else f"https://www.dcard.tw/p/{post_id}/b/{floor}",
        "author": _author(comment),
        "author_followers": 0,
        "lang": "zh-hant",
        "reply_to": post_id,
        "reactions": {"positive": max(0, int(comment.get("likeCount") or 0))},
    }
