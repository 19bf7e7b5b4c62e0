"""The volume chart of a report (post-crisis review, after-action report): mentions per
bucket over the incident's window, the negative share, and markers for alerts and
published statements. One layout in abstract units feeds two drawers: SVG for the HTML
print view, fpdf2's vector primitives for the PDF (playbook/report_pdf.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from html import escape

from django.utils import timezone
from django.utils.translation import gettext as _

from crisisroom.models import Alert, Incident
from monitoring.models import Rollup
from playbook.models import Statement

# Bucket widths tried in turn until the window fits in MAX_BARS bars.
BUCKET_MINUTES = (5, 10, 15, 30, 60, 120, 180, 360, 720, 1440)
MAX_BARS = 96
# Before the crisis: half as long as it lasted, between 30 minutes and 3 hours (a drill
# replayed fast lasts minutes); after it was resolved: up to 2 hours.
BEFORE = (timedelta(minutes=30), timedelta(hours=3))
AFTER = timedelta(hours=2)

VOLUME = "#5b7db8"
NEGATIVE = "#c0392b"
ALERT = "#d98c00"
STATEMENT = "#1e8449"
INK = "#333333"
GRID = "#dddddd"


@dataclass
class ChartData:
    """Buckets (start, mentions, negative) over [start, end), and the markers."""

    start: datetime
    end: datetime
    minutes: int
    buckets: list[tuple[datetime, int, int]]
    alerts: list[datetime] = field(default_factory=list)
    statements: list[datetime] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(c for _, c, _ in self.buckets)


def _floor(at: datetime, minutes: int) -> datetime:
    # Buckets are aligned on UTC boundaries, as the rollups are.
    epoch = int(at.timestamp()) // (minutes * 60) * (minutes * 60)
    return datetime.fromtimestamp(epoch, tz=UTC)


def chart_data(incident: Incident, now: datetime | None = None) -> ChartData:
    """From a few hours before the crisis began to a while after it was resolved (or now)."""
    now = now or timezone.now()
    end = min((incident.resolved_at or now) + AFTER, now)
    lasted = (incident.resolved_at or now) - incident.started_at
    start = incident.started_at - min(max(lasted / 2, BEFORE[0]), BEFORE[1])
    start = min(start, end - timedelta(hours=1))  # at least an hour, none of it to come
    span = (end - start).total_seconds() / 60
    minutes = next((m for m in BUCKET_MINUTES if span / m <= MAX_BARS), BUCKET_MINUTES[-1])
    start = _floor(start, minutes)
    step = timedelta(minutes=minutes)
    counts: dict[datetime, list[int]] = {}
    for bucket, count, negative in Rollup.objects.filter(
        brand_id=incident.brand_id, bucket__gte=start, bucket__lt=end
    ).values_list("bucket", "count", "negative"):
        row = counts.setdefault(_floor(bucket, minutes), [0, 0])
        row[0] += count
        row[1] += negative
    buckets = []
    at = start
    while at < end:
        count, negative = counts.get(at, (0, 0))
        buckets.append((at, count, negative))
        at += step
    alerts = sorted(
        {
            _floor(at, 1)
            for at in Alert.objects.filter(incident=incident).values_list("created_at", flat=True)
        }
    )
    published = Statement.objects.filter(incident=incident, published_at__isnull=False)
    statements = sorted(published.values_list("published_at", flat=True))
    return ChartData(
        start=start,
        end=at,
        minutes=minutes,
        buckets=buckets,
        alerts=[a for a in alerts if start <= a < at],
        statements=[s for s in statements if start <= s < at],
    )


# --- Layout: primitives in a width × height box ---------------------------------------


@dataclass
class Shape:
    """One thing to draw: kind is rect, line, polyline or text (x, y is the baseline's
    start; anchor start / middle / end)."""

    kind: str
    color: str
    points: list[tuple[float, float]] = field(default_factory=list)
    text: str = ""
    anchor: str = "start"
    size: float = 1.0  # text: relative to the renderer's base size; line: width
    dashed: bool = False


def _nice_max(value: int) -> int:
    for power in range(9):
        for step in (1, 2, 5):
            nice = step * 10**power
            if nice >= value:
                return max(nice, 1)
    return value


def _tick_label(at: datetime, span: timedelta) -> str:
    local = timezone.localtime(at)
    return f"{local:%m-%d %H:%M}" if span > timedelta(hours=20) else f"{local:%H:%M}"


def estimate_width(label: str, size: float) -> float:
    """A label's width for a drawer that cannot measure (SVG): CJK glyphs are square."""
    return sum(size if ord(ch) > 0x2E80 else size * 0.55 for ch in label)


