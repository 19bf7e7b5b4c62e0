"""Response targets: definitions (ResponseTarget rows, per response level) → evaluation
rows {target, due, done_at, met, by} for one incident. The war room's timers, the
timeline's met/missed entries, the drill report's grades and the post-crisis review's
table all read ``evaluate``/``incident_targets`` so they never disagree.

A drill plays its storm ``speed`` times faster, so its targets are too: at ×120 "within
10 minutes" is 5 real seconds, and ``by`` is given in scenario seconds (what the team
would have lived through), which makes drills at different speeds comparable.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from crisisroom.choices import ACTIVE_STATUSES, TimelineKind
from crisisroom.models import Incident, TimelineEvent
from crisisroom.services.timeline import timeline_add
from crisisroom.timeline_text import at_time, every_language
from monitoring.language import detect_language
from playbook.choices import ResponseLevel, StatementState, TargetKind
from playbook.durations import duration_text as _duration
from playbook.models import Assessment, ResponseTarget, Statement
from playbook.permissions import require_admin

MET, MISSED, PENDING, NOT_APPLICABLE = "met", "missed", "pending", "na"
# Closed incidents are still recorded for this long (a target decided by the closing).
RECORD_AFTER_CLOSING = timedelta(hours=2)


@dataclass(frozen=True)
class Facts:
    """What the targets are measured on: one incident's state, read once."""

    opened_at: datetime
    acknowledged_at: datetime | None = None
    closed_at: datetime | None = None  # resolved or dismissed; None while active
    # (published_at, language: "en", "zh-hant", …) of every published statement, in order
    published: tuple[tuple[datetime, str], ...] = ()
    update_every_minutes: int | None = None  # the incident's own cadence, if set
    speed: float = 1.0  # a drill's speed-up; 1 for a real incident


@dataclass
class TargetRow:
    """One target's evaluation. ``by``: seconds late (missed), early (met) or left
    (pending), in scenario time for a drill; None when it does not apply."""

    target: ResponseTarget
    state: str
    due: datetime | None = None
    done_at: datetime | None = None
    by: int | None = None
    missed_count: int = 0  # updates: how many intervals went without one
    live: bool = False  # the incident is active: a timer without done_at still runs
    # Outcomes decided so far, for the timeline: (key, state, due, by)
    outcomes: list[tuple[str, str, datetime | None, int | None]] = field(default_factory=list)

    @property
    def met(self) -> bool | None:
        return {MET: True, MISSED: False}.get(self.state)

    @property
    def timer_due(self) -> datetime | None:
        """What the war room's timer counts down to (or up from, once missed)."""
        return self.due if self.live and self.done_at is None else None

    @property
    def kind(self) -> str:
        return self.target.kind

    @property
    def label(self) -> str:
        return self.target.label

    @property
    def minutes(self) -> int:
        return self.target.minutes

    @property
    def by_text(self) -> str:
        return _duration(abs(self.by)) if self.by is not None else "—"

    @property
    def summary(self) -> str:
        """ "met, 12 min early" / "missed by 4 min" / "pending" in the reader's words."""
        if self.state == MET:
            return _("met, %(by)s early") % {"by": self.by_text} if self.by else _("met")
        if self.state == MISSED:
            return _("missed by %(by)s") % {"by": self.by_text}
        if self.state == PENDING:
            return _("pending")
        return _("does not apply")

    def as_json(self) -> dict[str, Any]:
        return {
            "target": self.kind,
            "label": self.label,
            "minutes": self.minutes,
            "state": self.state,
            "met": self.met,
            "due": self.due.isoformat() if self.due else None,
            "done_at": self.done_at.isoformat() if self.done_at else None,
            "by": self.by,
            "missed_count": self.missed_count,
        }


def _seconds(delta: timedelta, speed: float) -> int:
    return round(delta.total_seconds() * speed)


def _deadline(
    target: ResponseTarget,
    facts: Facts,
    now: datetime,
    start: datetime,
    done: datetime | None,
    every_minutes: int | None = None,
) -> TargetRow:
    """A "do it within N minutes of ``start``" target."""
    due = start + timedelta(minutes=every_minutes or target.minutes) / facts.speed
    if done is not None:
        late = done > due
        return TargetRow(
            target, MISSED if late else MET, due, done, _seconds(abs(done - due), facts.speed)
        )
    end = facts.closed_at or now
    if end > due:
        return TargetRow(target, MISSED, due, None, _seconds(end - due, facts.speed))
    if facts.closed_at is not None:  # closed before it was due, without doing it
        return TargetRow(target, NOT_APPLICABLE, due)
    return TargetRow(target, PENDING, due, None, _seconds(due - now, facts.speed))


def _acknowledge(target: ResponseTarget, facts: Facts, now: datetime) -> TargetRow:
    done = facts.acknowledged_at or facts.closed_at  # closing it is acknowledging it
    return _deadline(target, facts, now, facts.opened_at, done)


