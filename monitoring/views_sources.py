"""Source health pages for admins: state, last success, last error, failures, next poll;
pause/resume; add and edit."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from crisisroom.platform.permissions import is_org_admin, require
from monitoring import polling
from monitoring.models import Source
from monitoring.source_forms import SourceForm


def _require_admin(request: HttpRequest) -> None:
    require(is_org_admin(request.user), _("Only admins manage sources."))


def _get_source_for_user(request: HttpRequest, pk: int) -> Source:
    _require_admin(request)
    return get_object_or_404(Source, pk=pk)


@login_required
@require_http_methods(["GET"])
@vary_on_headers("HX-Request")
def source_list(request: HttpRequest) -> HttpResponse:
    _require_admin(request)
    # No mention counts here: counting a large mentions table on every refresh is not
    # worth it for a health page; last success and last error say whether it yields.
    sources = list(Source.objects.select_related("brand"))
    template = "monitoring/sources.html#rows" if request.htmx else "monitoring/sources.html"
    return render(request, template, {"sources": sources})


@login_required
@require_POST
def source_pause(request: HttpRequest, pk: int) -> HttpResponse:
    source = _get_source_for_user(request, pk)
    paused = request.POST.get("paused") == "1"
    try:
        polling.source_set_paused(source=source, paused=paused)
    except polling.SourceBusy:
        messages.error(request, _("A poll of this source is running; try again in a moment."))
    else:
        messages.success(request, _("Source paused.") if paused else _("Source resumed."))
    return redirect("sources:list")


@login_required
@require_http_methods(["GET", "POST"])
def source_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    source = _get_source_for_user(request, pk) if pk else None
    if source is None:
        _require_admin(request)
    form = SourceForm(request.POST or None, instance=source)
    if request.method == "POST" and form.is_valid():
        polling.source_save(form=form)
        messages.success(request, _("Source saved."))
        return redirect("sources:list")
    return render(request, "monitoring/source_form.html", {"form": form, "source": source})
