"""A drill graded: its target table (playbook/targets.py), the planted claims caught and
corrected in time, the comparison with the team's previous drills of the same scenario
(better or worse per target, with a small chart) and the three changes that would have
helped most, worded as actions from the missed targets.

``drill_grade`` returns plain data; ``grade_markdown`` and the report's template render
it (the PDF takes the Markdown)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from difflib import SequenceMatcher
from typing import Any

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from crisisroom.choices import TimelineKind
from crisisroom.models import Drill, Incident
from playbook import targets
from playbook.choices import ClaimStatus, TargetKind
from playbook.durations import duration_text as _duration
from playbook.models import MisinformationClaim

PREVIOUS = 5  # earlier drills of the scenario shown next to this one
MATCH = 0.45  # how alike a ledger claim and a planted one must read to be the same claim
CHART_COLOURS = {
    TargetKind.ACKNOWLEDGE: "#0b5cad",
    TargetKind.HOLDING_STATEMENT: "#b35c00",
    TargetKind.ZH_HANT_STATEMENT: "#6b3fa0",
    TargetKind.UPDATES: "#1b7f3b",
}


def lateness(row: targets.TargetRow) -> int | None:
    """Scenario seconds after the due time (negative: early); None if undecided."""
    if row.state == targets.MISSED:
        return row.by
    if row.state == targets.MET:
        return -(row.by or 0)
    return None


# --- Planted claims ---------------------------------------------------------------------


def _normal(text: str) -> str:
    return re.sub(r"[\W_]+", " ", text.lower()).strip()


def _likeness(a: str, b: str) -> float:
    return SequenceMatcher(None, _normal(a), _normal(b)).ratio()


@dataclass
class PlantedClaim:
    text: str
    status: str  # what the scenario says it is
    found: MisinformationClaim | None = None
    corrected_at: datetime | None = None
    in_time: bool = False

    @property
    def needs_correction(self) -> bool:
        return self.status in (ClaimStatus.FALSE, ClaimStatus.MISLEADING)

    @property
    def status_label(self) -> str:
        return str(ClaimStatus(self.status).label)

    @property
    def outcome(self) -> str:
        if self.found is None:
            return _("not caught")
        if not self.needs_correction:
            return _("caught (no correction needed)")
        if self.corrected_at is None:
            return _("caught, not corrected")
        return _("caught and corrected in time") if self.in_time else _("corrected too late")


def planted_claims(data: dict, incident: Incident, deadline: datetime) -> list[PlantedClaim]:
    """Each planted claim with the ledger row that caught it (the likeliest, each row at
    most once), when it was corrected (the last ledger entry giving it a correction), and
    whether that was before the drill's storm ended."""
    ledger = list(MisinformationClaim.objects.filter(incident=incident))
    entries: dict[int, datetime] = {}
    for pk, at in (
        incident.timeline.filter(kind=TimelineKind.PLAYBOOK, data__has_key="claim")
        .order_by("at")
        .values_list("data__claim", "at")
    ):
        entries[int(pk)] = at
    zh = (get_language() or "").startswith("zh")
    out, taken = [], set()
    for planted in data.get("claims", []):
        texts = [planted["claim"]["en"], planted["claim"]["zh-hant"]]
        claim = PlantedClaim(text=texts[1] if zh else texts[0], status=planted["status"])
        scored = [
            (max(_likeness(row.claim, t) for t in texts), row)
            for row in ledger
            if row.pk not in taken
        ]
        best = max(scored, key=lambda pair: pair[0], default=(0.0, None))
        if best[1] is not None and best[0] >= MATCH:
            row = best[1]
            taken.add(row.pk)
            claim.found = row
            if row.correction.strip() or row.status == ClaimStatus.CORRECTED:
                claim.corrected_at = entries.get(row.pk, row.created_at)
                claim.in_time = claim.corrected_at <= deadline
        out.append(claim)
    return out


# --- Previous drills -------------------------------------------------------------------


def _previous(drill: Drill) -> list[Drill]:
    return list(
        Drill.objects.filter(
            scenario=drill.scenario, started_at__lt=drill.started_at, incident__isnull=False
        )
        .select_related("incident")
        .order_by("-started_at")[:PREVIOUS]
    )[::-1]


def comparison(drill: Drill, rows: list[targets.TargetRow]) -> dict[str, Any]:
    """Per target: this drill's lateness against the last drill's (better / worse / same),
    and the series over the earlier drills for the chart."""
    earlier = _previous(drill)
    history = [
        (d, {r.kind: lateness(r) for r in targets.incident_targets(d.incident)}) for d in earlier
    ]
    now = {r.kind: lateness(r) for r in rows}
    last = history[-1][1] if history else {}
    per_target = []
    for row in rows:
        before, after = last.get(row.kind), now.get(row.kind)
        if before is None or after is None:
            verdict = "none"
        elif after < before:
            verdict = "better"
        elif after > before:
            verdict = "worse"
        else:
            verdict = "same"
        per_target.append(
            {
                "row": row,
                "before": before,
                "after": after,
                "verdict": verdict,
                "change": None if verdict == "none" else abs(after - before),
            }
        )
    return {
        "previous": earlier,
        "per_target": per_target,
        "series": [(d, values) for d, values in history] + [(drill, now)],
    }


