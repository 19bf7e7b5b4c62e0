"""Pages for listening: the mentions explorer (with CSV export and label corrections)
and the brand settings admins edit (brands, watch terms, trigger phrases)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.handlers.asgi import ASGIRequest
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    StreamingHttpResponse,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from foundation.downloads import attachment
from foundation.permissions import (
    can_view_incidents,
    can_work_incidents,
    is_org_admin,
    require,
)
from monitoring import export_jobs, selectors, services
from monitoring.choices import ExportState, SentimentLabel
from monitoring.exports import mentions_csv, streaming_chunks
from monitoring.forms import BrandForm, LabelForm, MentionFilterForm, check_query_lines
from monitoring.models import Brand, Mention, MentionExport
from monitoring.pagination import CursorError, capped_count, decode_cursor, keyset_page
from monitoring.row_extras import row_extras_attach

PAGE_SIZE = 50


def _get_mention_for_user(request: HttpRequest, pk: int) -> Mention:
    require(can_work_incidents(request.user), _("Only responders and admins correct labels."))
    return get_object_or_404(Mention, pk=pk)


def _get_brand_for_user(request: HttpRequest, pk: int | None) -> Brand | None:
    require(is_org_admin(request.user), _("Only admins configure brands."))
    return get_object_or_404(Brand, pk=pk) if pk is not None else None


@login_required
@require_GET
@vary_on_headers("HX-Request")
def mentions_explorer(request: HttpRequest) -> HttpResponse:
    require(can_view_incidents(request.user), _("Your account has no organisation role yet."))
    form = MentionFilterForm(request.GET or None)
    try:
        cursor = decode_cursor(request.GET["cursor"]) if request.GET.get("cursor") else None
    except CursorError as exc:
        return HttpResponseBadRequest(str(exc))
    filters = form.filters()
    rows = selectors.mentions_explore(filters=filters)
    query = request.GET.copy()
    query.pop("cursor", None)
    query.pop("page", None)  # the old OFFSET pager's parameter, from bookmarks
    page = keyset_page(rows, cursor=cursor, size=PAGE_SIZE)
    row_extras_attach(page.rows)
    context = {
        "form": form,
        "page": page,
        # A search's count can take the whole of its budget (pagination.capped_count:
        # matches far apart in a big table), so it comes in its own request after the
        # list (mentions_count), as the search's chart does; the list reads the index.
        "count": None if filters.q else capped_count(rows),
        "query": query.urlencode(),
        "platforms": selectors.mention_platforms(),
        "can_correct": can_work_incidents(request.user),
        "labels": LabelForm.base_fields["label"].choices,
        # From the rollups the chart is cheap; a search or a language filter counts the
        # matching mentions (seconds at 10M rows), so it comes in its own request
        # after the list (mentions_charts) and the list does not wait for it.
        "volume": (
            volume_context(selectors.mentions_volume(filters=filters))
            if selectors.volume_from_rollups(filters)
            else None
        ),
    }
    template = "monitoring/explorer.html"
    if request.htmx:
        template += "#results"
    return render(request, template, context)


@login_required
@require_GET
def mentions_charts(request: HttpRequest) -> HttpResponse:
    """The explorer's chart and bars of its filter, for the page to fetch after the
    list when they are counted from the mentions themselves."""
    require(can_view_incidents(request.user), _("Your account has no organisation role yet."))
    filters = MentionFilterForm(request.GET or None).filters()
    volume = volume_context(selectors.mentions_volume(filters=filters))
    return render(request, "monitoring/partials/explorer_charts.html", {"volume": volume})


@login_required
@require_GET
def mentions_count(request: HttpRequest) -> HttpResponse:
    """The explorer's heading count of its filter, for the page to fetch after the
    list when the filter is a search."""
    require(can_view_incidents(request.user), _("Your account has no organisation role yet."))
    rows = selectors.mentions_explore(filters=MentionFilterForm(request.GET or None).filters())
    return render(request, "monitoring/partials/explorer_count.html", {"count": capped_count(rows)})


BUCKET_LABELS = {
    300: gettext_lazy("Mentions per 5 minutes"),
    900: gettext_lazy("Mentions per 15 minutes"),
    3600: gettext_lazy("Mentions per hour"),
    3 * 3600: gettext_lazy("Mentions per 3 hours"),
    6 * 3600: gettext_lazy("Mentions per 6 hours"),
    86400: gettext_lazy("Mentions per day"),
}


def volume_context(volume: dict) -> dict:
    """The explorer's chart and splits as the template draws them: the series for
    static/js/charts.js, the bars with their share of the largest."""
    top_platform = max((p["count"] for p in volume["platforms"]), default=0) or 1
    total = sum(s["count"] for s in volume["sentiments"]) or 1
    names = dict(SentimentLabel.choices)
    return {
        **volume,
        "series": {k: volume[k] for k in ("t", "count", "negative_share")},
        "bucket_label": BUCKET_LABELS[volume["bucket_seconds"]],
        "platforms": [
            {**p, "percent": round(100 * p["count"] / top_platform)} for p in volume["platforms"]
        ],
        "sentiments": [
            {**s, "name": names[s["label"]], "percent": round(100 * s["count"] / total)}
            for s in volume["sentiments"]
        ],
    }


@login_required
@require_GET
def mentions_export(request: HttpRequest) -> HttpResponse:
    """The explorer's current filter as CSV, streamed; past EXPORT_BACKGROUND_ROWS a
    page offers the background export instead (``?now=1`` streams it all the same)."""
    require(can_view_incidents(request.user), _("Your account has no organisation role yet."))
    form = MentionFilterForm(request.GET or None)
    rows = selectors.mentions_explore(filters=form.filters())
    if not request.GET.get("now") and export_jobs.export_is_large(rows):
        query = request.GET.copy()
        query.pop("cursor", None)
        context = {
            "count": capped_count(rows),
            "fields": list(query.lists()),
            "query": query.urlencode(),
            "limit": settings.EXPORT_BACKGROUND_ROWS,
        }
        return render(request, "monitoring/export_large.html", context)
    chunks = mentions_csv(rows)
    response = StreamingHttpResponse(
        streaming_chunks(chunks, asynchronous=isinstance(request, ASGIRequest)),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = 'attachment; filename="mentions.csv"'
    return response


def _get_export_for_user(request: HttpRequest, pk: int) -> MentionExport:
    """An export is its owner's: anyone else gets a 404, as for a missing one."""
    require(can_view_incidents(request.user), _("Your account has no organisation role yet."))
    return get_object_or_404(MentionExport, pk=pk, user=request.user)