def _holding(target: ResponseTarget, facts: Facts, now: datetime) -> TargetRow:
    first = facts.published[0][0] if facts.published else None
    return _deadline(target, facts, now, facts.opened_at, first)


def _zh_hant(target: ResponseTarget, facts: Facts, now: datetime) -> TargetRow:
    english = next((at for at, lang in facts.published if lang == "en"), None)
    chinese = next((at for at, lang in facts.published if lang == "zh-hant"), None)
    if english is None:
        # Nothing to follow yet (or ever, once closed).
        return TargetRow(target, NOT_APPLICABLE if facts.closed_at else PENDING)
    return _deadline(target, facts, now, english, chinese)


def _updates(target: ResponseTarget, facts: Facts, now: datetime) -> TargetRow:
    """A public update every N minutes, counted from the first statement: each interval
    without one is a miss; the row shows the worst (or the one running now)."""
    every = facts.update_every_minutes or target.minutes
    times = [at for at, _lang in facts.published]
    if not times:
        return TargetRow(target, NOT_APPLICABLE if facts.closed_at else PENDING)
    stops: list[datetime | None] = [*times[1:], facts.closed_at]
    rows = [
        _deadline(
            target, facts, now, start, stop if stop and stop != facts.closed_at else None, every
        )
        for start, stop in zip(times, stops, strict=True)
    ]
    # The last interval ends with the closing, which is not an update: done=None there,
    # so it is missed if the closing came late and does not apply otherwise.
    missed = [r for r in rows if r.state == MISSED]
    outcomes = [(f"updates:{int(r.due.timestamp())}", MISSED, r.due, r.by) for r in missed]
    current = rows[-1]
    if missed:
        worst = max(missed, key=lambda r: r.by or 0)
        row = TargetRow(target, MISSED, worst.due, worst.done_at, worst.by)
        if current.state == PENDING:  # the timer still counts down to the next one
            row.due, row.done_at = current.due, None
    elif facts.closed_at is None:
        row = TargetRow(target, PENDING, current.due, None, current.by)
    else:
        met = [r for r in rows if r.state == MET]
        slack = min((r.by or 0 for r in met), default=None)
        row = TargetRow(target, MET, None, times[-1], slack)
        outcomes.append(("updates", MET, None, slack))
    row.missed_count = len(missed)
    row.outcomes = outcomes
    return row


RULES = {
    TargetKind.ACKNOWLEDGE: _acknowledge,
    TargetKind.HOLDING_STATEMENT: _holding,
    TargetKind.ZH_HANT_STATEMENT: _zh_hant,
    TargetKind.UPDATES: _updates,
}


def evaluate(
    targets: list[ResponseTarget], facts: Facts, now: datetime | None = None
) -> list[TargetRow]:
    """Every target's row, from the facts alone (no queries): unit-testable from states."""
    now = now or timezone.now()
    rows = []
    for target in targets:
        row = RULES[TargetKind(target.kind)](target, facts, now)
        if row.kind != TargetKind.UPDATES and row.state in (MET, MISSED):
            row.outcomes = [(row.kind, row.state, row.due, row.by)]
        row.live = facts.closed_at is None
        rows.append(row)
    return rows


# --- Reading an incident -------------------------------------------------------------


def response_level(assessment: Assessment | None) -> str:
    return assessment.response_level if assessment else ResponseLevel.STATEMENT


def targets_for(level: str) -> list[ResponseTarget]:
    order = list(TargetKind.values)
    found = ResponseTarget.objects.filter(response_level=level, active=True)
    return sorted(found, key=lambda t: order.index(t.kind))


def statement_language(body: str) -> str:
    return detect_language(body or "")


def incident_facts(incident: Incident, assessment: Assessment | None) -> Facts:
    published = tuple(
        (at, statement_language(body))
        for at, body in Statement.objects.filter(
            incident=incident, state=StatementState.PUBLISHED, published_at__isnull=False
        )
        .order_by("published_at", "pk")
        .values_list("published_at", "body")
    )
    speed = 1.0
    if incident.is_drill:
        drill = incident.drills.order_by("-started_at").first()
        speed = drill.speed if drill else 1.0
    closed = None
    if incident.status not in ACTIVE_STATUSES:
        closed = incident.resolved_at or incident.dismissed_at or timezone.now()
    return Facts(
        opened_at=incident.opened_at,
        acknowledged_at=incident.acknowledged_at,
        closed_at=closed,
        published=published,
        update_every_minutes=assessment.update_every_minutes if assessment else None,
        speed=speed,
    )


def incident_state(incident: Incident) -> tuple[list[ResponseTarget], Facts]:
    """The targets of the incident's response level and the facts they are measured on
    (three queries; four for a drill)."""
    assessment = Assessment.objects.filter(incident=incident).first()
    return targets_for(response_level(assessment)), incident_facts(incident, assessment)


