"""The connector interface (modelled on healthchecks' hc/api/transports.py).

One small class per source kind. ``fetch(source)`` returns what is new since the
source's cursor as items in the API's mention format (source/external_id/text/
published_at/url/author/author_followers/lang, optionally ``repost_of``), plus the
new cursor, validators for conditional GET and how long to wait before the next
request. Every failure is one exception type, ``SourceError``, that says whether
it is worth retrying (network, 5xx, 429) or not (bad credentials, gone, refused).
"""

from __future__ import annotations

import html
import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from monitoring.connectors.http import Response
    from monitoring.models import Source


class SourceError(Exception):
    """A poll failed. ``retry`` False means retrying will not help: the source is paused."""

    def __init__(self, message: str, *, retry: bool = True, retry_after: float | None = None):
        super().__init__(message)
        self.retry = retry
        self.retry_after = retry_after


@dataclass
class FetchResult:
    items: list[dict[str, Any]] = field(default_factory=list)
    new_cursor: dict[str, Any] | None = None
    etag: str | None = None
    last_modified: str | None = None
    # Seconds the server asked us to wait before the next request (rate limits).
    retry_after: float | None = None
    not_modified: bool = False
    # More is waiting past this page: poll again on the next round, not after the interval.
    more: bool = False


class Connector:
    """Base class: subclasses set ``kind`` and implement ``fetch``."""

    kind: ClassVar[str] = ""
    # The platform a new source of this kind reports its mentions under (rollups, charts).
    platform: ClassVar[str] = ""
    polled: ClassVar[bool] = True

    def fetch(self, source: Source) -> FetchResult:
        raise NotImplementedError

    # --- helpers shared by the connectors -----------------------------------
    @staticmethod
    def config(source: Source, name: str, *, required: bool = True) -> str:
        value = str((source.config or {}).get(name, "") or "").strip()
        if required and not value:
            raise SourceError(f"the source's config needs {name!r}", retry=False)
        return value

    @staticmethod
    def secret(source: Source) -> str:
        """The secret named by config["secret_env"]; never stored in the row. Only names
        from the operator's allow-list (``source_secret``) can be read."""
        from monitoring.secrets import SecretRefused, source_secret

        name = str((source.config or {}).get("secret_env", "") or "").strip()
        if not name:
            raise SourceError("the source's config needs 'secret_env'", retry=False)
        try:
            value = source_secret(name)
        except SecretRefused as exc:
            raise SourceError(str(exc), retry=False) from exc
        if not value:
            raise SourceError(f"the environment variable {name} is not set", retry=False)
        return value

    @staticmethod
    def check(response: Response, *, what: str = "") -> None:
        """Turn an HTTP error status into a SourceError (429/5xx transient, 4xx permanent)."""
        from monitoring.connectors.http import parse_retry_after

        status = response.status
        if status < 400:
            return
        label = what or url_origin(response.url)
        if status == 429 or status == 503:
            wait = parse_retry_after(response.header("retry-after")) or rate_limit_wait(response)
            raise SourceError(
                f"{label}: HTTP {status} (rate limited)", retry=True, retry_after=wait
            )
        if status >= 500 or status == 408:
            raise SourceError(f"{label}: HTTP {status}", retry=True)
        if status in {401, 403}:
            raise SourceError(f"{label}: HTTP {status}: credentials refused", retry=False)
        raise SourceError(f"{label}: HTTP {status}", retry=False)


def url_origin(url: str) -> str:
    """Scheme, host and port of a URL, nothing else: what errors and logs may show. A
    webhook's or feed's path and query can be its credential (Slack, Teams, tokens)."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(str(url))
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "(bad URL)"
    if not host:
        return "(bad URL)"
    if ":" in host:
        host = f"[{host}]"
    return f"{parts.scheme}://{host}{port}" if parts.scheme else host


def rate_limit_wait(response: Response, *, now: float | None = None) -> float | None:
    """Seconds until the rate-limit window resets when the response says none are left.

    Mastodon: X-RateLimit-Remaining / X-RateLimit-Reset (ISO time); Bluesky:
    RateLimit-Remaining / RateLimit-Reset (epoch seconds); Reddit:
    X-Ratelimit-Remaining / X-Ratelimit-Reset (seconds from now).
    """
    now = time.time() if now is None else now
    for prefix in ("x-ratelimit-", "ratelimit-"):
        remaining = response.header(prefix + "remaining")
        reset = response.header(prefix + "reset").strip()
        if not remaining or not reset:
            continue
        try:
            if float(remaining) >= 1:
                return None
        except ValueError:
            continue
        try:
            number = float(reset)
        except ValueError:
            try:
                moment = datetime.fromisoformat(reset.replace("Z", "+00:00"))
            except ValueError:
                return None
            return max(0.0, moment.timestamp() - now)
        # An epoch timestamp (Bluesky) or a delay in seconds (Reddit).
        return max(0.0, number - now) if number > 1_000_000_000 else number
    return None


_TAG = re.compile(r"<[^>]+>")
_BLOCK = re.compile(r"(?i)<\s*(br|/p|/div|/li|/h[1-6])\s*/?>")
_SPACE = re.compile(r"[ \t\r\f\v]+")


def html_to_text(value: str) -> str:
    """Plain text from an HTML fragment: tags dropped, entities decoded, space squeezed."""
    text = _BLOCK.sub("\n", value or "")
    text = html.unescape(_TAG.sub("", text))
    lines = [_SPACE.sub(" ", line).strip() for line in text.splitlines()]
    return "\n".join(line for line in lines if line)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def parse_time(value: Any) -> datetime | None:
    if not value:
        return None
    if isinstance(value, int | float):
        return datetime.fromtimestamp(float(value), tz=UTC)
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
