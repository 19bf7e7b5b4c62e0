"""Explorer exports too large for one request, written by a worker with a progress bar.

The explorer's CSV streams straight from PostgreSQL's COPY (``monitoring/exports.py``);
that holds a web request (and a proxy's timeout) for as long as the export lasts. Past
``EXPORT_BACKGROUND_ROWS`` rows the explorer offers a background export instead: a
``MentionExport`` row keeps the filter (with ``until`` fixed at the request) and a worker
writes the rows newest first in batches of ``EXPORT_BATCH_ROWS``, each batch one COPY
and one transaction that stores the part and moves the export's position on. So:

- the page shows true progress (rows written of rows expected);
- a worker that dies (or a database that goes away) loses at most the batch in hand:
  the sweep (``sweep-exports``, every minute) queues again an export whose heartbeat
  is older than ``EXPORT_STALE_SECONDS``, which resumes after the last part written;
- the parts live in the database, so any web process on any host serves the download;
- finished exports and their parts are deleted after ``EXPORT_KEEP_HOURS``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _

from foundation.signals import send_on_commit
from monitoring import events
from monitoring.choices import ExportState
from monitoring.exports import csv_header, mentions_csv
from monitoring.forms import MentionFilterForm
from monitoring.models import Mention, MentionExport, MentionExportPart
from monitoring.pagination import capped_count
from monitoring.selectors import mentions_explore

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5


def _setting(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


def export_filter_form(params: dict[str, Any] | QueryDict) -> MentionFilterForm:
    return MentionFilterForm(params)


def export_rows(params: dict[str, Any]) -> QuerySet[Mention]:
    """The rows an export holds: the explorer's query for these parameters."""
    return mentions_explore(filters=export_filter_form(params).filters())


def export_is_large(queryset: QuerySet[Mention]) -> bool:
    """Whether the filter matches more than EXPORT_BACKGROUND_ROWS rows, read off the
    index up to that many (a count that runs out of time counts as large)."""
    limit = _setting("EXPORT_BACKGROUND_ROWS", 100_000)
    counted = capped_count(queryset, cap=limit)
    return counted.kind != "exact"


def _frozen_params(form: MentionFilterForm) -> dict[str, Any]:
    """The form's own values, times as ISO 8601 with their offset (the worker has no
    browser time zone), and ``until`` fixed at now when none was given."""
    data = form.cleaned_data
    params: dict[str, Any] = {}
    for name in ("q", "platform", "sentiment", "lang"):
        if data.get(name):
            params[name] = data[name]
    if data.get("brand") is not None:
        params["brand"] = data["brand"].slug
    for name in ("competitor", "reposts"):
        if data.get(name):
            params[name] = "on"
    if data.get("since") is not None:
        params["since"] = data["since"].isoformat()
    params["until"] = (data.get("until") or timezone.now()).isoformat()
    return params


class ExportInputError(ValueError):
    """The filter of an export does not validate."""


def mention_export_start(*, user: Any, params: QueryDict | dict[str, Any]) -> MentionExport:
    """Record an export of the explorer's filter ``params`` and queue its worker."""
    form = export_filter_form(params)
    if not form.is_valid():
        raise ExportInputError(
            _("The filter of this export is not valid; change it and try again.")
        )
    frozen = _frozen_params(form)
    expected = capped_count(export_rows(frozen), cap=_setting("EXPORT_MAX_ROWS", 50_000_000))
    export = MentionExport.objects.create(user=user, params=frozen, rows_expected=expected.value)
    _queue(export.pk)
    return export


def _queue(export_id: int) -> None:
    """Announce the export to its worker (on commit; a broker that is away is logged,
    and the sweep queues the export again within a minute)."""
    send_on_commit(events.export_requested, sender=MentionExport, export_id=export_id)


def _claim(export_id: int) -> MentionExport | None:
    """Mark the export running for this worker, unless another worker holds it (its
    heartbeat is fresh) or it is finished."""
    stale = timezone.now() - timedelta(seconds=_setting("EXPORT_STALE_SECONDS", 120))
    with transaction.atomic():
        export = MentionExport.objects.select_for_update().filter(pk=export_id).first()
        if export is None or export.state in (ExportState.DONE, ExportState.FAILED):
            return None
        if export.state == ExportState.RUNNING and (
            export.heartbeat_at is not None and export.heartbeat_at > stale
        ):
            return None
        export.state = ExportState.RUNNING
        export.attempts += 1
        export.heartbeat_at = timezone.now()
        export.save(update_fields=["state", "attempts", "heartbeat_at"])
        return export


