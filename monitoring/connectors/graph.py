"""Meta's Graph APIs: Facebook pages, Instagram business accounts, Threads.

The brand grants the token (a page access token with ``pages_read_engagement`` /
``pages_read_user_content``; an Instagram token with ``instagram_basic`` and
``instagram_manage_comments``; a Threads user token with ``threads_basic``,
``threads_read_replies`` and, for public search, ``threads_keyword_search``, which
needs Meta's app review); ``config["secret_env"]`` names the environment variable
that holds it. The token is sent in the ``Authorization`` header, never in the URL
(URLs end up in error messages), and the ``paging.next`` URLs the API hands back
(which carry it) are not followed: pages are asked for with ``after``.

Errors come as ``{"error": {"message", "type", "code", "error_subcode"}}``: codes
4, 17, 32, 613 and 80001-80014 are rate limits (wait the
``estimated_time_to_regain_access`` the usage headers give, in minutes), 1 and 2 are
transient, 190 (expired or revoked token) and 10/200-299 (permissions) pause the
source.

The brand's own posts are not mentions: what people write under them (comments,
replies) and about the brand (visitor posts, tags, Threads search) is. Comments on
a post are re-read while the post's comment count or update time moves.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext_lazy as _

from foundation import http
from monitoring.connectors.base import Connector, FetchResult, SourceError, iso, parse_time

if TYPE_CHECKING:
    from foundation.http import Response
    from monitoring.models import Source

RATE_CODES = {4, 17, 32, 613, *range(80001, 80015)}
TRANSIENT_CODES = {1, 2}
WATCH_POSTS = 25
WATCH_DAYS = 14


def _usage_wait(response: Response) -> float | None:
    """Seconds until access returns, from X-Business-Use-Case-Usage / X-App-Usage."""
    minutes = 0.0
    for name in ("x-business-use-case-usage", "x-app-usage", "x-ad-account-usage"):
        raw = response.header(name)
        if not raw:
            continue
        try:
            data = json.loads(raw)
        except ValueError:
            continue
        entries = [data] if isinstance(data, dict) and "call_count" in data else []
        if isinstance(data, dict) and not entries:
            for value in data.values():
                entries += value if isinstance(value, list) else [value]
        for entry in entries:
            if isinstance(entry, dict):
                try:
                    wait = float(entry.get("estimated_time_to_regain_access") or 0)
                except (TypeError, ValueError):
                    wait = 0
                minutes = max(minutes, wait)
    return minutes * 60 if minutes else None


class GraphConnector(Connector):
    """Shared calls for the three Graph APIs."""

    default_base = "https://graph.facebook.com/v21.0"
    label = "Graph API"

    def _get(self, path: str, params: dict[str, Any]) -> dict[str, Any]:
        response = http.request(
            "GET",
            f"{self.base}/{path.lstrip('/')}",
            params=params,
            headers={"Accept": "application/json", "Authorization": f"Bearer {self.token}"},
        )
        what = f"{self.label} {path.split('?')[0]}"
        if response.status >= 400:
            self._error(response, what)
        data = response.json()
        if not isinstance(data, dict):
            raise SourceError(f"{what}: unexpected response shape", retry=True)
        if "data" in data and not isinstance(data["data"], list):
            raise SourceError(f"{what}: unexpected response shape", retry=True)
        return data

    def _error(self, response: Response, what: str) -> None:
        try:
            error = response.json().get("error") or {}
        except (SourceError, AttributeError):
            error = {}
        if not isinstance(error, dict):
            error = {}
        code = int(error.get("code") or 0) if str(error.get("code") or "0").isdigit() else 0
        message = f"{what}: HTTP {response.status} (code {code}) {error.get('message') or ''}"
        message = message.strip()
        if code in RATE_CODES or response.status == 429:
            raise SourceError(message, retry=True, retry_after=_usage_wait(response) or 300)
        if code in TRANSIENT_CODES or response.status >= 500:
            raise SourceError(message, retry=True)
        if code == 190 or code == 10 or 200 <= code <= 299:
            raise SourceError(message + " (grant a new token)", retry=False)
        self.check(response, what=message)
        raise SourceError(message, retry=False)

    def _list(self, path: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        return [row for row in self._get(path, params).get("data", []) if isinstance(row, dict)]

    def _start(self, source: Source) -> dict[str, Any]:
        self.base = (source.url or self.default_base).rstrip("/")
        self.token = self.secret(source)
        self.now = datetime.now(tz=UTC)
        return dict(source.cursor or {})

    def _item(
        self,
        source: Source,
        external_id: str,
        text: str,
        at: Any,
        url: str,
        author: str,
        *,
        reply_to: str = "",
        likes: int | None = None,
    ) -> dict[str, Any] | None:
        moment = parse_time(_graph_time(at))
        text = (text or "").strip()
        if not external_id or not text or moment is None:
            return None
        item: dict[str, Any] = {
            "source": source.key,
            "external_id": str(external_id),
            "text": text,
            "published_at": iso(moment),
            "url": url if str(url).startswith(("http://", "https://")) else "",
            "author": str(author or "")[:200],
            "author_followers": 0,
            "lang": "",
        }
        if reply_to:
            item["reply_to"] = str(reply_to)
        if likes is not None:
            item["reactions"] = {"positive": max(0, int(likes or 0))}
        return item


def _graph_time(value: Any) -> Any:
    """Graph times look like 2026-11-24T10:00:00+0000 (no colon in the offset)."""
    text = str(value or "")
    if len(text) > 5 and text[-5] in "+-" and text[-4:].isdigit():
        return f"{text[:-2]}:{text[-2:]}"
    return value


def _watch(watched: dict[str, list], key: str, marker: str, now: datetime) -> bool:
    """Remember a post; whether its marker (comment count, update time) moved."""
    old = watched.get(key)
    watched[key] = [marker, iso(now) if old is None else old[1]]
    return old is None or old[0] != marker


def _forget_old(watched: dict[str, list], now: datetime) -> dict[str, list]:
    horizon = iso(now - timedelta(days=WATCH_DAYS))
    kept = {k: v for k, v in watched.items() if v[1] >= horizon}
    return dict(sorted(kept.items(), key=lambda kv: kv[1][1])[-WATCH_POSTS * 2 :])


class FacebookConnector(GraphConnector):
    """A Facebook page: visitor posts and comments on the page's feed, and posts that
    tag the page (``config["page_id"]``)."""

    kind = "facebook"
    platform = "facebook"
    label = "Facebook"
    needs = _(
        "A Page access token granted by the brand's page admin (pages_read_engagement, pages_read_user_content; Meta app review unless only the page's own admins use the app), in the environment variable named in secret_env; the page id."
    )
    example = {"page_id": "1048…", "secret_env": "CRISISROOM_SOURCE_FB_PAGE_TOKEN"}
    POST_FIELDS = "id,message,created_time,updated_time,permalink_url,from{id,name}"
    COMMENT_FIELDS = "id,message,created_time,from{id,name},permalink_url,like_count,parent{id}"

    def fetch(self, source: Source) -> FetchResult:
        cursor = self._start(source)
        page = self.config(source, "page_id")
        watched: dict[str, list] = dict(cursor.get("posts") or {})
        items: list[dict[str, Any]] = []
        posts = self._list(f"{page}/feed", {"fields": self.POST_FIELDS, "limit": WATCH_POSTS})
        if (source.config or {}).get("tagged", True):
            posts += self._list(f"{page}/tagged", {"fields": self.POST_FIELDS, "limit": 25})
        for post in posts:
            author = post.get("from") or {}
            if str(author.get("id") or "") != page:
                item = self._item(
                    source,
                    str(post.get("id") or ""),
                    str(post.get("message") or ""),
                    post.get("created_time"),
                    str(post.get("permalink_url") or ""),
                    str(author.get("name") or ""),
                )
                if item is not None:
                    items.append(item)
            marker = str(post.get("updated_time") or post.get("created_time") or "")
            if not post.get("id") or not _watch(watched, str(post["id"]), marker, self.now):
                continue
            for comment in self._list(
                f"{post['id']}/comments",
                {
                    "fields": self.COMMENT_FIELDS,
                    "filter": "stream",
                    "order": "reverse_chronological",
                    "limit": 100,
                },
            ):
                who = comment.get("from") or {}
                if str(who.get("id") or "") == page:
                    continue  # the page's own replies
                item = self._item(
                    source,
                    str(comment.get("id") or ""),
                    str(comment.get("message") or ""),
                    comment.get("created_time"),
                    str(comment.get("permalink_url") or ""),
                    str(who.get("name") or ""),
                    reply_to=str((comment.get("parent") or {}).get("id") or post["id"]),
                    likes=comment.get("like_count"),
                )
                if item is not None:
                    items.append(item)
        cursor["posts"] = _forget_old(watched, self.now)
        return FetchResult(items=items, new_cursor=cursor)


class InstagramConnector(GraphConnector):
    """An Instagram business account (``config["ig_user_id"]``): comments and their
    replies on its media, and media it is tagged in."""

    kind = "instagram"
    platform = "instagram"
    label = "Instagram"
    needs = _(
        "An Instagram business or creator account linked to a Facebook page; a token with instagram_basic and instagram_manage_comments (Meta app review) in the environment variable named in secret_env; the Instagram user id."
    )
    example = {"ig_user_id": "1784…", "secret_env": "CRISISROOM_SOURCE_IG_TOKEN"}
    COMMENT_FIELDS = (
        "id,text,timestamp,username,like_count,replies{id,text,timestamp,username,like_count}"
    )

    def fetch(self, source: Source) -> FetchResult:
        cursor = self._start(source)
        account = self.config(source, "ig_user_id")
        watched: dict[str, list] = dict(cursor.get("media") or {})
        items: list[dict[str, Any]] = []
        media = self._list(
            f"{account}/media",
            {"fields": "id,caption,timestamp,permalink,comments_count,username", "limit": 25},
        )
        for post in media:
            marker = str(post.get("comments_count") or 0)
            if not post.get("id") or not _watch(watched, str(post["id"]), marker, self.now):
                continue
            permalink = str(post.get("permalink") or "")
            for comment in self._list(
                f"{post['id']}/comments", {"fields": self.COMMENT_FIELDS, "limit": 50}
            ):
                item = self._item(
                    source,
                    str(comment.get("id") or ""),
                    str(comment.get("text") or ""),
                    comment.get("timestamp"),
                    permalink,
                    str(comment.get("username") or ""),
                    reply_to=str(post["id"]),
                    likes=comment.get("like_count"),
                )
                if item is not None:
                    items.append(item)
                for reply in ((comment.get("replies") or {}).get("data")) or []:
                    if not isinstance(reply, dict) or reply.get("username") == post.get("username"):
                        continue  # the account's own answers
                    item = self._item(
                        source,
                        str(reply.get("id") or ""),
                        str(reply.get("text") or ""),
                        reply.get("timestamp"),
                        permalink,
                        str(reply.get("username") or ""),
                        reply_to=str(comment.get("id") or post["id"]),
                        likes=reply.get("like_count"),
                    )
                    if item is not None:
                        items.append(item)
        if (source.config or {}).get("tagged", True):
            for post in self._list(
                f"{account}/tags",
                {"fields": "id,caption,timestamp,permalink,username", "limit": 25},
            ):
                item = self._item(
                    source,
                    str(post.get("id") or ""),
                    str(post.get("caption") or ""),
                    post.get("timestamp"),
                    str(post.get("permalink") or ""),
                    str(post.get("username") or ""),
                )
                if item is not None:
                    items.append(item)
        cursor["media"] = _forget_old(watched, self.now)
        return FetchResult(items=items, new_cursor=cursor)


class ThreadsConnector(GraphConnector):
    """Threads: keyword search (``config["query"]``, most recent first) and replies to
    the brand's own posts (``config["replies"]``, default on)."""

    kind = "threads"
    platform = "threads"
    label = "Threads"
    needs = _(
        "A Threads user token (threads_basic, threads_read_replies; public keyword search needs threads_keyword_search, granted by Meta app review: before it, search covers only your own posts) in the environment variable named in secret_env; a search query. At most 2,200 searches a day."
    )
    example = {"query": "acme", "secret_env": "CRISISROOM_SOURCE_THREADS_TOKEN"}
    default_base = "https://graph.threads.net/v1.0"
    FIELDS = "id,text,timestamp,username,permalink,is_reply,replied_to{id},root_post{id}"

    def fetch(self, source: Source) -> FetchResult:
        cursor = self._start(source)
        query = self.config(source, "query", required=False)
        replies = bool((source.config or {}).get("replies", True))
        if not query and not replies:
            raise SourceError("the source's config needs 'query' or replies on", retry=False)
        items: list[dict[str, Any]] = []
        if query:
            since = int(cursor.get("since") or 0)
            params: dict[str, Any] = {
                "q": query,
                "search_type": "RECENT",
                "fields": self.FIELDS,
                "limit": 50,
            }
            if since:
                params["since"] = since
            newest = since
            for post in self._list("keyword_search", params):
                item = self._post(source, post)
                if item is not None:
                    items.append(item)
                    newest = max(
                        newest, int(datetime.fromisoformat(item["published_at"]).timestamp())
                    )
            cursor["since"] = newest
        if replies:
            watched: dict[str, list] = dict(cursor.get("posts") or {})
            own = self._list("me/threads", {"fields": "id,timestamp,has_replies", "limit": 10})
            for post in own:
                if not post.get("id") or not post.get("has_replies", True):
                    continue
                _watch(watched, str(post["id"]), "", self.now)
                for reply in self._list(
                    f"{post['id']}/replies", {"fields": self.FIELDS, "reverse": "false"}
                ):
                    item = self._post(source, reply, default_parent=str(post["id"]))
                    if item is not None:
                        items.append(item)
            cursor["posts"] = _forget_old(watched, self.now)
        return FetchResult(items=items, new_cursor=cursor)

    def _post(
        self, source: Source, post: dict[str, Any], default_parent: str = ""
    ) -> dict[str, Any] | None:
        parent = str((post.get("replied_to") or {}).get("id") or default_parent)
        return self._item(
            source,
            str(post.get("id") or ""),
            str(post.get("text") or ""),
            post.get("timestamp"),
            str(post.get("permalink") or ""),
            str(post.get("username") or ""),
            reply_to=parent,
        )
