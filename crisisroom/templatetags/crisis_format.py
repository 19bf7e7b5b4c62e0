"""Dates, zones and numbers as a person reads them in their language (built into every
template: ``{{ at|when }}``, ``{{ n|number }}``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import template
from django.contrib.humanize.templatetags.humanize import intcomma
from django.template.defaultfilters import date as date_filter
from django.utils import timezone

from crisisroom.timeline_text import render_event
from foundation.timezones import zone_label

register = template.Library()


@register.filter
def when(value: datetime | None, fmt: str = "Y-m-d H:i") -> str:
    """``2026-12-01 19:16 台北時間``: the time in the viewer's zone, the zone in words."""
    if not value:
        return ""
    zone = timezone.get_current_timezone_name()
    return f"{date_filter(timezone.localtime(value), fmt)} {zone_label(zone)}"


@register.filter
def number(value: Any) -> str:
    """Thousands separators (2,512,675); empty for None."""
    if value is None or value == "":
        return ""
    return str(intcomma(value, use_l10n=False))


@register.filter
def timeline_text(event: Any) -> str:
    """A timeline entry (a TimelineEvent or a websocket payload's dict) in the viewer's
    language; escaped like any other value."""
    return render_event(event)
