"""The post-crisis review and a drill's after-action report as one structured document:
a list of sections, each a list of blocks (facts, tables, check lists, texts, the volume
chart). Three renderers read it: Markdown (here), PDF (playbook/report_pdf.py) and the
HTML print view (templates/playbook/report_print.html).

Text is in the active language and times in the active time zone: the views activate
the viewer's. To add a section, write a builder ``(incident, now) -> Section | None``
and add it to REVIEW_SECTIONS (and DRILL_SECTIONS when drills should have it too).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from crisisroom.choices import TimelineKind
from crisisroom.models import Drill, Incident, IncidentMember
from crisisroom.templatetags.crisis_format import number, when
from foundation.i18n import localized
from playbook import drill_grading, selectors, targets
from playbook.choices import ClaimStatus, StatementState
from playbook.durations import duration_text
from playbook.models import Assessment, MisinformationClaim, PostCrisisReview
from playbook.report_chart import ChartData, chart_data, chart_svg

NONE = "—"


# --- Blocks ---------------------------------------------------------------------------


@dataclass
class Facts:
    """Label → value rows (the metrics)."""

    kind: ClassVar[str] = "facts"
    rows: list[tuple[str, str]]
    headers: tuple[str, str] | None = None


@dataclass
class Table:
    """A table; ``widths`` are relative column widths."""

    kind: ClassVar[str] = "table"
    headers: list[str]
    rows: list[list[str]]
    widths: tuple[int, ...] = ()

    @property
    def labelled_rows(self) -> list[list[tuple[str, str]]]:
        """Each cell with its column's header (phones stack the cells, labelled)."""
        return [list(zip(self.headers, row, strict=False)) for row in self.rows]


@dataclass
class Checks:
    """A check list: (done, text, note) per item."""

    kind: ClassVar[str] = "checks"
    items: list[tuple[bool, str, str]]


@dataclass
class Text:
    """A paragraph, with an optional label printed above it."""

    kind: ClassVar[str] = "text"
    text: str
    label: str = ""


@dataclass
class Subheading:
    kind: ClassVar[str] = "subheading"
    text: str


@dataclass
class Chart:
    kind: ClassVar[str] = "chart"
    data: ChartData

    @property
    def svg(self) -> str:
        return mark_safe(chart_svg(self.data))  # noqa: S308 - chart_svg escapes every text


Block = Facts | Table | Checks | Text | Subheading | Chart


@dataclass
class Section:
    key: str
    title: str
    blocks: list[Block] = field(default_factory=list)


@dataclass
class Document:
    """``header`` runs along the top of every PDF page."""

    kind: str
    title: str
    header: str
    meta: list[tuple[str, str]]
    sections: list[Section]
    language: str = "en"


SectionBuilder = Callable[[Incident, datetime], "Section | None"]


# --- Formatting -------------------------------------------------------------------------


def share(value: float | None) -> str:
    return NONE if value is None else f"{value:.0%}"


def count(done: Any, total: Any) -> str:
    return f"{done} / {total}" if total else NONE


def at(value: datetime | None) -> str:
    return when(value) if value else NONE


def labelled(label: str, value: str) -> str:
    """``Brand: Acme`` / ``品牌：Acme`` (Chinese takes a full-width colon)."""
    return _("%(label)s: %(value)s") % {"label": label, "value": value}


def _user(user: Any) -> str:
    if user is None:
        return NONE
    return user.get_full_name() or user.get_username()


# --- Sections -----------------------------------------------------------------------------


def metrics_rows(incident: Incident, now: datetime | None = None) -> list[tuple[str, str]]:
    m = selectors.review_metrics(incident, now=now)
    return [
        (_("Time to detect"), duration_text(m["time_to_detect"])),
        (_("Time to acknowledge"), duration_text(m["time_to_acknowledge"])),
        (_("Time to first response"), duration_text(m["time_to_first_response"])),
        (_("Time to resolve"), duration_text(m["time_to_resolve"])),
        (_("Checklist items done"), count(*m["checklist"])),
        (_("Peak volume (mentions per 5 minutes)"), number(m["peak_volume"])),
        (_("Negative share before"), share(m["negative_share_before"])),
        (_("Negative share during"), share(m["negative_share_during"])),
        (_("Negative share after"), share(m["negative_share_after"])),
        (_("Time for sentiment to recover"), duration_text(m["time_to_recover"])),
    ]