def incident_targets(incident: Incident, *, now: datetime | None = None) -> list[TargetRow]:
    """The target table of one incident (the function the review and reports call)."""
    definitions, facts = incident_state(incident)
    return evaluate(definitions, facts, now)


def target_table_rows(incident: Incident) -> list[tuple[str, str, str, str]]:
    """(target, within, done at / due, outcome) as text: for the PDF/Markdown sections."""
    out = []
    for row in incident_targets(incident):
        moment = row.done_at or row.due
        out.append(
            (
                row.label,
                _("%(n)s min") % {"n": row.minutes},
                f"{moment:%Y-%m-%d %H:%M:%S} UTC" if moment else "—",
                row.summary,
            )
        )
    return out


def targets_markdown(incident: Incident) -> list[str]:
    """The target table as Markdown lines (a heading and a table)."""
    lines = [
        f"## {_('Response targets')}",
        "",
        f"| {_('Target')} | {_('Within')} | {_('Done at / due')} | {_('Outcome')} |",
        "|---|---|---|---|",
    ]
    lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in target_table_rows(incident)]
    return lines


def incident_detail_part(incident: Incident, viewer: Any = None) -> dict[str, Any]:
    """The targets' part of an incident's API detail."""
    return {"targets": [row.as_json() for row in incident_targets(incident)]}


# --- Recording outcomes on the timeline ---------------------------------------------------


def _outcome_line(
    row: TargetRow, state: str, due: datetime | None, by: int | None
) -> tuple[str, dict[str, Any]]:
    """The timeline line of an outcome, as a msgid and its parameters: every reader
    sees it in their own language and zone (crisisroom/timeline_text.py)."""
    params: dict[str, Any] = {
        "target": every_language(lambda: row.label),
        "n": row.minutes,
        "by": every_language(lambda: _duration(abs(by or 0))),
    }
    if state == MET:
        return gettext_noop("Target met: %(target)s (within %(n)s min), %(by)s to spare"), params
    if row.done_at is not None and row.kind != TargetKind.UPDATES:
        return gettext_noop("Target missed: %(target)s (within %(n)s min), late by %(by)s"), params
    params["due"] = at_time(due) if due else "—"
    return gettext_noop("Target missed: %(target)s (within %(n)s min, due %(due)s)"), params


def targets_record(*, incident_id: int, now: datetime | None = None) -> list[TimelineEvent]:
    """Put every newly decided outcome on the timeline, once each: the incident's row is
    locked while the already recorded keys are read, so two sweeps cannot both write.
    Written in the current language: the request's that decided it, or the site's for
    the periodic sweep (as every other timeline entry)."""
    with transaction.atomic():
        incident = Incident.objects.select_for_update().filter(pk=incident_id).first()
        if incident is None:
            return []
        rows = incident_targets(incident, now=now)
        wanted = {
            key: (row, state, due, by) for row in rows for key, state, due, by in row.outcomes
        }
        if not wanted:
            return []
        done = set(
            TimelineEvent.objects.filter(
                incident=incident, kind=TimelineKind.TARGET, data__key__in=list(wanted)
            ).values_list("data__key", flat=True)
        )
        written = []
        for key, (row, state, due, by) in wanted.items():
            if key in done:
                continue
            line, params = _outcome_line(row, state, due, by)
            written.append(
                timeline_add(
                    incident=incident,
                    kind=TimelineKind.TARGET,
                    key=line,
                    params=params,
                    data={"key": key, "target": row.kind, "state": state, "by": by},
                )
            )
        return written


def targets_record_all(*, now: datetime | None = None) -> int:
    """Periodic (with the alert sweep): every active incident, and those closed lately."""
    now = now or timezone.now()
    since = now - RECORD_AFTER_CLOSING
    ids = Incident.objects.filter(status__in=ACTIVE_STATUSES).values_list("pk", flat=True)
    closed = Incident.objects.exclude(status__in=ACTIVE_STATUSES).filter(
        resolved_at__gte=since
    ) | Incident.objects.exclude(status__in=ACTIVE_STATUSES).filter(dismissed_at__gte=since)
    total = 0
    with translation.override(settings.LANGUAGE_CODE):  # a periodic task has no reader
        for pk in {*ids, *closed.values_list("pk", flat=True)}:
            total += len(targets_record(incident_id=pk, now=now))
    return total


# --- Editing the definitions (admins) ---------------------------------------------------------


def response_targets_save(*, by: Any, forms: list[Any]) -> int:
    """Save the admins' edits (valid ModelForms of ResponseTarget); returns rows changed."""
    require_admin(by)
    changed = 0
    with transaction.atomic():
        for form in forms:
            if form.has_changed():
                form.save()
                changed += 1
    return changed
