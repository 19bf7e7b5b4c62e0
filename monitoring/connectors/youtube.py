"""YouTube Data API v3: recent videos for the watch terms (``search.list``) and the
comment threads on them and on the brand's own channel (``commentThreads.list``).

The API key comes from the environment (``config["secret_env"]``, e.g.
``CRISISROOM_SOURCE_YOUTUBE_API_KEY``). ``config["query"]`` is the search (YouTube's ``|`` means OR);
without it the brand's name, product and hashtag terms are searched.
``config["channel_id"]`` adds the comments on every video of the brand's channel
(``allThreadsRelatedToChannelId``).

Quota: a search costs 100 units, a page of comment threads 1; a project gets
10,000 a day, reset at midnight Pacific time. The source counts what it spends in
its cursor (``quota``: day and units used; shown on the source page), searches at
most every ``config["search_every_minutes"]`` (30: 4,800 units a day), and stops
before ``config["quota_per_day"]`` (10,000) would be passed; ``quotaExceeded`` waits
until the reset. Videos found are watched for new comments for ``WATCH_DAYS``.
"""

from __future__ import annotations

import html
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from django.utils.translation import gettext_lazy as _

from foundation import http
from monitoring.connectors.base import Connector, FetchResult, SourceError, iso, parse_time

if TYPE_CHECKING:
    from foundation.http import Response
    from monitoring.models import Source

DEFAULT_BASE = "https://www.googleapis.com"
SEARCH_COST = 100
COMMENTS_COST = 1
WATCH_DAYS = 7
MAX_WATCHED = 20
PACIFIC = ZoneInfo("America/Los_Angeles")
QUOTA_REASONS = {"quotaExceeded", "dailyLimitExceeded"}
RATE_REASONS = {"rateLimitExceeded", "userRateLimitExceeded"}
SKIP_REASONS = {"commentsDisabled", "videoNotFound", "channelNotFound", "forbidden"}


def quota_day(now: datetime) -> str:
    return now.astimezone(PACIFIC).date().isoformat()


def seconds_to_reset(now: datetime) -> float:
    local = now.astimezone(PACIFIC)
    midnight = datetime.combine(local.date() + timedelta(days=1), datetime.min.time(), PACIFIC)
    return max(60.0, (midnight - local).total_seconds())


def _reason(response: Response) -> tuple[str, str]:
    try:
        error = (response.json() or {}).get("error") or {}
    except (SourceError, AttributeError):
        return "", ""
    if not isinstance(error, dict):
        return "", ""
    errors = error.get("errors") or [{}]
    reason = str((errors[0] or {}).get("reason") or "") if isinstance(errors, list) else ""
    return reason, str(error.get("message") or "")


def watch_query(source: Source) -> str:
    query = str((source.config or {}).get("query") or "").strip()
    if query or not source.brand_id:
        return query
    phrases = []
    for term in source.brand.terms.filter(kind__in=["name", "product", "hashtag"]):
        text = term.query.strip()
        phrases.append(f'"{text}"' if " " in text and not text.startswith('"') else text)
    return " | ".join(phrases) or source.brand.name