def chart_layout(
    data: ChartData,
    width: float,
    height: float,
    text: float,
    measure: Callable[[str, float], float] = estimate_width,
) -> list[Shape]:
    """The chart's shapes; ``text`` is the height of a line of text in the same units,
    ``measure(label, size)`` the width of a label."""
    left, right = text * 3.2, text * 3.2
    top, bottom = text * 2.6, text * 2.4
    plot_w, plot_h = width - left - right, height - top - bottom
    span = data.end - data.start
    seconds = max(span.total_seconds(), 1)

    def x_of(at: datetime) -> float:
        return left + plot_w * (at - data.start).total_seconds() / seconds

    peak = _nice_max(max((c for _, c, _ in data.buckets), default=0))
    shapes: list[Shape] = []
    base = top + plot_h
    for fraction in (0, 0.5, 1):
        y = base - plot_h * fraction
        shapes.append(Shape("line", GRID, [(left, y), (left + plot_w, y)], size=0.5))
        shapes.append(
            Shape(
                "text",
                VOLUME,
                [(left - text * 0.3, y + text * 0.35)],
                f"{round(peak * fraction):,}",
                "end",
                0.8,
            )
        )
        shapes.append(
            Shape(
                "text",
                NEGATIVE,
                [(left + plot_w + text * 0.3, y + text * 0.35)],
                f"{fraction:.0%}",
                "start",
                0.8,
            )
        )
    bar_w = plot_w / max(len(data.buckets), 1)
    points = []
    for at, count, negative in data.buckets:
        x = x_of(at)
        h = plot_h * count / peak
        if count:
            shapes.append(Shape("rect", VOLUME, [(x + bar_w * 0.1, base - h), (bar_w * 0.8, h)]))
            points.append((x + bar_w / 2, base - plot_h * negative / count))
    if len(points) > 1:
        shapes.append(Shape("polyline", NEGATIVE, points, size=1.2))
    for at in data.alerts:
        x = x_of(at)
        shapes.append(Shape("line", ALERT, [(x, top), (x, base)], size=0.9, dashed=True))
        shapes.append(Shape("text", ALERT, [(x, top - text * 0.25)], "A", "middle", 0.8))
    for at in data.statements:
        # Labelled inside the plot, beside the line, so an alert at the same time
        # (labelled above) stays readable.
        x = x_of(at)
        shapes.append(Shape("line", STATEMENT, [(x, top), (x, base)], size=1.2))
        near_right = x > left + plot_w * 0.9
        label_x = x - text * 0.3 if near_right else x + text * 0.3
        anchor = "end" if near_right else "start"
        shapes.append(Shape("text", STATEMENT, [(label_x, top + text * 0.9)], "S", anchor, 0.8))
    # Time ticks: five labels along the bottom.
    for i in range(5):
        at = data.start + span * i / 4
        x = x_of(at)
        shapes.append(Shape("line", INK, [(x, base), (x, base + text * 0.3)], size=0.5))
        anchor = "start" if i == 0 else "end" if i == 4 else "middle"
        shapes.append(
            Shape("text", INK, [(x, base + text * 1.2)], _tick_label(at, span), anchor, 0.8)
        )
    shapes.append(Shape("line", INK, [(left, base), (left + plot_w, base)], size=0.6))
    # Legend along the top.
    legend = [
        (VOLUME, _("Mentions per %(minutes)s min") % {"minutes": data.minutes}),
        (NEGATIVE, _("Negative share")),
        (ALERT, _("A: alert sent")),
        (STATEMENT, _("S: statement published")),
    ]
    x = left
    for color, label in legend:
        shapes.append(Shape("rect", color, [(x, text * 0.35), (text * 0.7, text * 0.7)]))
        shapes.append(Shape("text", INK, [(x + text * 0.95, text * 1.0)], label, "start", 0.8))
        x += text * 2.0 + measure(label, text * 0.8)
    return shapes


def chart_svg(data: ChartData, width: int = 720, height: int = 260) -> str:
    """The chart as an inline SVG element (it scales to the page's width)."""
    text = 13.0
    parts = [
        f'<svg class="report-chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(_("Mentions over the incident window"))}" '
        'xmlns="http://www.w3.org/2000/svg" font-family="sans-serif">'
    ]
    for shape in chart_layout(data, width, height, text):
        if shape.kind == "rect":
            (x, y), (w, h) = shape.points
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" fill="{shape.color}"/>'
            )
        elif shape.kind == "line":
            (x1, y1), (x2, y2) = shape.points
            dash = ' stroke-dasharray="4 3"' if shape.dashed else ""
            parts.append(
                f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" '
                f'stroke="{shape.color}" stroke-width="{shape.size}"{dash}/>'
            )
        elif shape.kind == "polyline":
            points = " ".join(f"{x:.1f},{y:.1f}" for x, y in shape.points)
            parts.append(
                f'<polyline points="{points}" fill="none" stroke="{shape.color}" '
                f'stroke-width="{shape.size * 1.5}"/>'
            )
        else:
            (x, y) = shape.points[0]
            parts.append(
                f'<text x="{x:.1f}" y="{y:.1f}" fill="{shape.color}" font-size="{text * shape.size:.1f}" '
                f'text-anchor="{shape.anchor}">{escape(shape.text)}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)