def summary_section(incident: Incident, now: datetime) -> Section:
    milestones = [
        (_("Status"), incident.get_status_display()),
        (_("Severity"), incident.get_severity_display()),
        (_("Crisis began"), at(incident.started_at)),
        (_("Incident opened"), at(incident.opened_at)),
        (_("Acknowledged"), at(incident.acknowledged_at)),
        (_("First response"), at(incident.first_response_at)),
        (_("Resolved"), at(incident.resolved_at)),
    ]
    blocks: list[Block] = [
        Facts(metrics_rows(incident, now), (_("Metric"), _("Value"))),
        Facts(milestones, (_("Milestone"), _("Time"))),
    ]
    if incident.resolution_summary:
        blocks.append(Text(incident.resolution_summary, _("Resolution")))
    return Section("summary", _("Summary"), blocks)


def chart_section(incident: Incident, now: datetime) -> Section:
    data = chart_data(incident, now)
    blocks: list[Block] = [Chart(data)]
    if not data.total:
        blocks.append(Text(_("No mentions were counted in this window.")))
    return Section("chart", _("Volume and sentiment"), blocks)


def timeline_section(incident: Incident, now: datetime) -> Section:
    rows = [
        [at(event.at), TimelineKind(event.kind).label, event.text, _user(event.actor)]
        for event in incident.timeline.select_related("actor").order_by("at", "pk")
    ]
    blocks: list[Block] = (
        [Table([_("Time"), _("Kind"), _("What happened"), _("Who")], rows, (22, 14, 50, 14))]
        if rows
        else [Text(NONE)]
    )
    return Section("timeline", _("Timeline"), blocks)


def roster_section(incident: Incident, now: datetime) -> Section:
    members = (
        IncidentMember.objects.filter(incident=incident)
        .select_related("user", "crisis_role")
        .order_by("crisis_role__position", "assigned_at", "pk")
    )
    rows = [
        [m.crisis_role.label, _user(m.user), m.user.email or NONE, at(m.assigned_at)]
        for m in members
    ]
    blocks: list[Block] = (
        [
            Table(
                [_("Crisis role"), _("Team member"), _("Email"), _("On the team since")],
                rows,
                (24, 24, 28, 24),
            )
        ]
        if rows
        else [Text(_("Nobody was put on the team."))]
    )
    return Section("roster", _("Team roster"), blocks)


def assessment_section(incident: Incident, now: datetime) -> Section:
    assessment = Assessment.objects.filter(incident=incident).first()
    figures = selectors.assessment_figures(incident, now=now)
    trend = {
        "worsening": _("worsening"),
        "easing": _("easing"),
        "steady": _("steady"),
    }.get(figures["trend"] or "", NONE)
    platforms = ", ".join(
        f"{row['platform']} ({number(row['n'])})" for row in figures["platforms"][:5]
    )
    blocks: list[Block] = []
    if assessment:
        cadence = assessment.update_every_minutes
        blocks.append(
            Facts(
                [
                    (_("Classification"), assessment.get_classification_display() or NONE),
                    (_("Response level"), assessment.get_response_level_display()),
                    (
                        _("Public update every"),
                        _("%(minutes)s min") % {"minutes": cadence} if cadence else NONE,
                    ),
                    (_("Assessed by"), _user(assessment.updated_by)),
                ],
                (_("Assessment"), _("Value")),
            )
        )
        for label, text in [
            (_("Original source"), assessment.original_source),
            (_("Verified facts"), assessment.verified_facts),
            (_("Key voices"), assessment.key_voices),
            (_("Media coverage"), assessment.media_coverage),
        ]:
            if text:
                blocks.append(Text(text, label))
    else:
        blocks.append(Text(_("The team recorded no assessment.")))
    blocks.append(
        Facts(
            [
                (_("Mentions"), number(figures["mentions"])),
                (_("Reach (followers)"), number(figures["reach"])),
                (_("Mentions per hour"), str(figures["per_hour"])),
                (_("Negative share"), share(figures["sentiment"]["negative_share"])),
                (_("Trend"), trend),
                (_("Platforms by harm"), platforms or NONE),
            ],
            (_("From the data"), _("Value")),
        )
    )
    return Section("assessment", _("Assessment"), blocks)


def ledger_section(incident: Incident, now: datetime) -> Section:
    rows = []
    for claim in MisinformationClaim.objects.filter(incident=incident).prefetch_related(
        "history__by"
    ):
        changes = [
            f"{at(change.at)} {ClaimStatus(change.to_status).label} ({_user(change.by)})"
            for change in claim.history.all()
        ]
        correction = claim.correction or NONE
        if claim.correction_url:
            correction += f"\n{claim.correction_url}"
        rows.append(
            [
                claim.claim,
                ClaimStatus(claim.status).label,
                claim.evidence or NONE,
                correction,
                "\n".join(changes) or NONE,
            ]
        )
    blocks: list[Block] = (
        [
            Table(
                [_("Claim"), _("Status"), _("Evidence"), _("Correction"), _("History")],
                rows,
                (26, 11, 21, 21, 21),
            )
        ]
        if rows
        else [Text(_("No claims were logged."))]
    )
    return Section("ledger", _("Misinformation ledger"), blocks)


