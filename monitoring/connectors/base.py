"""The connector interface (modelled on healthchecks' hc/api/transports.py).

One small class per source kind. ``fetch(source)`` returns what is new since the
source's cursor as items in the API's mention format (source/external_id/text/
published_at/url/author/author_followers/lang, optionally ``repost_of``), plus the
new cursor, validators for conditional GET and how long to wait before the next
request. Every failure is one exception type, ``SourceError``, that says whether
it is worth retrying (network, 5xx, 429) or not (bad credentials, gone, refused).
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import TYPE_CHECKING, Any, ClassVar

from foundation.http import SourceError, parse_retry_after, url_origin
from monitoring.secrets import SecretRefused, source_secret

if TYPE_CHECKING:
    from foundation.http import Response
    from monitoring.models import Source


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
    # What an admin must bring for this kind (account, token, app review), shown on
    # the source form in the user's language; and an example of its config.
    needs: ClassVar[Any] = ""
    example: ClassVar[dict[str, Any]] = {}
    # Set for "test this source": read only as much as shows the source works (sites
    # read page by page, like PTT and Dcard, fetch fewer pages in a web request).
    trial: bool = False

    def fetch(self, source: Source) -> FetchResult:
        raise NotImplementedError

    def status_note(self, source: Source) -> str:
        """A line for the source page beside the health (e.g. quota spent); none by default."""
        return ""

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


class Pacer:
    """``with pacer: request(...)``: one request at a time, each starting at least
    ``gap`` seconds after the previous one ended (sites without an API whose
    volunteers or firewalls we should not hammer: PTT, Dcard)."""

    def __init__(self, gap: float) -> None:
        self.gap = max(0.0, gap)
        self._ended = 0.0

    def __enter__(self) -> Pacer:
        pause = self._ended + self.gap - time.monotonic()
        if pause > 0:
            time.sleep(pause)
        return self

    def __exit__(self, *exc: object) -> None:
        self._ended = time.monotonic()


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


_SPACE = re.compile(r"[ \t\r\f\v]+")


class _TextExtractor(HTMLParser):
    """The standard library's HTML parser, keeping text only: it copes with comments,
    `>` inside attributes, unclosed tags and a bare `<` in plain text, which a
    tag-stripping regex does not; script and style bodies are dropped."""

    BLOCKS = frozenset({"br", "p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6"})
    HIDDEN = frozenset({"script", "style", "template"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag in self.HIDDEN:
            self.hidden += 1
        elif tag == "br":
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.HIDDEN:
            self.hidden = max(0, self.hidden - 1)
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)


def html_to_text(value: str) -> str:
    """Plain text from an HTML fragment: tags dropped, entities decoded, space squeezed."""
    parser = _TextExtractor()
    parser.feed(value or "")
    parser.close()
    lines = [_SPACE.sub(" ", line).strip() for line in "".join(parser.parts).splitlines()]
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
