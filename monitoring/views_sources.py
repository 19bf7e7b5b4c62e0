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

from foundation.permissions import is_org_admin, require
from monitoring import polling
from monitoring.choices import POLLED_KINDS, SourceKind
from monitoring.connectors import CONNECTORS, SourceError, connector_for
from monitoring.connectors.base import parse_time
from monitoring.connectors.presets import RSS_PRESETS
from monitoring.models import Source
from monitoring.source_forms import SourceForm

# How many fetched items "test this source" shows.
TEST_ITEMS = 10


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
    for source in sources:
        connector = CONNECTORS.get(source.kind)
        source.note = connector().status_note(source) if connector else ""
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
    return _form_page(request, form, source)


def kind_guides() -> list[dict]:
    """What each polled kind needs, in the user's language, with a config example."""
    import json

    labels = dict(SourceKind.choices)
    return [
        {
            "kind": kind,
            "label": labels.get(kind, kind),
            "needs": connector.needs,
            "example": json.dumps(connector.example, ensure_ascii=False)
            if connector.example
            else "",
        }
        for kind, connector in CONNECTORS.items()
        if kind in POLLED_KINDS
    ]


def _form_page(
    request: HttpRequest, form: SourceForm, source: Source | None, **extra: object
) -> HttpResponse:
    context = {
        "form": form,
        "source": source,
        "guides": kind_guides(),
        "presets": RSS_PRESETS,
        **extra,
    }
    status = 400 if request.method == "POST" and form.errors else 200
    return render(request, "monitoring/source_form.html", context, status=status)


@login_required
@require_POST
def source_test(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """Fetch once with what the form says (saved or not) and show the first items or
    the error; nothing is stored: not the items, not the cursor, not the health."""
    source = _get_source_for_user(request, pk) if pk else None
    if source is None:
        _require_admin(request)
    form = SourceForm(request.POST, instance=source)
    if not form.is_valid():
        return _form_page(request, form, source)
    trial = form.save(commit=False)
    # From the start, as a new source would: what is there now, not what is new since the cursor.
    trial.cursor, trial.etag, trial.last_modified = {}, "", ""
    items: list[dict] = []
    error: SourceError | None = None
    connector = connector_for(trial.kind)
    connector.trial = True
    try:
        fetched = connector.fetch(trial)
    except SourceError as exc:
        error = exc
    else:
        items = sorted(fetched.items, key=lambda i: i.get("published_at", ""), reverse=True)
        items = [{**item, "at": parse_time(item.get("published_at"))} for item in items]
    if source is not None:
        source.refresh_from_db()  # the form wrote onto the instance: the row stays as it was
    return _form_page(
        request,
        form,
        source,
        tested=True,
        test_items=items[:TEST_ITEMS],
        test_total=len(items),
        test_error=error,
    )