def statements_section(incident: Incident, now: datetime) -> Section:
    statements = selectors.statements_for(incident)
    if not statements:
        return Section("statements", _("Statements"), [Text(_("No statements were drafted."))])
    rows = [
        [
            f"#{s.pk}",
            s.title or NONE,
            StatementState(s.state).label,
            str(s.version),
            at(s.published_at),
        ]
        for s in statements
    ]
    blocks: list[Block] = [
        Table(
            [_("Statement"), _("Title"), _("State"), _("Version"), _("Published")],
            rows,
            (11, 37, 16, 10, 26),
        )
    ]
    for statement in statements:
        if statement.state != StatementState.PUBLISHED:
            continue
        name = f"#{statement.pk} {statement.title}".strip()
        blocks.append(
            Subheading(
                _("%(statement)s, version %(version)s")
                % {"statement": name, "version": statement.version}
            )
        )
        blocks.append(Text(statement.body))
        approvals = sorted(
            (a for a in statement.approvals.all() if a.version == statement.version),
            key=lambda a: (a.at, a.pk),
        )
        facts = [(a.role.label, f"{_user(a.user)} · {at(a.at)}") for a in approvals]
        facts += [
            (
                _("Published on %(channel)s") % {"channel": p.channel or NONE},
                " · ".join(x for x in [p.get_state_display(), at(p.at), p.url] if x),
            )
            for p in statement.publications.all()
        ]
        if facts:
            blocks.append(Facts(facts, (_("Approval or publication"), _("By whom, when"))))
    return Section("statements", _("Statements"), blocks)


def checklist_section(incident: Incident, now: datetime) -> Section:
    language = get_language()
    blocks: list[Block] = []
    for step in selectors.run_steps(incident):
        blocks.append(
            Subheading(
                f"{step.number}. {localized(step, 'title', language)} · {step.get_state_display()}"
            )
        )
        items = [
            (
                item.done,
                localized(item, "text", language),
                f"{_user(item.done_by)} · {at(item.done_at)}" if item.done else "",
            )
            for item in step.items.all()
        ]
        if items:
            blocks.append(Checks(items))
    if not blocks:
        blocks.append(Text(_("No playbook was run.")))
    return Section("checklist", _("Playbook checklist"), blocks)


def lessons_section(incident: Incident, now: datetime) -> Section:
    review = PostCrisisReview.objects.filter(incident=incident).first()
    actions = list(review.actions.select_related("owner")) if review else []
    blocks: list[Block] = [
        Subheading(_("Root cause")),
        Text((review.root_cause if review else "") or NONE),
        Subheading(_("Lessons")),
        Text((review.lessons if review else "") or NONE),
        Subheading(_("Policy actions")),
    ]
    if actions:
        blocks.append(
            Checks(
                [
                    (a.done, a.text, _("owner: %(owner)s") % {"owner": _user(a.owner)})
                    for a in actions
                ]
            )
        )
    else:
        blocks.append(Text(NONE))
    return Section("lessons", _("Lessons and policy actions"), blocks)


def _target_headers() -> list[str]:
    return [_("Target"), _("Within"), _("Done at / due"), _("Outcome")]


def targets_section(incident: Incident, now: datetime) -> Section | None:
    """The response targets of the incident's level: met or missed, by how much."""
    rows = [
        [row.label, _("%(n)s min") % {"n": row.minutes}, at(row.done_at or row.due), row.summary]
        for row in targets.incident_targets(incident)
    ]
    if not rows:
        return None
    return Section("targets", _("Response targets"), [Table(_target_headers(), rows, (3, 1, 2, 3))])


def drill_grade_sections(grade: dict[str, Any] | None) -> list[Section]:
    """A drill's grade (playbook/drill_grading.py): its targets in scenario time against
    the last run of the scenario, the planted claims, and the changes that would have
    helped most."""
    if grade is None:
        return []
    rows = [
        [
            entry["row"].label,
            _("%(n)s min") % {"n": entry["row"].minutes},
            entry["row"].summary,
            drill_grading.verdict_text(entry),
        ]
        for entry in grade["comparison"]["per_target"]
    ]
    headers = [_("Target"), _("Within"), _("Outcome"), _("Against the last drill")]
    claims = [(claim.text, f"{claim.status_label}: {claim.outcome}") for claim in grade["claims"]]
    changes = grade["changes"] or [_("Every decided target was met.")]
    return [
        Section("targets", _("Response targets"), [Table(headers, rows, (3, 1, 3, 2))]),
        Section(
            "planted",
            _("Planted claims"),
            [Facts(claims, (_("Claim"), _("Outcome")))] if claims else [Text(NONE)],
        ),
        Section(
            "helped",
            _("What would have helped most"),
            [Text(f"{i}. {text}") for i, text in enumerate(changes, 1)],
        ),
    ]