def _after(rows: QuerySet[Mention], export: MentionExport) -> QuerySet[Mention]:
    """The rows after the last one written (newest first)."""
    if export.after_id is None:
        return rows
    moment = export.after_published_at
    return rows.filter(published_at__lte=moment).filter(
        Q(published_at__lt=moment) | Q(pk__lt=export.after_id)
    )


def _batch(export: MentionExport, size: int) -> QuerySet[Mention]:
    return _after(export_rows(export.params), export)[:size]


def mention_export_run(*, export_id: int) -> MentionExport | None:
    """Write the export's remaining batches; resumable after any failure."""
    export = _claim(export_id)
    if export is None:
        return None
    size = _setting("EXPORT_BATCH_ROWS", 50_000)
    try:
        while True:
            # The batch's keys first, off the index (they bound the COPY and count its
            # rows exactly); then the batch itself, written by COPY.
            keys = list(_batch(export, size).values_list("published_at", "pk"))
            if not keys:
                if export.after_id is None and not export.parts.exists():
                    _store_part(export, data=csv_header(), rows=0, end=(None, None))
                break
            end_at, end_id = keys[-1]
            rows = _after(export_rows(export.params), export).filter(published_at__gte=end_at)
            rows = rows.filter(Q(published_at__gt=end_at) | Q(pk__gte=end_id))
            data = b"".join(mentions_csv(rows, header=export.after_id is None))
            _store_part(export, data=data, rows=len(keys), end=(end_at, end_id))
            if len(keys) < size:
                break
    except Exception as exc:
        _failed(export, exc)
        raise
    export.state = ExportState.DONE
    export.finished_at = timezone.now()
    export.rows_expected = export.rows_written
    export.save(update_fields=["state", "finished_at", "rows_expected"])
    return export


@transaction.atomic
def _store_part(export: MentionExport, *, data: bytes, rows: int, end: tuple[Any, int]) -> None:
    seq = export.parts.count()
    MentionExportPart.objects.create(export=export, seq=seq, rows=rows, data=data)
    export.after_published_at, export.after_id = end
    export.rows_written += rows
    export.bytes_written += len(data)
    export.heartbeat_at = timezone.now()
    export.save(
        update_fields=[
            "after_published_at",
            "after_id",
            "rows_written",
            "bytes_written",
            "heartbeat_at",
        ]
    )


def _failed(export: MentionExport, exc: Exception) -> None:
    """Left running with an old heartbeat: the sweep retries it, up to MAX_ATTEMPTS."""
    logger.warning("export %s stopped: %s", export.pk, exc)
    MentionExport.objects.filter(pk=export.pk).update(
        error=str(exc)[:1000], heartbeat_at=timezone.now() - timedelta(days=1)
    )


def mention_exports_sweep() -> int:
    """Queue exports nobody is writing (lost message, dead worker); give up after
    MAX_ATTEMPTS; delete finished exports older than EXPORT_KEEP_HOURS."""
    now = timezone.now()
    stale = now - timedelta(seconds=_setting("EXPORT_STALE_SECONDS", 120))
    waiting = MentionExport.objects.filter(
        Q(state=ExportState.QUEUED, created_at__lt=stale)
        | Q(state=ExportState.RUNNING, heartbeat_at__lt=stale)
    )
    queued = 0
    for export in waiting:
        if export.attempts >= MAX_ATTEMPTS:
            MentionExport.objects.filter(pk=export.pk).update(
                state=ExportState.FAILED, finished_at=now
            )
            continue
        _queue(export.pk)
        queued += 1
    keep = now - timedelta(hours=_setting("EXPORT_KEEP_HOURS", 24))
    MentionExport.objects.filter(created_at__lt=keep).delete()
    return queued


def export_download(export: MentionExport) -> Iterator[bytes]:
    """The finished export's bytes, one part at a time (memory: one part)."""
    seqs = export.parts.order_by("seq").values_list("seq", flat=True)
    for seq in list(seqs):
        yield bytes(export.parts.values_list("data", flat=True).get(seq=seq))
