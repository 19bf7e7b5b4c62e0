"""A fire drill's after-action report: how fast the team assembled, how fast the first
holding statement went out, how long approvals took, how much of the checklist got
done, and how many planted claims were caught and corrected. Exported like the
post-crisis review (Markdown, PDF, print view) from one document (report_doc)."""

from __future__ import annotations

import statistics
from typing import Any

from django.db.models import Count, Max
from django.utils.translation import gettext as _

from crisisroom.drills import drill_incident, scenario_load
from crisisroom.models import Drill, IncidentMember
from playbook import drill_grading, metrics
from playbook.choices import ClaimStatus, StatementState
from playbook.durations import duration_text as _duration
from playbook.models import MisinformationClaim, RunStep, Statement
from playbook.report_doc import Document, document_markdown, drill_document
from playbook.report_pdf import CJK_FONTS, document_pdf


def drill_after_action(drill: Drill) -> dict[str, Any]:
    """The figures of one drill, from its incident's timeline, team, playbook and ledger."""
    data = scenario_load(drill.scenario)
    incident = drill_incident(drill)
    report: dict[str, Any] = {
        "drill": drill,
        "scenario": data,
        "incident": incident,
        "mentions_delivered": drill.delivered,
        "curveballs": len(data["curveballs"]),
        "curveballs_noted": len(drill.curveballs_noted),
        "claims_planted": len(data.get("claims", [])),
    }
    report["grade"] = drill_grading.drill_grade(drill, data, incident)
    if incident is None:
        return report
    opened = incident.opened_at
    first_member = IncidentMember.objects.filter(incident=incident).order_by("assigned_at").first()
    step_one = RunStep.objects.filter(run__incident=incident, number=1).first()
    statements = list(
        Statement.objects.filter(incident=incident)
        .annotate(last_approval=Max("approvals__at"), approvals_count=Count("approvals"))
        .order_by("created_at")
    )
    approval_latencies = [
        s
        for s in (
            metrics.seconds_between(st.submitted_at, st.last_approval)
            for st in statements
            if st.state in {StatementState.APPROVED, StatementState.PUBLISHED}
            and st.approvals_count
        )
        if s is not None
    ]
    published = [st.published_at for st in statements if st.published_at]
    checklist_done, checklist_total = metrics.checklist_progress(incident)
    wrong = MisinformationClaim.objects.filter(
        incident=incident, status__in=[ClaimStatus.FALSE, ClaimStatus.MISLEADING]
    )
    report.update(
        {
            "time_to_detect": metrics.time_to_detect(incident, since=drill.started_at),
            "time_to_acknowledge": metrics.time_to_acknowledge(incident),
            "time_to_first_member": metrics.seconds_between(
                opened, first_member.assigned_at if first_member else None
            ),
            "time_to_team_assembled": metrics.seconds_between(
                opened, step_one.completed_at if step_one else None
            ),
            "team_size": IncidentMember.objects.filter(incident=incident)
            .values("user")
            .distinct()
            .count(),
            "time_to_first_statement": metrics.time_to_first_response(incident),
            "time_to_resolve": metrics.time_to_resolve(incident),
            "statements": len(statements),
            "statements_published": len(published),
            "approval_latency_median": int(statistics.median(approval_latencies))
            if approval_latencies
            else None,
            "approval_latency_max": max(approval_latencies) if approval_latencies else None,
            "checklist_done": checklist_done,
            "checklist_total": checklist_total,
            "claims_logged": MisinformationClaim.objects.filter(incident=incident).count(),
            "claims_false_or_misleading": wrong.count(),
            "claims_corrected": wrong.exclude(correction="").count(),
        }
    )
    return report


def report_rows(report: dict[str, Any]) -> list[tuple[str, str]]:
    def count(done: Any, total: Any) -> str:
        return f"{done} / {total}" if total else "—"

    if report["incident"] is None:
        return [(_("Incident"), _("Detection did not open one"))]
    return [
        (_("Time to detect (from the drill's start)"), _duration(report["time_to_detect"])),
        (_("Time to acknowledge"), _duration(report["time_to_acknowledge"])),
        (_("Time to the first team member"), _duration(report["time_to_first_member"])),
        (_("Time to assemble the team (step 1 done)"), _duration(report["time_to_team_assembled"])),
        (_("Team size"), str(report["team_size"])),
        (_("Time to the first published statement"), _duration(report["time_to_first_statement"])),
        (_("Time to resolve"), _duration(report["time_to_resolve"])),
        (_("Statements published"), count(report["statements_published"], report["statements"])),
        (_("Approval latency, median"), _duration(report["approval_latency_median"])),
        (_("Approval latency, longest"), _duration(report["approval_latency_max"])),
        (_("Checklist items done"), count(report["checklist_done"], report["checklist_total"])),
        (
            _("Claims on the ledger (planted)"),
            f"{report['claims_logged']} ({report['claims_planted']})",
        ),
        (
            _("False or misleading claims corrected"),
            count(report["claims_corrected"], report["claims_false_or_misleading"]),
        ),
        (
            _("Curveballs noted on the timeline"),
            count(report["curveballs_noted"], report["curveballs"]),
        ),
        (_("Mentions replayed"), str(report["mentions_delivered"])),
    ]


def report_document(drill: Drill) -> Document:
    report = drill_after_action(drill)
    return drill_document(drill, report, report_rows(report))


def report_markdown(drill: Drill) -> str:
    return document_markdown(report_document(drill))


def report_pdf(drill: Drill, fonts: list[tuple[str, int]] = CJK_FONTS) -> bytes:
    return document_pdf(report_document(drill), fonts)
