"""A fire drill's after-action report pages (HTML, Markdown, PDF): the report reads
the playbook, so it lives on the playbook's floor."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from crisisroom.models import Drill
from foundation.downloads import attachment
from foundation.permissions import PermissionDenied, can_view_incidents
from playbook import drill_report as drill_reports


def _get_drill_for_user(request: HttpRequest, pk: int) -> Drill:
    if not can_view_incidents(request.user):
        raise PermissionDenied(_("You are not allowed to see drills."))
    drill = Drill.objects.select_related("brand", "incident").filter(pk=pk).first()
    if drill is None:
        raise Http404
    return drill


@login_required
@require_GET
def drill_report(request: HttpRequest, pk: int) -> HttpResponse:
    drill = _get_drill_for_user(request, pk)
    report = drill_reports.drill_after_action(drill)
    language = "zh-hant" if request.LANGUAGE_CODE.startswith("zh") else "en"
    return render(
        request,
        "crisisroom/drill_report.html",
        {
            "drill": drill,
            "report": report,
            "rows": drill_reports.report_rows(report),
            "title": report["scenario"]["title"][language],
        },
    )


@login_required
@require_GET
def drill_report_markdown(request: HttpRequest, pk: int) -> HttpResponse:
    drill = _get_drill_for_user(request, pk)
    return attachment(drill_reports.report_markdown(drill), f"drill-{pk}-after-action.md")


@login_required
@require_GET
def drill_report_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    drill = _get_drill_for_user(request, pk)
    return attachment(drill_reports.report_pdf(drill), f"drill-{pk}-after-action.pdf")


@login_required
@require_GET
def drill_report_print(request: HttpRequest, pk: int) -> HttpResponse:
    drill = _get_drill_for_user(request, pk)
    back = reverse("playbook:drill-report", args=[pk])
    document = drill_reports.report_document(drill)
    return render(request, "playbook/report_print.html", {"doc": document, "back": back})
