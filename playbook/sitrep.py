"""The situation report: one function turns an incident's state into a short
structured report for decision-makers, the same for the page, the email and the
Slack/Teams messages (playbook/services/sitrep.py sends it).

``sitrep_build`` writes its words in the active language (the caller wraps it in
``translation.override`` for each reader) and leaves times as datetimes, so each
renderer shows them in its reader's time zone.

Sections other parts of the playbook add: ``SITREP_SECTIONS`` is a list of
functions ``(incident, now) -> SitrepSection | None``; each section they return is
shown after the built-in ones by every renderer (page, email, Slack, Teams). The
response targets (issue 20 item 2) are the first such section.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Count, Max, Sum
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from crisisroom.choices import CrisisRoleSlug
from crisisroom.models import Incident, IncidentMember
from monitoring.models import Mention, Rollup
from playbook import coach, selectors, targets
from playbook.choices import ClaimStatus, StatementState
from playbook.models import MisinformationClaim
from playbook.services.base import roles_named

WINDOW = timedelta(hours=1)
TOP_VOICES = 5
UP, DOWN, FLAT = "up", "down", "flat"
ARROWS = {UP: "↑", DOWN: "↓", FLAT: "→"}


@dataclass(frozen=True)
class SitrepRow:
    """One line of a section: a label, a value, and a tone (``""``, ``"bad"``, ``"good"``)."""

    label: str
    value: str
    tone: str = ""
    url: str = ""


@dataclass(frozen=True)
class SitrepSection:
    key: str
    title: str
    rows: tuple[SitrepRow, ...]
    empty: str = ""


@dataclass(frozen=True)
class Trend:
    """A figure now and an hour ago, with its direction and the sentence that says so."""

    now: float | None
    before: float | None
    direction: str
    text: str

    @property
    def arrow(self) -> str:
        return ARROWS[self.direction]


@dataclass
class Sitrep:
    incident: Incident
    at: datetime
    url: str
    volume: Trend
    negative: Trend
    voices: list[dict[str, Any]] = field(default_factory=list)
    statements_out: list[dict[str, Any]] = field(default_factory=list)
    statements_pending: list[dict[str, Any]] = field(default_factory=list)
    claims: list[dict[str, Any]] = field(default_factory=list)
    actions: list[dict[str, Any]] = field(default_factory=list)
    sections: list[SitrepSection] = field(default_factory=list)

    @property
    def trends(self) -> list[Trend]:
        return [self.volume, self.negative]

    @property
    def title(self) -> str:
        return _("Situation report: %(title)s") % {"title": self.incident.title}


SectionHook = Callable[[Incident, datetime], "SitrepSection | None"]


# Extended by other parts at merge (the response targets first); see the module docstring.
def targets_sitrep_section(incident: Incident, now: datetime) -> SitrepSection | None:
    """The response targets of the incident's level (issue 20 item 2): each met, missed
    or pending, missed ones marked bad."""
    rows = tuple(
        SitrepRow(
            label=row.label,
            value=row.summary,
            tone="bad"
            if row.state == targets.MISSED
            else "good"
            if row.state == targets.MET
            else "",
        )
        for row in targets.incident_targets(incident)
    )
    if not rows:
        return None
    return SitrepSection("targets", _("Response targets"), rows)


SITREP_SECTIONS: list[SectionHook] = [targets_sitrep_section]


def _direction(now: float, before: float, *, tolerance: float = 0.0) -> str:
    if now > before + tolerance:
        return UP
    if now < before - tolerance:
        return DOWN
    return FLAT


def _window_totals(incident: Incident, start: datetime, end: datetime) -> dict[str, int]:
    totals = Rollup.objects.filter(
        brand_id=incident.brand_id, bucket__gte=start, bucket__lt=end
    ).aggregate(
        count=Sum("count"),
        negative=Sum("negative"),
        neutral=Sum("neutral"),
        positive=Sum("positive"),
    )
    return {key: int(value or 0) for key, value in totals.items()}


def volume_trend(now_count: int, before_count: int) -> Trend:
    direction = _direction(now_count, before_count)
    if before_count:
        change = round(100 * (now_count - before_count) / before_count)
        text = _(
            "%(now)s mentions in the last hour %(arrow)s %(change)+d%% from %(before)s the hour before"
        ) % {"now": now_count, "arrow": ARROWS[direction], "change": change, "before": before_count}
    else:
        text = _("%(now)s mentions in the last hour (none the hour before)") % {"now": now_count}
    return Trend(now=now_count, before=before_count, direction=direction, text=text)


def _share(totals: dict[str, int]) -> float | None:
    scored = totals["negative"] + totals["neutral"] + totals["positive"]
    return 100 * totals["negative"] / scored if scored else None


def negative_trend(now_share: float | None, before_share: float | None) -> Trend:
    if now_share is None:
        return Trend(None, before_share, FLAT, _("No scored mentions in the last hour"))
    if before_share is None:
        return Trend(
            now_share,
            None,
            FLAT,
            _("%(now)s%% negative in the last hour (nothing scored the hour before)")
            % {"now": round(now_share)},
        )
    # Under a point either way reads as no change.
    direction = _direction(now_share, before_share, tolerance=0.5)
    return Trend(
        now_share,
        before_share,
        direction,
        _("%(now)s%% negative %(arrow)s %(points)+d points from %(before)s%% an hour ago")
        % {
            "now": round(now_share),
            "arrow": ARROWS[direction],
            "points": round(now_share) - round(before_share),
            "before": round(before_share),
        },
    )


def new_voices(incident: Incident, since: datetime, until: datetime) -> list[dict[str, Any]]:
    """Authors of the last hour not heard on this brand before the incident started,
    by reach (their followers), then by how often they posted."""
    known = Mention.objects.filter(
        brand_id=incident.brand_id, published_at__lt=incident.started_at
    ).exclude(author="")
    rows = (
        Mention.objects.filter(
            brand_id=incident.brand_id, published_at__gte=since, published_at__lt=until
        )
        .exclude(author="")
        .exclude(author__in=known.values("author"))
        .values("author")
        .annotate(mentions=Count("pk"), reach=Max("author_followers"), platform=Max("platform"))
        .order_by("-reach", "-mentions", "author")[:TOP_VOICES]
    )
    return [dict(row) for row in rows]


def _excerpt(text: str, limit: int = 90) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _statements(incident: Incident, base: str) -> tuple[list[dict], list[dict]]:
    policies = selectors._policy_roles()
    out, pending = [], []
    for s in selectors.statements_for(incident):
        item = {
            "id": s.pk,
            "text": _excerpt(s.title or s.body),
            "state": s.get_state_display(),
            "url": base + reverse("playbook:statement", args=[incident.pk, s.pk]),
        }
        if s.state == StatementState.PUBLISHED:
            out.append({**item, "at": s.published_at})
        elif s.state == StatementState.SUBMITTED:
            missing = selectors.missing_roles(s, policies)
            waiting = roles_named(missing) if missing else ""
            pending.append({**item, "at": s.submitted_at, "waiting": waiting})
        elif s.state == StatementState.APPROVED:
            pending.append({**item, "at": s.submitted_at, "waiting": ""})
    return out, pending


def _claims(incident: Incident) -> list[dict[str, Any]]:
    bad = {ClaimStatus.FALSE, ClaimStatus.MISLEADING}
    return [
        {
            "text": _excerpt(c.claim),
            "status": c.get_status_display(),
            "corrected": bool(c.correction.strip() or c.correction_url.strip()),
            "tone": "bad"
            if c.status in bad and not (c.correction.strip() or c.correction_url.strip())
            else "",
        }
        for c in MisinformationClaim.objects.filter(incident=incident)
    ]


def team_actions(incident: Incident, now: datetime, base: str) -> list[dict[str, Any]]:
    """Everyone's next actions (the coach's, for each member of the team), once each,
    with every role that has it ("Legal counsel, Executive lead" when the statement
    waits for both): the same report whatever order the members come in."""
    language = (translation.get_language() or settings.LANGUAGE_CODE).lower()
    rules = coach.load_rules()
    snap = coach.snapshot_for(incident, now)
    members = (
        IncidentMember.objects.filter(incident=incident, user__is_active=True)
        .select_related("user")
        .order_by("user_id")
    )
    order = {slug: i for i, slug in enumerate(CrisisRoleSlug.values)}
    merged: dict[tuple[str, str], dict[str, Any]] = {}
    for user in {m.user_id: m.user for m in members}.values():
        for action in coach.evaluate(rules, snap, coach.viewer_for(user, incident, language)):
            entry = merged.setdefault(
                (action.rule, action.message),
                {"roles": [], "message": action.message, "url": base + action.link},
            )
            if action.role not in entry["roles"]:
                entry["roles"].append(action.role)
    return [
        {
            "role": roles_named(sorted(e["roles"], key=lambda r: order.get(r, len(order)))),
            "message": e["message"],
            "url": e["url"],
        }
        for e in merged.values()
    ]


def sitrep_build(incident: Incident, *, now: datetime | None = None) -> Sitrep:
    """The report as it stands at ``now``, in the active language."""
    now = now or timezone.now()
    base = settings.SITE_URL
    current = _window_totals(incident, now - WINDOW, now)
    before = _window_totals(incident, now - 2 * WINDOW, now - WINDOW)
    out, pending = _statements(incident, base)
    sections = [s for s in (hook(incident, now) for hook in SITREP_SECTIONS) if s is not None]
    return Sitrep(
        incident=incident,
        at=now,
        url=base + reverse("playbook:sitrep", args=[incident.pk]),
        volume=volume_trend(current["count"], before["count"]),
        negative=negative_trend(_share(current), _share(before)),
        voices=new_voices(incident, now - WINDOW, now),
        statements_out=out,
        statements_pending=pending,
        claims=_claims(incident),
        actions=team_actions(incident, now, base),
        sections=sections,
    )