@login_required
@require_POST
def export_start(request: HttpRequest) -> HttpResponse:
    require(can_view_incidents(request.user), _("Your account has no organisation role yet."))
    try:
        export = export_jobs.mention_export_start(user=request.user, params=request.POST)
    except export_jobs.ExportInputError as exc:
        return HttpResponseBadRequest(str(exc))
    return redirect("monitoring:export-detail", pk=export.pk)


@login_required
@require_GET
@vary_on_headers("HX-Request")
def export_detail(request: HttpRequest, pk: int) -> HttpResponse:
    export = _get_export_for_user(request, pk)
    template = "monitoring/export_job.html"
    if request.htmx:
        template += "#progress"
    return render(request, template, {"export": export})


@login_required
@require_GET
def export_download(request: HttpRequest, pk: int) -> HttpResponse:
    export = _get_export_for_user(request, pk)
    if export.state != ExportState.DONE:
        return HttpResponse(
            _("This export is not ready yet."), status=409, content_type="text/plain"
        )
    response = StreamingHttpResponse(
        streaming_chunks(
            export_jobs.export_download(export), asynchronous=isinstance(request, ASGIRequest)
        ),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="mentions-{export.pk}.csv"'
    response["Content-Length"] = str(export.bytes_written)
    return response


@login_required
@require_POST
def mention_correct(request: HttpRequest, pk: int) -> HttpResponse:
    mention = _get_mention_for_user(request, pk)
    form = LabelForm(request.POST)
    if form.is_valid():
        services.mention_label_correct(
            user=request.user, mention=mention, label=form.cleaned_data["label"]
        )
        messages.success(request, _("Label corrected."))
    else:
        messages.error(request, _("Choose negative, neutral or positive."))
    target = request.POST.get("next") or "/mentions/"
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        target = "/mentions/"
    return redirect(target)


@login_required
@require_GET
def corrections_export(request: HttpRequest) -> HttpResponse:
    """Corrected labels as ``label<TAB>text`` lines: ``manage.py evaluate_sentiment`` reads them."""
    require(can_view_incidents(request.user), _("Your account has no organisation role yet."))
    return attachment("".join(selectors.label_corrections_export()), "corrections.tsv")


@login_required
@require_GET
def brand_list(request: HttpRequest) -> HttpResponse:
    _get_brand_for_user(request, None)
    return render(request, "monitoring/brand_list.html", {"brands": selectors.brands_settings()})


@login_required
@require_POST
def brand_check_terms(request: HttpRequest) -> HttpResponse:
    """The brand form's inline check of one textarea of queries (htmx)."""
    _get_brand_for_user(request, None)
    name = next((key for key in request.POST if key.startswith("terms_")), "")
    _, errors = check_query_lines(request.POST.get(name, ""))
    return render(request, "monitoring/brand_edit.html#term-errors", {"errors": errors})


@login_required
@require_http_methods(["GET", "POST"])
def brand_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    brand = _get_brand_for_user(request, pk)
    form = BrandForm(request.POST or None, instance=brand)
    if request.method == "POST" and form.is_valid():
        services.brand_save(
            user=request.user,
            brand=brand,
            name=form.cleaned_data["name"],
            slug=form.cleaned_data["slug"],
            active=form.cleaned_data["active"],
            trigger_phrases=form.cleaned_data["trigger_phrases"],
            terms=form.terms(),
        )
        messages.success(request, _("Brand saved."))
        return redirect("monitoring:brand-list")
    status = 400 if request.method == "POST" else 200
    return render(
        request, "monitoring/brand_edit.html", {"form": form, "brand": brand}, status=status
    )