VERDICTS = {
    "better": lambda: _("better"),
    "worse": lambda: _("worse"),
    "same": lambda: _("the same"),
    "none": lambda: _("no earlier result"),
}


def verdict_text(entry: dict[str, Any]) -> str:
    text = VERDICTS[entry["verdict"]]()
    if entry["change"]:
        text += f" ({_duration(entry['change'])})"
    return text


def trend_svg(
    series: list[tuple[Drill, dict[str, int | None]]], rows: list[targets.TargetRow]
) -> SafeString:
    """Minutes late (above the line) or early (below) per target, one point per drill."""
    width, height, left, right, top, bottom = 520, 200, 44, 12, 12, 40
    values = [v for _d, vals in series for v in vals.values() if v is not None]
    if len(series) < 2 or not values:
        return mark_safe("")
    span = max(60, *(abs(v) for v in values))
    title = _("Minutes late (above the line) or early (below) per target, by drill")
    x_step = (width - left - right) / max(1, len(series) - 1)

    def y(seconds: float) -> float:
        return top + (height - top - bottom) * (0.5 - seconds / span / 2)

    parts = [
        f'<svg class="trend-chart" viewBox="0 0 {width} {height}" width="{width}" height="{height}"'
        f' role="img" aria-labelledby="trend-title"><title id="trend-title">'
        f"{escape(title)}</title>",
        f'<line x1="{left}" x2="{width - right}" y1="{y(0):.1f}" y2="{y(0):.1f}" stroke="#8a8f98"/>',
        f'<text x="2" y="{y(span) + 10:.1f}">+{round(span / 60)}′</text>',
        f'<text x="2" y="{y(0) + 4:.1f}">0</text>',
        f'<text x="2" y="{y(-span):.1f}">−{round(span / 60)}′</text>',
    ]
    for i, (d, _vals) in enumerate(series):
        parts.append(
            f'<text x="{left + i * x_step:.1f}" y="{height - bottom + 16}" text-anchor="middle">#{d.pk}</text>'
        )
    for row in rows:
        colour = CHART_COLOURS.get(row.kind, "#333")
        points = [
            (left + i * x_step, y(vals[row.kind]))
            for i, (_d, vals) in enumerate(series)
            if vals.get(row.kind) is not None
        ]
        if points:
            path = " ".join(f"{px:.1f},{py:.1f}" for px, py in points)
            parts.append(
                f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>'
            )
            parts += [
                f'<circle cx="{px:.1f}" cy="{py:.1f}" r="3" fill="{colour}"/>' for px, py in points
            ]
    parts.append("</svg>")
    legend = "".join(
        f'<li><span class="swatch" style="background:{CHART_COLOURS.get(r.kind, "#333")}"></span>{escape(r.label)}</li>'
        for r in rows
    )
    svg = "".join(parts)
    return mark_safe(f'{svg}<ul class="trend-legend">{legend}</ul>')


# --- What would have helped ------------------------------------------------------------------


def changes(rows: list[targets.TargetRow], limit: int = 3) -> list[str]:
    """The actions of the missed targets, the worst miss (relative to the target) first."""
    missed = [r for r in rows if r.state == targets.MISSED]
    missed.sort(key=lambda r: (r.by or 0) / (r.minutes * 60), reverse=True)
    return [
        _("%(action)s (missed by %(by)s)")
        % {"action": r.target.action.replace("{n}", str(r.minutes)), "by": r.by_text}
        for r in missed[:limit]
    ]


def drill_grade(drill: Drill, data: dict, incident: Incident | None) -> dict[str, Any] | None:
    if incident is None:
        return None
    rows = targets.incident_targets(incident)
    deadline = drill.started_at + timedelta(minutes=data["duration_minutes"]) / drill.speed
    compared = comparison(drill, rows)
    return {
        "targets": rows,
        "met": sum(1 for r in rows if r.state == targets.MET),
        "decided": sum(1 for r in rows if r.state in (targets.MET, targets.MISSED)),
        "claims": planted_claims(data, incident, deadline),
        "comparison": compared,
        "chart": trend_svg(compared["series"], rows),
        "changes": changes(rows),
    }


def grade_markdown(grade: dict[str, Any] | None) -> list[str]:
    if grade is None:
        return []
    lines = [
        f"## {_('Response targets')}",
        "",
        f"| {_('Target')} | {_('Within')} | {_('Outcome')} | {_('Against the last drill')} |",
        "|---|---|---|---|",
    ]
    for entry in grade["comparison"]["per_target"]:
        row = entry["row"]
        lines.append(
            f"| {row.label} | {_('%(n)s min') % {'n': row.minutes}} | {row.summary} | {verdict_text(entry)} |"
        )
    lines += ["", f"## {_('Planted claims')}", ""]
    for claim in grade["claims"]:
        lines.append(f"- {claim.text} ({claim.status_label}): {claim.outcome}")
    if not grade["claims"]:
        lines.append("—")
    lines += ["", f"## {_('What would have helped most')}", ""]
    lines += [f"{i}. {text}" for i, text in enumerate(grade["changes"], 1)] or [
        _("Every decided target was met.")
    ]
    return lines
