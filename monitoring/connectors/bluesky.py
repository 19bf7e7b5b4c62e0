"""Bluesky: ``app.bsky.feed.searchPosts`` with an app password.

config: {"query": "...", "handle": "me.bsky.social", "secret_env": "CRISISROOM_SOURCE_BLUESKY_PASSWORD"};
url: the PDS/AppView base (default https://bsky.social). A session is created per
poll (createSession); a refused password pauses the source with the message.
The cursor is the newest ``indexedAt`` seen, passed back as ``since``.

createSession is rate-limited hard (30 per 5 minutes, 300 a day per account), so the
access token is kept in the cache (never in the database or on a page) and a new
session is made only when it has expired.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext_lazy as _

from foundation import http
from foundation.http import SourceError
from monitoring.connectors.base import Connector, FetchResult, iso, parse_time, rate_limit_wait

if TYPE_CHECKING:
    from monitoring.models import Source

DEFAULT_BASE = "https://bsky.social"
MAX_PAGES = 5
SESSION_SECONDS = 90 * 60  # access tokens live about two hours


class BlueskyConnector(Connector):
    kind = "bluesky"
    needs = _(
        "A Bluesky handle and an app password (Settings → App passwords) in the environment variable named in secret_env, and a search query."
    )
    example = {
        "query": "acme",
        "handle": "me.bsky.social",
        "secret_env": "CRISISROOM_SOURCE_BLUESKY_PASSWORD",
    }
    platform = "bluesky"

    @staticmethod
    def _cache_key(base: str, source: Source) -> str:
        handle = str((source.config or {}).get("handle", ""))
        digest = hashlib.sha256(f"{base}|{handle}".encode()).hexdigest()[:24]
        return f"sources:bsky-session:{source.pk}:{digest}"

    def _session(self, base: str, source: Source, *, fresh: bool = False) -> str:
        from django.core.cache import cache

        key = self._cache_key(base, source)
        if not fresh:
            token = cache.get(key)
            if token:
                return str(token)
        response = http.post_json(
            f"{base}/xrpc/com.atproto.server.createSession",
            {"identifier": self.config(source, "handle"), "password": self.secret(source)},
        )
        if response.status in {400, 401}:
            raise SourceError("Bluesky: the handle or app password was refused", retry=False)
        self.check(response, what="Bluesky createSession")
        token = (response.json() or {}).get("accessJwt")
        if not token:
            raise SourceError("Bluesky: createSession returned no token", retry=True)
        cache.set(key, str(token), SESSION_SECONDS)
        return str(token)

    @staticmethod
    def _search(base: str, token: str, params: dict[str, str | int]) -> http.Response:
        return http.request(
            "GET",
            f"{base}/xrpc/app.bsky.feed.searchPosts",
            params=params,
            headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
        )

    def fetch(self, source: Source) -> FetchResult:
        base = (source.url or DEFAULT_BASE).rstrip("/")
        token = self._session(base, source)
        since = str((source.cursor or {}).get("since") or "")
        params: dict[str, str | int] = {
            "q": self.config(source, "query"),
            "sort": "latest",
            "limit": 100,
        }
        if since:
            params["since"] = since
        posts: list = []
        for _page in range(MAX_PAGES):
            response = self._search(base, token, params)
            if response.status in {400, 401} and b"ExpiredToken" in response.body:
                token = self._session(base, source, fresh=True)
                response = self._search(base, token, params)
            self.check(response, what="Bluesky searchPosts")
            data = response.json() or {}
            page = data.get("posts") if isinstance(data, dict) else None
            if not isinstance(page, list):
                raise SourceError("Bluesky searchPosts: unexpected response shape", retry=True)
            posts.extend(page)
            # ``since`` bounds the search, so page on until it is exhausted (not on the first poll).
            if not since or not data.get("cursor") or not page or rate_limit_wait(response):
                break
            params["cursor"] = str(data["cursor"])
        items: list[dict[str, Any]] = []
        newest = parse_time(since)
        for post in posts:
            if not isinstance(post, dict):
                continue
            record = post.get("record") or {}
            author = post.get("author") or {}
            moment = parse_time(record.get("createdAt")) or parse_time(post.get("indexedAt"))
            indexed = parse_time(post.get("indexedAt")) or moment
            text = str(record.get("text") or "").strip()
            uri = str(post.get("uri") or "")
            if not text or not uri or moment is None:
                continue
            if indexed and (newest is None or indexed > newest):
                newest = indexed
            handle = str(author.get("handle") or "")
            rkey = uri.rsplit("/", 1)[-1]
            langs = record.get("langs") or []
            items.append(
                {
                    "source": source.key,
                    "external_id": uri[:255],
                    "text": text,
                    "published_at": iso(moment),
                    "url": f"https://bsky.app/profile/{handle}/post/{rkey}" if handle else "",
                    "author": handle[:200],
                    "author_followers": max(0, int(author.get("followersCount") or 0)),
                    "lang": str(langs[0])[:20] if langs else "",
                }
            )
        return FetchResult(
            items=items,
            new_cursor={"since": iso(newest)} if newest else None,
            retry_after=rate_limit_wait(response),
        )
