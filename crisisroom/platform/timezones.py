"""Time zones a person picks (stored times are UTC; only display uses these)."""

from __future__ import annotations

import zoneinfo


def zone_choices() -> list[tuple[str, str]]:
    """Every IANA zone, sorted, as form/model choices."""
    return [(name, name) for name in sorted(zoneinfo.available_timezones())]


def zone_named(name: str) -> zoneinfo.ZoneInfo | None:
    """The zone called ``name``; None when there is no such zone (or a malformed name)."""
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None
