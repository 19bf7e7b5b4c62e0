"""What floors above add to a mention's row in the explorer (the playbook: "Reply",
"answered by sam, 02:14"). Each registered part takes the page's mentions at once
(one or two queries for the page, never one per row) and returns html by mention id;
parts register in their AppConfig.ready, as crisisroom's VIEWER_PARTS do."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.utils.html import format_html_join
from django.utils.safestring import SafeString, mark_safe

MENTION_ROW_PARTS: list[Callable[[Sequence[Any]], dict[int, str]]] = []


def row_extras_attach(mentions: Sequence[Any]) -> None:
    """Set ``row_extra`` (safe html, "" when nothing) on each mention of the page."""
    rows = list(mentions)
    found: dict[int, list[str]] = {}
    if rows:
        for part in MENTION_ROW_PARTS:
            for pk, html in part(rows).items():
                found.setdefault(pk, []).append(html)
    for mention in rows:
        parts = found.get(mention.pk, [])
        mention.row_extra = (
            format_html_join("", "{}", ((mark_safe(h),) for h in parts))
            if parts
            else SafeString("")
        )
