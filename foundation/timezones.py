"""Time zones a person picks (stored times are UTC; only display uses these)."""

from __future__ import annotations

import zoneinfo
from typing import Any

from django.utils.translation import gettext_lazy as _


def zone_choices() -> list[tuple[str, str]]:
    """Every IANA zone, sorted, as form/model choices."""
    return [(name, name) for name in sorted(zoneinfo.available_timezones())]


def zone_named(name: str) -> zoneinfo.ZoneInfo | None:
    """The zone called ``name``; None when there is no such zone (or a malformed name)."""
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None


# The zones a Taiwan-based team meets most, first in the list, named in words (not "CST",
# which is also US Central and China time).
COMMON_ZONES: list[tuple[str, Any]] = [
    ("Asia/Taipei", _("Taipei time")),
    ("UTC", _("UTC")),
    ("Asia/Hong_Kong", _("Hong Kong time")),
    ("Asia/Shanghai", _("China time")),
    ("Asia/Tokyo", _("Japan time")),
    ("Asia/Singapore", _("Singapore time")),
    ("Europe/London", _("London time")),
    ("America/New_York", _("New York time")),
    ("America/Los_Angeles", _("Los Angeles time")),
]
_COMMON = dict(COMMON_ZONES)


def zone_label(name: str) -> str:
    """A zone in words in the active language ("Taipei time", 「台北時間」); the IANA
    name for the others."""
    label = _COMMON.get(name)
    return str(label) if label is not None else name


def zone_choices_common_first() -> list[tuple[str, str]]:
    """The common zones (named and with their IANA name), then every other zone."""
    common = [(name, f"{label} ({name})") for name, label in COMMON_ZONES]
    rest = [(name, name) for name, _label in zone_choices() if name not in _COMMON]
    return common + rest
