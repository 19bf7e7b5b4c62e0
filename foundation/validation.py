"""Field checks shared by the API's validators (platform helper: imports no app).

Each raises ``FieldError`` naming the field, so the caller answers 400 with a message
such as "title contains a NUL character" instead of letting PostgreSQL refuse the row
(a 500). Page forms get the same rules from Django's form fields (CharField already
refuses NUL; form posts cannot carry lone surrogates, they decode with replacement).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from foundation.jsonio import bad_text

# PostgreSQL bigint; the widest integer column we store.
MAX_BIGINT = 2**63 - 1
# PostgreSQL integer; reaction counts are stored in integer columns.
MAX_INTEGER = 2**31 - 1
# A day short of the end of year 9999, so "since + a day" arithmetic cannot overflow.
LATEST_SUPPORTED = datetime.max.replace(tzinfo=UTC) - timedelta(days=1)
# No social post is older; a stored date beyond this breaks rollups and charts.
EARLIEST_POST = datetime(1970, 1, 1, tzinfo=UTC)


# The same rules as JSON Schema patterns, for the OpenAPI document: at least one
# character that is not a space and no NUL (what ``text(required=True)`` accepts).
NON_BLANK_PATTERN = r"^[^\x00]*[^\s\x00][^\x00]*$"
NO_NUL_PATTERN = r"^[^\x00]*$"
# A brand named by its slug: any text with a letter or digit of ASCII in it is made a
# slug (lower case, accents dropped, other characters removed).
SLUGGABLE_PATTERN = r"^[^\x00]*[A-Za-z0-9][^\x00]*$"


class FieldError(ValueError):
    """A field's value is refused; ``str()`` names the field and says why."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field} {reason}")
        self.field = field
        self.reason = reason


def text(
    body: dict[str, Any],
    name: str,
    *,
    required: bool = False,
    max_length: int | None = None,
    default: str = "",
    strip: bool = True,
) -> str:
    """A string field of a JSON object: type, NUL/surrogates, emptiness, length."""
    if name not in body or body[name] is None:
        if required:
            raise FieldError(name, "is required")
        return default
    value = body[name]
    if not isinstance(value, str):
        raise FieldError(name, "must be a string")
    return check_text(value, name, required=required, max_length=max_length, strip=strip)


def check_text(
    value: str, name: str, *, required: bool = False, max_length: int | None = None, strip=True
) -> str:
    if reason := bad_text(value):
        raise FieldError(name, reason)
    cleaned = value.strip() if strip else value
    if required and not cleaned.strip():
        raise FieldError(name, "must not be empty")
    if max_length is not None and len(cleaned) > max_length:
        raise FieldError(name, f"is longer than {max_length} characters")
    return cleaned


def whole_number(value: Any, name: str, *, minimum: int = 0, maximum: int = MAX_BIGINT) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise FieldError(name, f"must be a whole number from {minimum} to {maximum}")
    if not minimum <= value <= maximum:
        raise FieldError(name, f"must be a whole number from {minimum} to {maximum}")
    return value


def timestamp(
    raw: Any, name: str, *, earliest: datetime | None = None, latest: datetime | None = None
) -> datetime:
    """An ISO 8601 date-time in UTC (no offset means UTC). Dates whose UTC form falls
    outside year 1..9999 (0001-01-01T00:00:00+01:00) are refused, not an OverflowError."""
    if not isinstance(raw, str) or not raw.strip():
        raise FieldError(name, "must be an ISO 8601 date-time string")
    value = raw.strip()
    if bad_text(value):
        raise FieldError(name, "is not an ISO 8601 date-time")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise FieldError(name, f"is not an ISO 8601 date-time: {value[:40]!r}") from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    low, high = earliest or datetime.min.replace(tzinfo=UTC), latest or LATEST_SUPPORTED
    try:
        moment = moment.astimezone(UTC)
    except OverflowError as exc:
        raise FieldError(name, f"must be between {low:%Y-%m-%d} and {high:%Y-%m-%d}") from exc
    if not low <= moment <= high:
        raise FieldError(name, f"must be between {low:%Y-%m-%d} and {high:%Y-%m-%d}")
    return moment


def is_web_url(value: str) -> bool:
    """Whether a URL typed by a person is http(s) with a host (never javascript: or data:)."""
    try:
        parts = urlsplit(value.strip())
    except ValueError:
        return False
    return parts.scheme.lower() in {"http", "https"} and bool(parts.hostname)


def write_only_keep(holder: Any, names: Iterable[str], typed: Mapping[str, Any]) -> None:
    """Write-only fields (secrets never shown back: tokens, signing secrets, a webhook
    URL that carries its token): each one left empty when a stored row is edited keeps
    its stored value; one typed in replaces it. The in-app settings pages and Django's
    admin both save through this."""
    if holder.pk is None:
        return
    empty = [name for name in names if not typed.get(name)]
    if empty:
        stored = type(holder).objects.filter(pk=holder.pk).values(*empty).get()
        for name in empty:
            setattr(holder, name, stored[name])