class YouTubeConnector(Connector):
    kind = "youtube"
    platform = "youtube"
    needs = _(
        "An API key of a Google Cloud project with the YouTube Data API v3 enabled (no app review), in the environment variable named in secret_env; a search query (or the brand's watch terms) and/or your channel id. 10,000 quota units a day: a search costs 100, a page of comments 1."
    )
    example = {
        "query": "acme",
        "channel_id": "UC…",
        "secret_env": "CRISISROOM_SOURCE_YOUTUBE_API_KEY",
    }

    def __init__(self) -> None:
        self.now = datetime.now(tz=UTC)

    def status_note(self, source: Source) -> str:
        quota = (source.cursor or {}).get("quota") or {}
        used = int(quota.get("used") or 0) if quota.get("day") == quota_day(self.now) else 0
        budget = int((source.config or {}).get("quota_per_day") or 10_000)
        return _("Quota today: %(used)s of %(budget)s units") % {
            "used": f"{used:,}",
            "budget": f"{budget:,}",
        }

    def _call(self, source: Source, path: str, params: dict[str, Any], cost: int) -> Any | None:
        """One API call, counted against the day's quota; None when the thing asked
        about cannot be read (comments disabled, video gone)."""
        quota = self.quota
        budget = int((source.config or {}).get("quota_per_day") or 10_000)
        if quota["used"] + cost > budget:
            raise SourceError(
                f"YouTube: the day's quota budget ({budget} units) is spent",
                retry=True,
                retry_after=seconds_to_reset(self.now),
            )
        quota["used"] += cost
        response = http.request(
            "GET",
            f"{self.base}/youtube/v3/{path}",
            params=params,
            # In a header, not the query string: URLs end up in error messages and logs.
            headers={"Accept": "application/json", "X-Goog-Api-Key": self.key},
        )
        if response.status >= 400:
            reason, message = _reason(response)
            what = f"YouTube {path}: {reason or response.status} {message}".strip()
            if reason in QUOTA_REASONS:
                quota["used"] = max(quota["used"], budget)
                raise SourceError(what, retry=True, retry_after=seconds_to_reset(self.now))
            if reason in RATE_REASONS:
                raise SourceError(what, retry=True, retry_after=60)
            if reason in SKIP_REASONS or response.status == 404:
                return None
            if reason in {"keyInvalid", "accessNotConfigured", "ipRefererBlocked"}:
                raise SourceError(what, retry=False)
            self.check(response, what=what)
        data = response.json()
        if not isinstance(data, dict) or not isinstance(data.get("items", []), list):
            raise SourceError(f"YouTube {path}: unexpected response shape", retry=True)
        return data

    def fetch(self, source: Source) -> FetchResult:
        self.base = (source.url or DEFAULT_BASE).rstrip("/")
        self.key = self.secret(source)
        cursor = dict(source.cursor or {})
        quota = dict(cursor.get("quota") or {})
        today = quota_day(self.now)
        self.quota = quota if quota.get("day") == today else {"day": today, "used": 0}
        query = watch_query(source)
        channel = self.config(source, "channel_id", required=False)
        if not query and not channel:
            raise SourceError("the source's config needs 'query' or 'channel_id'", retry=False)
        # video id: [when it was found, the newest comment time read]
        watched: dict[str, list[str]] = dict(cursor.get("videos") or {})
        items: list[dict[str, Any]] = []
        searched = parse_time(cursor.get("searched_at"))
        every = int((source.config or {}).get("search_every_minutes") or 30)
        if query and (searched is None or self.now - searched >= timedelta(minutes=every)):
            items += self._search(source, query, cursor, watched)
            cursor["searched_at"] = iso(self.now)
        horizon = self.now - timedelta(days=WATCH_DAYS)
        for video_id in list(watched):
            found = parse_time(watched[video_id][0])
            if found is not None and found < horizon:
                del watched[video_id]
        for video_id in sorted(watched, key=lambda v: watched[v][0])[-MAX_WATCHED:]:
            found, newest = watched[video_id]
            got = self._threads(source, {"videoId": video_id}, newest)
            if got is None:
                del watched[video_id]
                continue
            items += got
            latest = max([newest, *(i["published_at"] for i in got)])
            watched[video_id] = [found, latest]
        if channel:
            newest = str(cursor.get("channel") or "")
            got = self._threads(source, {"allThreadsRelatedToChannelId": channel}, newest) or []
            items += got
            cursor["channel"] = max([newest, *(i["published_at"] for i in got)])
        # Saved with the cursor on success; units spent by a poll that failed are not
        # counted (the count errs low by at most one poll).
        cursor["quota"] = self.quota
        cursor["videos"] = watched
        return FetchResult(items=items, new_cursor=cursor)

    def _search(
        self, source: Source, query: str, cursor: dict[str, Any], watched: dict[str, list[str]]
    ) -> list[dict[str, Any]]:
        after = str(cursor.get("published_after") or iso(self.now - timedelta(days=1)))
        data = self._call(
            source,
            "search",
            {
                "part": "snippet",
                "type": "video",
                "order": "date",
                "q": query,
                "maxResults": 50,
                "publishedAfter": after.replace("+00:00", "Z"),
            },
            SEARCH_COST,
        )
        items: list[dict[str, Any]] = []
        newest = after
        for result in (data or {}).get("items", []):
            video_id = ((result or {}).get("id") or {}).get("videoId")
            snippet = (result or {}).get("snippet") or {}
            moment = parse_time(snippet.get("publishedAt"))
            if not video_id or moment is None:
                continue
            # search.list sends titles and descriptions HTML-escaped (&amp;, &#39;).
            text = html.unescape(
                f"{snippet.get('title') or ''}\n{snippet.get('description') or ''}"
            ).strip()
            items.append(
                {
                    "source": source.key,
                    "external_id": str(video_id),
                    "text": text or str(video_id),
                    "published_at": iso(moment),
                    "url": f"https://www.youtube.com/watch?v={video_id}",
                    "author": str(snippet.get("channelTitle") or "")[:200],
                    "author_followers": 0,
                    "lang": str(snippet.get("defaultLanguage") or "")[:20],
                }
            )
            watched.setdefault(str(video_id), [iso(self.now), ""])
            newest = max(newest, iso(moment))
        cursor["published_after"] = newest
        return items

    def _threads(
        self, source: Source, scope: dict[str, str], newest: str
    ) -> list[dict[str, Any]] | None:
        data = self._call(
            source,
            "commentThreads",
            {
                "part": "snippet",
                "order": "time",
                "maxResults": 100,
                "textFormat": "plainText",
                **scope,
            },
            COMMENTS_COST,
        )
        if data is None:
            return None
        items = []
        for thread in data.get("items", []):
            snippet = (thread or {}).get("snippet") or {}
            top = snippet.get("topLevelComment") or {}
            comment = top.get("snippet") or {}
            moment = parse_time(comment.get("publishedAt"))
            video_id = str(snippet.get("videoId") or comment.get("videoId") or "")
            text = str(comment.get("textOriginal") or comment.get("textDisplay") or "").strip()
            if not top.get("id") or moment is None or not text:
                continue
            if newest and iso(moment) <= newest:
                continue
            item = {
                "source": source.key,
                "external_id": str(top["id"]),
                "text": text,
                "published_at": iso(moment),
                "url": f"https://www.youtube.com/watch?v={video_id}&lc={top['id']}"
                if video_id
                else "",
                "author": str(comment.get("authorDisplayName") or "")[:200],
                "author_followers": 0,
                "lang": "",
                "reactions": {"positive": max(0, int(comment.get("likeCount") or 0))},
            }
            if video_id:
                item["reply_to"] = video_id
            items.append(item)
        return items
