"""The alert's volume chart, as text: a Unicode sparkline (▁▂▃▄▅▆▇█) for both parts
of the email and rows of bars for an HTML table.

Why not an image: an inline SVG is stripped by Gmail and Outlook, and a PNG needs
an imaging library or a hand-written encoder plus a CID attachment that some
phone clients show as a separate file. Characters and table cells render in every
client, scale with the phone's font size, and cost nothing to send."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

BLOCKS = "▁▂▃▄▅▆▇█"


def sparkline(values: Sequence[float]) -> str:
    if not values:
        return ""
    top = max(values)
    if top <= 0:
        return BLOCKS[0] * len(values)
    return "".join(BLOCKS[min(7, int(round(7 * v / top)))] for v in values)


def bar_rows(series: Sequence[tuple[datetime, int]], groups: int = 12) -> list[dict]:
    """Merge the series into ``groups`` rows: {at, count, percent} for an HTML bar table."""
    if not series:
        return []
    size = max(1, -(-len(series) // groups))
    rows = []
    for i in range(0, len(series), size):
        chunk = series[i : i + size]
        rows.append({"at": chunk[0][0], "count": sum(c for _, c in chunk)})
    top = max(r["count"] for r in rows) or 1
    for row in rows:
        row["percent"] = max(1, round(100 * row["count"] / top)) if row["count"] else 0
    return rows


def svg_sparkline(
    counts: Sequence[float], negatives: Sequence[float], *, width: int = 160, height: int = 32
) -> dict:
    """Coordinates for an inline SVG sparkline (the dashboard's, one per brand): the
    volume as a line over a filled area and the negatives as a second line, on one
    scale so the red line shows the negative part of the blue one."""
    n = len(counts)
    if not n:
        return {"line": "", "area": "", "negative": "", "width": width, "height": height}
    top = max(max(counts), 1)
    step = width / max(1, n - 1)

    def points(values: Sequence[float]) -> str:
        return " ".join(
            f"{i * step:.1f},{height - 1 - (height - 2) * v / top:.1f}"
            for i, v in enumerate(values)
        )

    line = points(counts)
    return {
        "line": line,
        "area": f"0,{height} {line} {width:.1f},{height}",
        "negative": points(negatives),
        "width": width,
        "height": height,
    }