REVIEW_SECTIONS: list[SectionBuilder] = [
    summary_section,
    targets_section,
    chart_section,
    timeline_section,
    roster_section,
    assessment_section,
    ledger_section,
    statements_section,
    checklist_section,
    lessons_section,
]
# A drill's report leads with its own figures (drill_document) and has no summary or
# lessons of its own: every other section of the review, in the same order.
# Its targets come graded in scenario time (drill_grade_sections) instead of the
# incident's own target rows.
DRILL_SECTIONS: list[SectionBuilder] = [
    build
    for build in REVIEW_SECTIONS
    if build not in (summary_section, lessons_section, targets_section)
]


def _exported(now: datetime) -> tuple[str, str]:
    return (_("Exported"), when(now))


def review_document(incident: Incident, now: datetime | None = None) -> Document:
    now = now or timezone.now()
    title = labelled(_("Post-crisis review"), f"#{incident.pk} {incident.title}")
    sections = [s for build in REVIEW_SECTIONS if (s := build(incident, now)) is not None]
    return Document(
        kind="review",
        title=title,
        header=f"{incident.brand.name} · #{incident.pk} {incident.title}",
        meta=[(_("Brand"), incident.brand.name), _exported(now)],
        sections=sections,
        language=get_language() or "en",
    )


def drill_document(
    drill: Drill, report: dict[str, Any], rows: list[tuple[str, str]], now: datetime | None = None
) -> Document:
    """``report`` and ``rows`` come from playbook/drill_report.py (its figures)."""
    now = now or timezone.now()
    language = get_language() or "en"
    scenario = report["scenario"]["title"]
    title_text = scenario.get("zh-hant" if language.startswith("zh") else "en") or scenario["en"]
    incident = report["incident"]
    sections = [Section("figures", _("Figures"), [Facts(rows, (_("Metric"), _("Value")))])]
    sections += drill_grade_sections(report.get("grade"))
    if incident is not None:
        sections += [s for build in DRILL_SECTIONS if (s := build(incident, now)) is not None]
    meta = [
        (_("Brand"), drill.brand.name),
        (_("Started"), f"{at(drill.started_at)}, ×{drill.speed:g} ({drill.get_status_display()})"),
    ]
    if incident is not None:
        meta.append((_("Incident"), f"#{incident.pk} {incident.title}"))
    meta.append(_exported(now))
    return Document(
        kind="drill",
        title=labelled(_("After-action report"), title_text),
        header=f"{drill.brand.name} · {_('Drill')} · {title_text}",
        meta=meta,
        sections=sections,
        language=language,
    )


# --- Markdown --------------------------------------------------------------------------------


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", "<br>")


def document_markdown(doc: Document) -> str:
    lines = [f"# {doc.title}", ""]
    lines += [f"{labelled(label, value)}  " for label, value in doc.meta]
    for section in doc.sections:
        lines += ["", f"## {section.title}", ""]
        for block in section.blocks:
            if isinstance(block, Facts):
                head = block.headers or (_("Item"), _("Value"))
                lines += [f"| {_cell(head[0])} | {_cell(head[1])} |", "|---|---|"]
                lines += [f"| {_cell(k)} | {_cell(v)} |" for k, v in block.rows]
                lines.append("")
            elif isinstance(block, Table):
                lines.append("| " + " | ".join(_cell(h) for h in block.headers) + " |")
                lines.append("|" + "---|" * len(block.headers))
                lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in block.rows]
                lines.append("")
            elif isinstance(block, Checks):
                for done, text, note in block.items:
                    suffix = f" ({note})" if note else ""
                    lines.append(f"- [{'x' if done else ' '}] {text}{suffix}")
                lines.append("")
            elif isinstance(block, Subheading):
                lines += [f"### {block.text}", ""]
            elif isinstance(block, Text):
                if block.label:
                    lines += [f"**{block.label}**", ""]
                lines += [block.text, ""]
            elif isinstance(block, Chart):
                data = block.data
                lines += [
                    _("Mentions per %(minutes)s min from %(start)s to %(end)s: %(total)s in all.")
                    % {
                        "minutes": data.minutes,
                        "start": when(data.start),
                        "end": when(data.end),
                        "total": number(data.total),
                    },
                    "",
                ]
    return "\n".join(lines).rstrip() + "\n"
